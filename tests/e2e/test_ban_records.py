"""Ban cases on record, in both modes: `history` and `case` name the kind and until when, Edit reason works on
them as on kicks, and a timeout's end, as the sweep opens it in the store, is posted like any case."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.kick.cases import Action, NewCase, Status
from bot.store.sqlite import SqliteCaseStore
from rig.world import AUDIT_CHANNEL, MODERATOR, ROOM

from .test_bans import exported
from .test_looking_back import _click_edit, _look


def test_history_and_case_name_the_kind_and_until_when(bot):
    bot.kick(f"timeout {ROOM} troll_42 1h spam")
    bot.kick(f"unban {ROOM} troll_42 appealed")
    bot.kick(f"{ROOM} troll_42 back again")

    lines = _look(bot, "history troll_42")["blocks"][0]["text"]["text"].splitlines()
    assert "*Timeout (1 hour)* until <!date^" in lines[3] and "*kicked*" in lines[3]
    assert "*Unban* · *done*" in lines[2] and "*kicked* · `troll_42`" in lines[1] and "Unban" not in lines[1]
    shown = repr(_look(bot, "case 1")["blocks"])
    assert "*Action*\\nTimeout (1 hour)\\nuntil <!date^" in shown and "{date_short_pretty} at {time}|" in shown


def test_edit_reason_on_a_ban_keeps_its_kind_and_until_when(start_bot, mode):
    bot = start_bot(mode)
    bot.kick(f"ban {ROOM} troll_42 spam")
    [post] = bot.slack.messages
    trigger_id, _ = _click_edit(bot, post, MODERATOR)
    assert bot.submit(bot.opened_view(trigger_id), "slurs") is None
    bot.slack.wait_for(lambda: len(bot.slack.updates) == 1)
    [update] = bot.slack.updates
    shown = repr(update["blocks"])
    assert update["ts"] == post["ts"] and "Ban*: `troll_42` disconnected and banned permanently" in shown
    assert "slurs" in shown and "was: spam" in shown and "*Action*\\nBan\\npermanently" in shown


def test_a_timeouts_end_opened_in_the_store_is_posted_once_and_exported(start_bot, mode):
    bot = start_bot(mode)
    bot.kick(f"timeout {ROOM} troll_42 1h spam")
    store = SqliteCaseStore(bot.process.workdir / "ivs-kick.db")
    ban = store.get(1)
    now = datetime.now(timezone.utc)
    store.open_case(
        NewCase(
            created_at=now, moderator_id=ban.moderator_id, team_id=ban.team_id, channel_id=ban.channel_id,
            status=Status.DONE, room_arn=ban.room_arn, user_ids=ban.user_ids, reason=ban.reason,
            detail="The timeout set in case #1 ran out.", submission_key="ban-ended:1", audit_due_at=now,
            action=Action.BAN_ENDED, banned_until=ban.banned_until - timedelta(minutes=59),
        )
    )  # fmt: skip
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 2, timeout=20)
    post = bot.audit_posts()[1]
    assert post["channel"] == AUDIT_CHANNEL
    assert post["text"].startswith(
        f":hourglass_flowing_sand: Case #2 · Timeout ended: `troll_42` may chat again in {ROOM}"
    )
    assert "The timeout set in case #1 ran out." in repr(post["blocks"]) and "ended <!date^" in repr(post["blocks"])
    assert '"action": "ban_ended"' in exported(bot)
