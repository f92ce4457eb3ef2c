"""Rooms by ID, name or alias in any configured region; the form; bulk kicks during a raid."""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from bot.store.sqlite import SqliteCaseStore
from rig.drive import submission_payload
from rig.world import ROOM, ROOM_EU, BotProcess

REGIONS = "us-west-2,eu-central-1"
STAGE_WEST = "arn:aws:ivschat:us-west-2:123456789012:room/StageWest001"
STAGE_EU = "arn:aws:ivschat:eu-central-1:123456789012:room/StageEu00001"
LOUNGE = "arn:aws:ivschat:eu-central-1:123456789012:room/Lounge000001"


def _rooms(ivs):
    ivs.add_room(STAGE_WEST, name="main-stage")
    ivs.add_room(STAGE_EU, name="main-stage")
    ivs.add_room(LOUNGE, name="lounge")


def _updated_view(bot, view_id, timeout=10.0):
    bot.slack.wait_for(
        lambda: any(c.params.get("view_id") == view_id for c in bot.slack.calls_to("views.update")), timeout
    )
    return next(c.params["view"] for c in bot.slack.calls_to("views.update") if c.params.get("view_id") == view_id)


def _confirmable_view(bot, trigger_id):
    """The modal as the moderator sees it once the room is known: updated in place if it had to be looked up."""
    opened = bot.opened_view(trigger_id)
    if "looking it up" not in repr(opened["blocks"]):
        return opened
    view = _updated_view(bot, opened["id"])
    return {**view, "id": opened["id"]}


def test_a_room_by_name_shows_name_arn_and_region_and_is_kicked_there(start_bot, ivs, mode):
    _rooms(ivs)
    bot = start_bot(mode, IVS_KICK_REGIONS=REGIONS)
    _, trigger_id, response_url = bot.command("lounge viewer42 spam")
    view = _confirmable_view(bot, trigger_id)  # at once if the start-up listing is in, else filled in after
    shown = repr(view["blocks"])
    assert "lounge" in shown and LOUNGE in shown and "eu-central-1" in shown
    bot.submit(view, "spam")
    assert "Disconnected viewer42" in bot.wait_reply(response_url)
    [call] = bot.ivs.disconnects()
    assert (call.room_arn, call.region) == (LOUNGE, "eu-central-1")
    assert "lounge" in bot.audit_posts()[0]["blocks"][1]["fields"][2]["text"]


def test_a_room_by_id_and_by_alias(start_bot, ivs):
    _rooms(ivs)
    bot = start_bot("http", IVS_KICK_REGIONS=REGIONS, IVS_KICK_ROOMS=f"Stage={STAGE_WEST}, eu={ROOM_EU}")
    for text, arn in (("Lounge000001 viewer1", LOUNGE), ("stage viewer2", STAGE_WEST), ("EU viewer3", ROOM_EU)):
        _, trigger_id, response_url = bot.command(text)
        bot.submit(_confirmable_view(bot, trigger_id), None)
        bot.wait_reply(response_url)
        assert bot.ivs.disconnects()[-1].room_arn == arn, text


def test_a_second_kick_in_the_same_room_costs_no_look_up(start_bot, ivs):
    _rooms(ivs)
    bot = start_bot("http", IVS_KICK_REGIONS=REGIONS)
    bot.kick(f"{ROOM} viewer1")
    looked_up = len(ivs.requests) - len(ivs.calls)
    kick = bot.kick(f"{ROOM} viewer2")
    assert len(ivs.requests) - len(ivs.calls) == looked_up  # no GetRoom or ListRooms the second time
    assert not [c for c in bot.slack.calls_to("views.update") if c.params.get("view_id") == kick.view["id"]]


def test_an_ambiguous_name_lists_the_candidates_and_kicks_nobody(start_bot, ivs):
    _rooms(ivs)
    bot = start_bot("http", IVS_KICK_REGIONS=REGIONS)
    _, trigger_id, response_url = bot.command("main-stage viewer42")
    opened = bot.opened_view(trigger_id)
    reply = bot.wait_reply(response_url)
    assert "matches 2 rooms" in reply and STAGE_WEST in reply and STAGE_EU in reply
    assert "submit" not in _updated_view(bot, opened["id"])
    assert not ivs.calls


def test_an_unknown_name_says_where_it_looked(start_bot, ivs):
    bot = start_bot("http", IVS_KICK_REGIONS=REGIONS)
    _, _, response_url = bot.command("nowhere viewer42")
    assert "No room named “nowhere”" in bot.wait_reply(response_url)
    assert "us-west-2, eu-central-1" in bot.replies(response_url)[0] and not ivs.calls


def test_the_modal_opens_at_once_with_aws_answering_in_two_and_a_half_seconds_then_fills_in(start_bot, ivs):
    _rooms(ivs)
    ivs.set_delay(2.5)
    bot = start_bot("http", IVS_KICK_REGIONS=REGIONS)
    _, trigger_id, _ = bot.command("lounge viewer42")
    opened = bot.opened_view(trigger_id)  # the fake refuses triggers older than 3 s
    assert "looking it up" in repr(opened["blocks"])
    shown = repr(_updated_view(bot, opened["id"], timeout=15)["blocks"])
    assert "lounge" in shown and LOUNGE in shown and "eu-central-1" in shown


def test_a_modal_submitted_while_its_room_is_looked_up_kicks_there_and_records_the_room(start_bot, ivs):
    _rooms(ivs)
    ivs.set_delay(2.5)
    bot = start_bot("http", IVS_KICK_REGIONS=REGIONS)
    _, trigger_id, response_url = bot.command("lounge viewer42")
    opened = bot.opened_view(trigger_id)
    assert "looking it up" in repr(opened["blocks"])
    assert bot.submit(opened, "spam") is None  # accepted before AWS has said where the room is
    assert "Disconnected viewer42" in bot.wait_reply(response_url, timeout=20)
    assert [c.room_arn for c in ivs.disconnects()] == [LOUNGE]
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    [case] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and (case["room_arn"], case["room_name"], case["status"]) == (LOUNGE, "lounge", "kicked")


def test_a_modal_submitted_for_a_room_that_turns_out_not_to_exist_is_an_invalid_case(start_bot, ivs):
    ivs.set_delay(2.5)
    bot = start_bot("http", IVS_KICK_REGIONS=REGIONS)
    _, trigger_id, response_url = bot.command("nowhere viewer42")
    assert bot.submit(bot.opened_view(trigger_id), "spam") is None
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 2, timeout=20)  # the look-up's case and the submission's
    assert all("No room named “nowhere”" in reply for reply in bot.replies(response_url)) and not ivs.calls
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    cases = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [c["status"] for c in cases] == ["invalid", "invalid"]
    assert [[t["user_id"] for t in c["targets"]] for c in cases] == [["viewer42"], ["viewer42"]]


def test_no_arguments_open_a_form_whose_picker_lists_rooms_and_whose_kick_takes_many_users(start_bot, ivs, mode):
    _rooms(ivs)
    bot = start_bot(mode, IVS_KICK_REGIONS=REGIONS)
    _, trigger_id, response_url = bot.command("")
    form = bot.opened_view(trigger_id)
    assert form["callback_id"] == "ivs_kick_form"

    def options(typed):
        return bot.driver.interaction({
            "type": "block_suggestion", "user": {"id": "U0MOD"}, "team": {"id": "T0000TEST"},
            "api_app_id": "A0000TEST", "token": "x", "action_id": "room", "block_id": "room", "value": typed,
            "view": form,
        })  # fmt: skip

    deadline = time.monotonic() + 10
    while not (answer := options("stage"))["options"] and time.monotonic() < deadline:
        time.sleep(0.05)  # the first request starts the listing; later ones are served from it
    assert {o["value"] for o in answer["options"]} == {STAGE_WEST, STAGE_EU}
    assert "main-stage (us-west-2)" in {o["text"]["text"] for o in answer["options"]}

    payload = submission_payload(form, user_id="U0MOD", reason="raid")
    payload["view"]["state"]["values"].update({
        "room": {"room": {"type": "external_select", "selected_option": answer["options"][0]}},
        "users": {"users": {"type": "plain_text_input", "value": "raider1\nraider2, raider3\nraider1\n"}},
    })  # fmt: skip
    assert bot.driver.interaction(payload) is None
    assert "Disconnected all 3 viewers" in bot.wait_reply(response_url)
    assert sorted(c.user_id for c in ivs.disconnects()) == ["raider1", "raider2", "raider3"]


def test_a_form_with_bad_fields_answers_with_errors_on_each_field(start_bot):
    bot = start_bot("http")
    _, trigger_id, _ = bot.command("")
    payload = submission_payload(bot.opened_view(trigger_id), user_id="U0MOD", reason="r" * 257)
    payload["view"]["state"]["values"]["users"] = {"users": {"type": "plain_text_input", "value": "x" * 129}}
    ack = bot.driver.interaction(payload)
    assert ack["response_action"] == "errors" and set(ack["errors"]) == {"room", "users", "reason"}


def test_a_room_alone_opens_the_form_with_that_room_filled_in(start_bot):
    bot = start_bot("http")
    _, trigger_id, _ = bot.command(ROOM)
    form = bot.opened_view(trigger_id)
    picker = form["blocks"][0]["element"]
    assert picker["initial_option"]["value"] == ROOM


def test_a_raid_kicks_many_at_once_with_mixed_outcomes_reported_as_partial(start_bot, ivs):
    bot = start_bot("http")
    ivs.fail_next("ResourceNotFoundException", times=2)
    ivs.fail_next("ThrottlingException", times=2)  # retried by botocore, then fine
    users = ",".join(f"raider{i}" for i in range(10)) + ",raider3"
    kick = bot.kick(f"{ROOM} {users} raid")
    assert "Viewers (10)" in repr(kick.view["blocks"]) and kick.view["submit"]["text"] == "Kick 10"
    assert "Disconnected 8 of 10 viewers" in kick.reply and "2 room_not_found" in kick.reply
    assert len(ivs.disconnects()) == 8 and len({c.user_id for c in ivs.calls}) == 10
    audit = kick.audit
    assert "Partly kicked" in audit["text"] and "8 of 10" in audit["text"]
    assert "*room_not_found (2)*" in repr(audit["blocks"]) and "*kicked (8)*" in repr(audit["blocks"])


def test_a_raid_too_long_for_slacks_metadata_is_kept_in_the_store_and_reports_progress(start_bot, ivs):
    bot = start_bot("http", IVS_KICK_DISCONNECT_TPS="99")
    users = [f"raider-{i:04d}-xxxxxxxxxx" for i in range(150)]
    _, trigger_id, response_url = bot.command(f"{ROOM} {','.join(users)}")
    view = bot.opened_view(trigger_id)
    assert "raider-" not in view["private_metadata"]  # 150 IDs would not fit Slack's 3000 characters
    store = SqliteCaseStore(bot.process.workdir / "ivs-kick.db")
    draft = store.load_draft(json.loads(view["private_metadata"])["draft"], datetime.now(timezone.utc))
    store.close()
    assert draft is not None and json.loads(draft) == users
    bot.submit(view, "raid")
    bot.slack.wait_for(lambda: any("Case #1" in r for r in bot.replies(response_url)), timeout=30)
    replies = [p.body for p in bot.slack.posted_responses if p.url == response_url]
    assert "Kicking 150 viewers" in replies[0]["text"] and bot.slack.refused_responses == []  # five posts at most
    assert "Disconnected all 150 viewers" in replies[-1]["text"] and replies[-1]["replace_original"] is True
    assert sorted(c.user_id for c in ivs.disconnects()) == sorted(users)
    seconds = ivs.disconnects()[-1].at - ivs.disconnects()[0].at
    assert seconds >= 149 / 99 * 0.95  # paced below the account's 100 per second
