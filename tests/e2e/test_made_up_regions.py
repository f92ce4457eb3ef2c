"""Room ARNs naming a region without IVS Chat are refused by the real bot, in both modes, before AWS is asked
about them: the command, the form, an altered confirmation and the settings each say which regions would do."""

from __future__ import annotations

import json

from rig.drive import submission_payload
from rig.world import MODERATOR, ROOM, BotProcess, bot_env, free_port

MADE_UP = "xx-fake-1"
MADE_UP_ROOM = f"arn:aws:ivschat:{MADE_UP}:123456789012:room/abc"
REFUSAL = "Room must be in a region where IVS Chat exists"


def asked_about_the_made_up_room(bot) -> list:
    """Every request to IVS Chat signed for the made-up region or naming its room; the start-up listing of the
    configured region is no such request."""
    return [c for c in bot.ivs.requests if c.region == MADE_UP or MADE_UP_ROOM in json.dumps(dict(c.params))]


def test_a_command_naming_a_made_up_region_is_refused_before_aws(bot):
    ack, _, _ = bot.command(f"{MADE_UP_ROOM} viewer1")
    assert REFUSAL in ack["text"] and f"\u201c{MADE_UP}\u201d" in ack["text"]
    assert "us-west-2" in ack["text"] and "eu-central-1" in ack["text"]  # the regions that would do
    bot.slack.wait_for(lambda: any("Invalid kick request" in post["text"] for post in bot.audit_posts()))
    assert not bot.ivs.calls and not asked_about_the_made_up_room(bot)


def test_a_form_naming_a_made_up_region_is_refused_before_aws(bot):
    _, trigger_id, _ = bot.command("")
    payload = submission_payload(bot.opened_view(trigger_id), user_id=MODERATOR, reason=None)
    payload["view"]["state"]["values"].update({
        "room": {"room": {"type": "external_select",
                          "selected_option": {"text": {"type": "plain_text", "text": "r"}, "value": MADE_UP_ROOM}}},
        "users": {"users": {"type": "plain_text_input", "value": "viewer1"}},
    })  # fmt: skip
    ack = bot.driver.interaction(payload)
    assert ack["response_action"] == "errors" and set(ack["errors"]) == {"room"}
    assert REFUSAL in ack["errors"]["room"] and MADE_UP in ack["errors"]["room"]
    assert not bot.ivs.calls and not asked_about_the_made_up_room(bot)


def test_a_confirmation_altered_to_a_made_up_region_kicks_nobody(bot):
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer1")
    view = bot.opened_view(trigger_id)
    context = json.loads(view["private_metadata"]) | {"room": MADE_UP_ROOM, "room_arn": MADE_UP_ROOM}
    assert bot.submit({**view, "private_metadata": json.dumps(context)}, None) is None
    reply = bot.wait_reply(response_url)
    assert f"IVS Chat does not exist in region {MADE_UP}" in reply and "us-west-2" in reply
    assert not bot.ivs.calls and not asked_about_the_made_up_room(bot)


def test_settings_naming_regions_without_ivs_chat_stop_start_up(slack, ivs, tmp_path):
    env = bot_env(
        slack,
        ivs,
        mode="http",
        port=free_port(),
        IVS_KICK_REGIONS=f"us-west-2, {MADE_UP}",
        IVS_KICK_ROOMS=f"main={ROOM}, fake={MADE_UP_ROOM}",
    )
    code, out, err = BotProcess(env, tmp_path).run_to_exit()
    output = out + err
    assert code == 2 and "Traceback" not in output
    assert f"IVS_KICK_REGIONS has \u201c{MADE_UP}\u201d, which is not a region where IVS Chat exists" in output
    assert f"IVS_KICK_ROOMS has \u201cfake={MADE_UP_ROOM}\u201d, a room in region \u201c{MADE_UP}\u201d" in output
    assert not ivs.requests
