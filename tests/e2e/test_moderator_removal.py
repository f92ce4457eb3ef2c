"""A moderator removed from the group stays removed: whichever process gets the Kick, and whatever Slack
retries, repeats or delivers late."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from .conftest import GROUP, GROUP_MODERATOR, ROOM, Bot
from .harness import event_payload

REFUSED = "not an IVS Chat moderator"


def _change(*, added: list[str], removed: list[str], at: float, event_id: str) -> dict:
    event = {"type": "subteam_members_changed", "subteam_id": GROUP, "added_users": added, "removed_users": removed,
             "added_users_count": len(added), "removed_users_count": len(removed)}  # fmt: skip
    return event_payload(event) | {"event_id": event_id, "event_time": int(at)}


def _opened(bot: Bot, trigger_id: str) -> list:
    return [c for c in bot.slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id]


def _submissions_by_pid(bot: Bot) -> set[int]:
    lines = [json.loads(line) for line in bot.process.logs().splitlines() if '"msg": "request"' in line]
    return {line["pid"] for line in lines if line["kind"] == "view_submission"}


def test_a_removal_sent_to_one_worker_is_honoured_by_every_worker_at_the_next_kick(start_bot):
    bot = start_bot("http", WEB_CONCURRENCY="2", IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("usergroups.users.list")) == 2, timeout=20)  # each worker's
    # Slack's own listing still names the moderator (it may lag its events), and both workers' caches are fresh:
    # only the event, heard by one worker, says they are out.
    bot.driver.event(_change(added=[], removed=[GROUP_MODERATOR], at=time.time(), event_id="EvRemoved"))
    bot.slack.wait_for(lambda: "moderator group changed" in bot.process.logs())

    def attempt(_) -> str:
        _, trigger_id, response_url = bot.command(f"{ROOM} viewer42 spam", user=GROUP_MODERATOR)
        bot.slack.wait_for(lambda: bot.replies(response_url) or _opened(bot, trigger_id), timeout=10)
        if _opened(bot, trigger_id):  # the worker that heard the event refuses before the modal; the other opens it
            bot.submit(bot.opened_view(trigger_id), "spam", user=GROUP_MODERATOR)
        return bot.wait_reply(response_url)

    replies: list[str] = []
    # Until both workers have handled a submission. The kernel picks the worker, and tends to wake the same idle
    # one again and again: attempts four at a time keep one busy while the next arrives.
    with ThreadPoolExecutor(4) as pool:
        for _ in range(30):
            replies += pool.map(attempt, range(4))
            if len(_submissions_by_pid(bot)) == 2:
                break
    assert len(_submissions_by_pid(bot)) == 2, "both workers handled a Kick"
    assert all(REFUSED in reply for reply in replies) and not bot.ivs.calls
    assert len(bot.slack.calls_to("usergroups.users.list")) == 2  # no worker needed Slack's listing to refuse


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
