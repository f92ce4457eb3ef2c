"""Every answer AWS can give DisconnectUser becomes a message a moderator can act on, and an audit record."""

from __future__ import annotations

import pytest

from rig.world import ROOM, free_port

UNKNOWN_ROOM = "arn:aws:ivschat:us-west-2:123456789012:room/NoSuchRoom99"


@pytest.mark.parametrize(
    ("error", "in_reply"),
    [
        ("AccessDeniedException", "AWS denied ivschat:DisconnectUser on " + ROOM),
        ("PendingVerification", "pending verification"),
        ("ValidationException", "IVS Chat rejected the request as invalid"),
    ],
)
def test_modeled_errors(start_bot, error, in_reply):
    bot = start_bot("http")
    bot.ivs.fail_next(error)
    kick = bot.kick(f"{ROOM} viewer42")
    assert "The kick failed" in kick.reply and in_reply in kick.reply
    [call] = bot.ivs.calls
    assert call.request_id in kick.reply
    assert "Kick failed" in kick.audit["text"] and call.request_id in kick.audit["text"]


def test_an_unknown_room_is_caught_before_kick_and_named_with_its_region(start_bot):
    bot = start_bot("http")
    _, trigger_id, response_url = bot.command(f"{UNKNOWN_ROOM} viewer42")
    bot.opened_view(trigger_id)
    reply = bot.wait_reply(response_url)
    assert f"IVS Chat has no room {UNKNOWN_ROOM} in region us-west-2" in reply
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.update")) == 1)
    notice = bot.slack.calls_to("views.update")[0].params["view"]
    assert "submit" not in notice and "IVS Chat has no room" in repr(notice["blocks"])
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 1)
    assert "Invalid kick request" in bot.audit_posts()[0]["text"] and not bot.ivs.calls


def test_a_room_deleted_between_confirmation_and_kick_names_the_room_and_region(start_bot):
    bot = start_bot("http")
    bot.ivs.fail_next("ResourceNotFoundException")
    kick = bot.kick(f"{ROOM} viewer42")
    assert f"IVS Chat has no room {ROOM} in region us-west-2" in kick.reply
    assert "room_not_found" in kick.audit["text"]


def test_throttling_is_retried_and_then_succeeds(start_bot):
    bot = start_bot("http")
    bot.ivs.fail_next("ThrottlingException", times=1)
    kick = bot.kick(f"{ROOM} viewer42")
    assert "Disconnected viewer42" in kick.reply
    assert [c.status for c in bot.ivs.calls] == [429, 200]


def test_throttling_past_the_retries_is_reported(start_bot):
    bot = start_bot("http")
    bot.ivs.fail_next("ThrottlingException", times=5)
    kick = bot.kick(f"{ROOM} viewer42")
    assert "throttled DisconnectUser" in kick.reply and "100 requests per second" in kick.reply
    assert len(bot.ivs.calls) == 3  # the first try and two retries


def test_no_aws_credentials(start_bot):
    bot = start_bot("http", AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None)
    kick = bot.kick(f"{ROOM} viewer42")
    assert "no AWS credentials" in kick.reply and "no_credentials" in kick.audit["text"]
    assert not bot.ivs.calls


def test_unreachable_endpoint(start_bot):
    bot = start_bot("http", AWS_ENDPOINT_URL_IVSCHAT=f"http://127.0.0.1:{free_port()}")
    kick = bot.kick(f"{ROOM} viewer42")
    assert "Could not reach IVS Chat in us-west-2" in kick.reply and "unreachable" in kick.audit["text"]


def test_wrong_secret_key_is_reported_not_hidden(start_bot):
    bot = start_bot("http", AWS_SECRET_ACCESS_KEY="not-the-secret")
    kick = bot.kick(f"{ROOM} viewer42")
    assert "The kick failed" in kick.reply and "InvalidSignatureException" in kick.reply
