"""Bans, timeouts and unbans against what a hostile or careless client can send, end to end: text that is not
Unicode, Unban buttons whose value the bot never made, and what every post and reply shows of it."""

from __future__ import annotations

import json

from rig.drive import INVOKED_IN, button_payload
from rig.world import MODERATOR, ROOM

from .test_bans import NOBODY, exported
from .test_unbans import UNBAN_BUTTON


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


def _click(bot, value: str, user: str) -> tuple[object, str, str]:
    """An Unban click whose value is `value`, as a client that forges its interactions would send it."""
    trigger_id, response_url = bot.slack.new_trigger_id(), bot.slack.new_response_url()
    message = {"ts": "1700000000.000100", "text": "bans", "blocks": []}
    payload = button_payload(
        message, INVOKED_IN, user_id=user, action_id=UNBAN_BUTTON, value=value, trigger_id=trigger_id,
        response_url=response_url,
    )  # fmt: skip
    return bot.driver.interaction(payload), trigger_id, response_url


def test_an_unban_button_whose_value_the_bot_never_made_is_acknowledged_and_dropped(bot):
    """A listing's Unban button carries the ban's room (an ARN, or `*`) and viewer. A click carrying anything else
    opens nothing and puts nothing on record, for a moderator or anyone else, and never holds the ack."""
    forged = [
        ({"room": ROOM, "user": "\ud800"}, NOBODY),  # not Unicode: cannot be stored or shown
        ({"room": "r" * 5000, "user": "troll_42"}, MODERATOR),  # far too long for the dialog's metadata
        ({"room": "<!channel>", "user": "<@U0LEAD>"}, MODERATOR),  # not a room at all
        ({"room": ROOM, "user": ""}, NOBODY),
    ]
    for value, user in forged:
        ack, trigger_id, response_url = _click(bot, json.dumps(value), user)
        assert ack is None, value
    bot.slack.wait_for(lambda: bot.process.logs().count("unban button without a ban") == len(forged), timeout=10)
    assert not bot.slack.calls_to("views.open") and not bot.slack.posted_responses
    assert exported(bot) == "" and "Traceback" not in bot.process.logs()
