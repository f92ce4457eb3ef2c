"""Requests Slack did not sign are refused before any listener runs."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from rig.drive import command_payload, http_post, sign
from rig.world import ROOM


def _post(bot, body, headers):
    return http_post(bot.driver.url, body, {"Content-Type": "application/x-www-form-urlencoded", **headers})


def _command_body(bot):
    form = command_payload(
        f"{ROOM} viewer42",
        user_id="U0MOD",
        trigger_id=bot.slack.new_trigger_id(),
        response_url=bot.slack.new_response_url(),
    )
    return urlencode(form).encode()


def test_forged_signature_is_401_and_nothing_is_called(start_bot):
    bot = start_bot("http")
    body = _command_body(bot)
    answer = _post(bot, body, sign(body, secret="not-the-signing-secret"))
    assert answer.status == 401
    assert _nothing_called(bot)


def test_stale_timestamp_is_401_even_when_correctly_signed(start_bot):
    bot = start_bot("http")
    body = _command_body(bot)
    answer = _post(bot, body, sign(body, timestamp=int(time.time()) - 6 * 60))
    assert answer.status == 401
    assert _nothing_called(bot)


def test_slacks_unsigned_ssl_check_is_answered_but_cannot_smuggle_a_command(start_bot):
    bot = start_bot("http")
    assert _post(bot, urlencode({"ssl_check": "1", "token": "x"}).encode(), {}).status == 200
    smuggled = _command_body(bot) + b"&ssl_check=1"
    assert _post(bot, smuggled, {}).status in {200, 401}
    assert _post(bot, _command_body(bot) + b"&ssl_check=0", {}).status == 401
    assert _nothing_called(bot)


def _nothing_called(bot) -> bool:
    methods = {c.method for c in bot.slack.calls} - {"auth.test", "usergroups.users.list"}
    return not methods and not bot.ivs.calls and not bot.slack.posted_responses


def test_event_subscription_url_verification_is_answered(start_bot):
    bot = start_bot("http")
    body = json.dumps(
        {"token": "x", "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", "type": "url_verification"}
    ).encode()
    answer = http_post(bot.driver.url, body, {"Content-Type": "application/json", **sign(body)})
    assert answer.status == 200 and "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" in answer.body
