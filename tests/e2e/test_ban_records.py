"""Ban cases on record, in both modes: `history` and `case` name the kind and until when, Edit reason works on
them as on kicks, and a timeout's end, which the outbox's sweep opens when it runs out, is posted like any case."""

from __future__ import annotations

from rig.world import AUDIT_CHANNEL, MODERATOR, ROOM

from .test_bans import ban_on, exported
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


def test_a_timeout_that_runs_out_is_posted_as_its_end_and_exported(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_SHORTEST_TIMEOUT="5s")
    bot.kick(f"timeout {ROOM} troll_42 5s spam")
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 2, timeout=30)  # the 5 s, then the outbox's next sweep
    post = bot.audit_posts()[1]
    assert post["channel"] == AUDIT_CHANNEL
    ended = f":hourglass_flowing_sand: Case #2 · Timeout ended: `troll_42` may chat again in {ROOM}"
    assert post["text"].startswith(ended) and "reason: spam" in post["text"]
    shown = repr(post["blocks"])
    assert "The timeout set in case #1 (5 seconds) ran out." in shown
    assert "*Action*\\nTimeout ended\\nended <!date^" in shown
    assert ban_on(bot, ROOM, "troll_42") is None
    assert '"action": "ban_ended"' in exported(bot)
