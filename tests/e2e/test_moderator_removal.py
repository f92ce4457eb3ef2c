"""A moderator removed from the group stays removed: whichever process gets the Kick, and whatever Slack
retries, repeats or delivers late."""

from __future__ import annotations

import time

import pytest

from rig.drive import event_payload
from rig.world import GROUP, GROUP_MODERATOR, ROOM, Bot

REFUSED = "not an IVS Chat moderator"


def _change(*, added: list[str], removed: list[str], at: float, event_id: str) -> dict:
    event = {"type": "subteam_members_changed", "subteam_id": GROUP, "added_users": added, "removed_users": removed,
             "added_users_count": len(added), "removed_users_count": len(removed)}  # fmt: skip
    return event_payload(event) | {"event_id": event_id, "event_time": int(at)}


def _opened(bot: Bot, trigger_id: str) -> list:
    return [c for c in bot.slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id]


def test_a_removal_heard_by_one_process_is_honoured_by_another_on_the_same_sqlite_store(start_bot):
    """Two processes on one SQLite file, as gunicorn's workers with WEB_CONCURRENCY > 1 are (the kernel picks
    which worker gets a request, so here two processes stand in for them and each request is sent where the test
    says; `python -m bench.removal` measures the same across real workers)."""
    env = {"IVS_KICK_MODERATORS": None, "IVS_KICK_MODERATOR_GROUP": GROUP}
    heard = start_bot("http", **env)
    other = start_bot("http", workdir=heard.process.workdir, **env)
    heard.slack.wait_for(lambda: len(heard.slack.calls_to("usergroups.users.list")) == 2)  # one listing each
    # Slack's own listing still names the moderator (it may lag its events), and both caches are fresh: only
    # the event, heard by one process, says they are out.
    _, trigger_id, response_url = other.command(f"{ROOM} viewer42 spam", user=GROUP_MODERATOR)
    view = other.opened_view(trigger_id)
    heard.driver.event(_change(added=[], removed=[GROUP_MODERATOR], at=time.time(), event_id="EvRemoved"))
    heard.slack.wait_for(lambda: "moderator group changed" in heard.process.logs())
    other.submit(view, "spam", user=GROUP_MODERATOR)
    assert REFUSED in other.wait_reply(response_url)
    assert not other.ivs.calls  # (the two share a working directory, and so a log file: no per-process lines)
    assert len(other.slack.calls_to("usergroups.users.list")) == 2  # the other refused without Slack's listing


@pytest.mark.parametrize("late", ["the_same_add_retried", "an_older_add_delivered_late"])
def test_an_add_retried_or_late_after_a_removal_does_not_restore_the_moderator(start_bot, mode, late):
    bot = start_bot(mode, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)
    bot.slack.wait_for(lambda: bot.slack.calls_to("usergroups.users.list"))
    added_at, removed_at = time.time() - 20, time.time()
    if late == "the_same_add_retried":
        bot.driver.event(_change(added=[GROUP_MODERATOR], removed=[], at=added_at, event_id="EvAdded"))
    bot.driver.event(_change(added=[], removed=[GROUP_MODERATOR], at=removed_at, event_id="EvRemoved"))
    bot.driver.event(_change(added=[GROUP_MODERATOR], removed=[], at=added_at, event_id="EvAdded"), retry=1)
    deliveries = 3 if late == "the_same_add_retried" else 2
    bot.slack.wait_for(lambda: bot.process.logs().count('"msg": "moderator group change') == deliveries)
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42 spam", user=GROUP_MODERATOR)
    assert REFUSED in bot.wait_reply(response_url)
    assert not bot.ivs.calls and not _opened(bot, trigger_id)
