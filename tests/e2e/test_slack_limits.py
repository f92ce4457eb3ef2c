"""Slack's limits on what the bot sends, with the inputs that broke them; and response URLs that run out.

The fake Slack refuses, as Slack does, any view or message over a documented limit (`invalid_arguments`,
`invalid_blocks`, `msg_too_long`), and a response URL past its 30 minutes (`expired_url`) or its five posts
(`used_url`).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from slack_sdk.webhook import WebhookClient

from bot.kick.cases import AuditPost, NewCase, Status, Target
from bot.store.sqlite import SqliteCaseStore
from rig.drive import INVOKED_IN, command_payload
from rig.world import AUDIT_CHANNEL, MODERATOR, ROOM

THIRTY_MINUTES = 30 * 60


def _ids(count: int, prefix: str = "raider") -> list[str]:
    return [f"{prefix}{i:03d}".ljust(128, "x") for i in range(count)]


def test_a_bulk_kick_of_23_ids_of_128_characters_is_confirmed_and_carried_out(bot):
    ids = _ids(23)

    kick = bot.kick(f"{ROOM} {','.join(ids)} raid")

    sections = [b["text"]["text"] for b in kick.view["blocks"] if b["type"] == "section" and "text" in b]
    [listed] = [text for text in sections if text.startswith("`")]
    assert listed.endswith(f"… and {23 - listed.count('`') // 2} more")
    assert "Disconnected all 23 viewers" in kick.reply
    assert {c.user_id for c in bot.ivs.disconnects()} == set(ids)


def _seed_raids(workdir, raids: int, ids: list[str]) -> None:
    """Cases as 20 raids of 500 viewers left them, already posted: the history's worst case."""
    store = SqliteCaseStore(workdir / "ivs-kick.db")
    at = datetime.now(timezone.utc) - timedelta(days=1)
    for n in range(raids):
        case, _ = store.open_case(
            NewCase(
                created_at=at + timedelta(minutes=n), moderator_id=MODERATOR, team_id="T0000TEST",
                channel_id=INVOKED_IN, status=Status.PENDING, room_arn=ROOM, reason="&" * 256, user_ids=tuple(ids),
            )
        )  # fmt: skip
        targets = [Target(user, "kicked", f"Disconnected {user}.", f"req-{n}-{i}") for i, user in enumerate(ids)]
        store.record_outcome(case.number, Status.KICKED, targets, None, at)
        store.mark_delivered(case.number, AuditPost(AUDIT_CHANNEL, f"{1700000000 + n}.000100"))
    store.close()


def test_history_after_20_raids_of_500_viewers_is_shown(start_bot, tmp_path, mode):
    workdir = tmp_path / "raided"
    workdir.mkdir()
    ids = _ids(500)
    _seed_raids(workdir, 20, ids)
    bot = start_bot(mode, workdir=workdir)

    _, _, response_url = bot.command(f"history {ids[0]} 50")
    bot.wait_reply(response_url)

    [shown] = [p.body for p in bot.slack.posted_responses if p.url == response_url]
    text = "\n".join(b["text"]["text"] for b in shown["blocks"])
    assert "Last 20 cases for IVS user" in text and all(f"#{n}" in text for n in range(1, 21))
    assert text.count("… and ") == 20  # each case lists what fits of its 500 viewers, then counts the rest
    bot.slack.wait_for(lambda: '"history_shown"' in bot.process.logs())


def _confirmation(bot, text: str, channel: str = INVOKED_IN):
    trigger_id, response_url = bot.slack.new_trigger_id(), bot.slack.new_response_url()
    bot.driver.command(
        command_payload(text, user_id=MODERATOR, trigger_id=trigger_id, response_url=response_url, channel_id=channel)
    )
    return bot.opened_view(trigger_id), response_url


def test_a_confirmation_left_open_past_30_minutes_still_tells_its_outcome(bot):
    view, response_url = _confirmation(bot, f"{ROOM} viewer42 spam")
    bot.slack.age_response_url(response_url, THIRTY_MINUTES + 1)

    bot.submit(view, "spam")

    bot.slack.wait_for(lambda: any(e["user"] == MODERATOR for e in bot.slack.ephemerals), timeout=15)
    [told] = bot.slack.ephemerals
    assert told["channel"] == INVOKED_IN and "Case #1" in told["text"] and "Disconnected viewer42" in told["text"]
    assert bot.replies(response_url) == []  # Slack refused the expired URL: nothing reached the moderator there
    assert [c.user_id for c in bot.ivs.disconnects()] == ["viewer42"]


def test_where_the_bot_cannot_post_the_outcome_comes_as_a_direct_message(start_bot):
    bot = start_bot("http")
    bot.slack.add_channel("D0OTHERDM", bot_is_member=False)  # a DM between people, where the bot is not
    view, response_url = _confirmation(bot, f"{ROOM} viewer42 spam", channel="D0OTHERDM")
    bot.slack.age_response_url(response_url, THIRTY_MINUTES + 1)

    bot.submit(view, "spam")

    bot.slack.wait_for(lambda: bool(bot.slack.direct_messages(MODERATOR)), timeout=15)
    [told] = bot.slack.direct_messages(MODERATOR)
    assert "Case #1" in told["text"] and "Disconnected viewer42" in told["text"]
    assert bot.slack.ephemerals == []


def test_a_response_url_used_up_elsewhere_still_gets_the_outcome_to_the_moderator(start_bot):
    bot = start_bot("socket")
    view, response_url = _confirmation(bot, f"{ROOM} viewer42 spam")
    for _ in range(5):  # spent by another process, or before the bot counted
        assert WebhookClient(response_url).send(text="earlier").status_code == 200

    bot.submit(view, "spam")

    bot.slack.wait_for(lambda: bool(bot.slack.ephemerals), timeout=15)
    assert "Disconnected viewer42" in bot.slack.ephemerals[0]["text"]
    assert bot.slack.refused_responses == [(response_url, "used_url")]  # tried once, then never again


def test_a_raid_with_progress_notes_never_uses_its_response_url_more_than_five_times(start_bot):
    bot = start_bot("http", IVS_KICK_DISCONNECT_TPS="99")
    ids = _ids(60, "r")
    view, response_url = _confirmation(bot, f"{ROOM} {','.join(ids)} raid")

    bot.submit(view, "raid")

    bot.slack.wait_for(lambda: any("Disconnected all 60" in t for t in bot.replies(response_url)), timeout=30)
    replies = bot.replies(response_url)
    assert len(replies) >= 2 and "Kicking 60 viewers" in replies[0]
    assert bot.slack.refused_responses == []  # the fake takes five posts per URL and refuses (and lists) the rest
