"""Right after start-up, before the first room listing has come back, the form's room picker already answers with
the rooms, within Slack's 3 s."""

from __future__ import annotations

from typing import Any

from rig.drive import TEAM_ID

WEST = "arn:aws:ivschat:us-west-2:123456789012:room/StageWest001"
EU = "arn:aws:ivschat:eu-central-1:123456789012:room/StageEu00001"
# Longer than the bot could take if it answered from the empty cache, shorter than the picker's wait.
SLOW_LISTING = 1.5


def _options_within_slacks_deadline(bot, form: dict[str, Any], typed: str) -> Any:
    """Slack shows "no options" when the options request is not answered within 3 s: the driver holds the bot
    to that deadline."""
    payload = {
        "type": "block_suggestion", "user": {"id": "U0MOD"}, "team": {"id": TEAM_ID}, "api_app_id": "A0000TEST",
        "token": "x", "action_id": "room", "block_id": "room", "value": typed, "view": form,
    }  # fmt: skip
    return bot.driver.interaction(payload)


def test_the_first_picker_after_start_up_waits_for_the_listing_in_flight(start_bot, ivs, mode):
    ivs.add_room(WEST, name="main-stage")
    ivs.add_room(EU, name="main-stage")
    ivs.set_delay(SLOW_LISTING, operation="ListRooms")
    bot = start_bot(mode, IVS_KICK_REGIONS="us-west-2,eu-central-1")
    _, trigger_id, _ = bot.command("")
    form = bot.opened_view(trigger_id)
    # The start-up listing has reached AWS in both regions; AWS holds its answers for SLOW_LISTING seconds.
    bot.slack.wait_for(lambda: len(ivs.calls_to("ListRooms")) == 2)

    answer = _options_within_slacks_deadline(bot, form, "stage")

    assert {option["value"] for option in answer["options"]} == {WEST, EU}
    assert len(ivs.calls_to("ListRooms")) == 2  # the picker shared the start-up listing instead of starting another
