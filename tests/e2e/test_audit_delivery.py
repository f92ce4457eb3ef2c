"""The audit post is retried when Slack asks, and its failure is told to the moderator, never hiding the kick."""

from __future__ import annotations

from rig.world import AUDIT_CHANNEL, ROOM


def test_rate_limited_audit_post_is_retried_after_retry_after(start_bot):
    bot = start_bot("http")
    bot.slack.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=1)
    kick = bot.kick(f"{ROOM} viewer42")
    statuses = [c.status for c in bot.slack.calls_to("chat.postMessage")]
    assert statuses == [429, 200]
    assert "Disconnected viewer42" in kick.reply and "Audit record posted" in kick.reply


def test_bot_not_in_the_audit_channel(start_bot, slack):
    slack.add_channel(AUDIT_CHANNEL, bot_is_member=False)
    bot = start_bot("http")
    kick = bot.kick(f"{ROOM} viewer42")
    assert kick.audit is None
    assert "Disconnected viewer42" in kick.reply  # the kick's result comes first, and is not hidden
    assert "could not be posted" in kick.reply and "/invite @ivs-kick" in kick.reply
    assert len(bot.slack.calls_to("chat.postMessage")) == 1  # not_in_channel is not worth retrying


def test_missing_audit_channel(start_bot):
    bot = start_bot("http", IVS_KICK_AUDIT_CHANNEL="C0GONE")
    kick = bot.kick(f"{ROOM} viewer42")
    assert "Disconnected viewer42" in kick.reply and "IVS_KICK_AUDIT_CHANNEL" in kick.reply
