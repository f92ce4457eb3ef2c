"""Bans, timeouts and unbans against what a hostile or careless client can send, end to end: text that is not
Unicode, Unban buttons whose value the bot never made, and what every post and reply shows of it."""

from __future__ import annotations

from rig.world import ROOM

from .test_bans import exported


def test_a_lone_surrogate_in_a_timeouts_duration_is_refused_on_that_field_and_on_record(start_bot):
    """Over Socket Mode a command's text is JSON, which carries a lone surrogate as `\\ud800`."""
    bot = start_bot("socket")
    ack, _, _ = bot.command(f"timeout {ROOM} troll_42 9\ud800m spam")
    said = ":warning: Case #1: Duration must be Unicode text, but character 2 is a lone surrogate (U+D800)"
    assert ack["text"].startswith(said), ack["text"]
    assert not bot.slack.calls_to("views.open") and not bot.ivs.calls
    [case] = exported(bot).splitlines()
    assert '"action": "ban"' in case and '"status": "invalid"' in case and "9\ufffdm" in case
    bot.process.assert_running()
    assert "Traceback" not in bot.process.logs()
