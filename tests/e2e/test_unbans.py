"""Unbans and the list of bans in force, end to end in both modes: `unban` and the Unban button each confirm, check
the role again and end the ban in the store; `bans` lists what holds, newest first; and only moderators may."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3

from bot.review import Reviewer
from bot.store.bans import DynamoBanReader
from rig.drive import INVOKED_IN, button_payload
from rig.world import ROOM, ROOM_EU, BotProcess

from .test_bans import NOBODY, active_bans, ban_on
from .test_dynamodb_store import TABLE, dynamodb_env  # noqa: F401 (a fixture)

UNBAN_BUTTON = "ivs_kick_unban_button"


def _cases(bot) -> list[dict]:
    code, out, err = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _listed(bot, text: str = "bans", user: str = "U0MOD") -> dict:
    """The private reply to a `bans` command, as Slack got it."""
    ack, _, response_url = bot.command(text, user=user)
    assert ack is None
    bot.wait_reply(response_url)
    return next(p.body for p in bot.slack.posted_responses if p.url == response_url)


def _click_unban(bot, listing: dict, user_id: str, user: str = "U0MOD") -> tuple[str, str]:
    """Press the Unban button of `user_id`'s line in a listing; the click's trigger ID and response URL."""
    [button] = [b["accessory"] for b in listing["blocks"] if b.get("accessory") and f"`{user_id}`" in b["text"]["text"]]
    trigger_id, response_url = bot.slack.new_trigger_id(), bot.slack.new_response_url()
    message = {"ts": "1700000000.000100", "text": listing["text"], "blocks": listing["blocks"]}
    bot.driver.interaction(
        button_payload(
            message, INVOKED_IN, user_id=user, action_id=UNBAN_BUTTON, value=button["value"], trigger_id=trigger_id,
            response_url=response_url,
        )
    )  # fmt: skip
    return trigger_id, response_url


def test_unban_confirms_then_ends_the_ban_on_record(bot):
    bot.kick(f"ban {ROOM} troll_42 slurs")
    unban = bot.kick(f"unban {ROOM} troll_42 appealed")

    assert (unban.view["title"]["text"], unban.view["submit"]["text"]) == ("Unban in IVS Chat", "Unban")
    assert unban.reply.startswith(":white_check_mark: Case #2: Unban: `troll_42` may chat again in ")
    assert "Ended the ban of case #1 (permanently)." in unban.reply
    assert "Unban*: `troll_42` may chat again in" in unban.audit["blocks"][0]["text"]["text"]
    assert ban_on(bot, ROOM, "troll_42") is None and len(bot.ivs.disconnects()) == 1  # an unban asks AWS nothing
    assert [(c["action"], c["status"], c["reason"]) for c in _cases(bot)][1] == ("unban", "done", "appealed")


def test_an_unban_that_finds_no_ban_is_a_failed_case_saying_so(bot):
    unban = bot.kick(f"unban {ROOM} nobody_banned")

    assert unban.reply.startswith(
        f":x: Case #1: The unban changed nothing: There was no ban in force for nobody_banned in {ROOM}"
    )
    assert "Unban failed* (not_banned)" in unban.audit["blocks"][0]["text"]["text"]
    assert [(c["action"], c["status"]) for c in _cases(bot)] == [("unban", "failed")]


def test_unbanning_one_room_of_a_viewer_banned_in_every_room_says_how_to_lift_it(start_bot):
    bot = start_bot("http", IVS_KICK_REGIONS="us-west-2")
    bot.kick("ban * troll_42")
    unban = bot.kick(f"unban {ROOM} troll_42")
    assert "They are banned in every room by case #1 (permanently): unban them with the room * to lift it." in (
        unban.reply
    )
    assert ban_on(bot, ROOM, "troll_42") is not None
    assert bot.kick("unban * troll_42").reply.startswith(":white_check_mark: Case #3: Unban: `troll_42` may chat")
    assert ban_on(bot, ROOM, "troll_42") is None


def test_bans_lists_what_holds_newest_first_and_its_unban_button_confirms_and_unbans(bot):
    bot.kick(f"ban {ROOM} first_banned one")
    bot.kick(f"timeout {ROOM_EU} second_banned 1h two")
    bot.kick("ban * third_banned three")

    listing = _listed(bot)
    lines = [b["text"]["text"] for b in listing["blocks"]]
    assert lines[0] == "*3 bans in force in any room* (newest first)"
    assert [line.split(" · ")[1] for line in lines[1:]] == ["`third_banned`", "`second_banned`", "`first_banned`"]
    assert lines[1].startswith("*every room* (`*`)") and "permanently · by <@U0MOD> · case #3 · three" in lines[1]
    assert lines[2].startswith(f"*{ROOM_EU}*") and "until <!date^" in lines[2] and "case #2 · two" in lines[2]
    assert all(b["accessory"]["text"]["text"] == "Unban" for b in listing["blocks"][1:])
    assert [b["text"]["text"].split(" · ")[1] for b in _listed(bot, "bans *")["blocks"][1:]] == ["`third_banned`"]
    in_room = [b["text"]["text"].split(" · ")[1] for b in _listed(bot, f"bans {ROOM}")["blocks"][1:]]
    assert in_room == ["`third_banned`", "`first_banned`"]

    trigger_id, response_url = _click_unban(bot, listing, "second_banned")
    modal = bot.opened_view(trigger_id)
    assert modal["callback_id"] == "ivs_kick_unban" and "second_banned" in repr(modal["blocks"])
    bot.submit(modal, "served")
    assert "Ended the ban of case #2 (until " in bot.wait_reply(response_url)
    assert sorted(b.user_id for b in active_bans(bot)) == ["first_banned", "third_banned"]


def test_no_bans_in_force_says_so(bot):
    assert _listed(bot, "bans *")["text"] == "No bans in force on every room (`*`)."


def test_only_moderators_list_unban_or_click_unban_and_each_refusal_of_an_unban_is_on_record(bot):
    bot.kick(f"ban {ROOM} troll_42")
    assert _listed(bot, user=NOBODY)["text"].startswith(":no_entry: Sorry, you are not an IVS Chat moderator")

    _, _, response_url = bot.command(f"unban {ROOM} troll_42", user=NOBODY)
    assert bot.wait_reply(response_url).startswith(":no_entry: Case #2: Nothing was done: you are not an IVS Chat")

    _, response_url = _click_unban(bot, _listed(bot), "troll_42", user=NOBODY)
    assert bot.wait_reply(response_url).startswith(":no_entry: Case #3: Nothing was done: you are not an IVS Chat")

    submitted = bot.kick(f"unban {ROOM} troll_42", submitter=NOBODY)  # a moderator's confirmation, another's click
    assert submitted.reply.startswith(":no_entry: Case #4: Nothing was done: you are not an IVS Chat moderator")

    assert ban_on(bot, ROOM, "troll_42") is not None
    assert [(c["action"], c["status"]) for c in _cases(bot)][1:] == [("unban", "refused")] * 3
    assert len(bot.slack.calls_to("views.open")) == 2  # the ban's and the last unban's: never for a refused one


def test_a_timeout_listed_and_lifted_with_the_dynamodb_store(start_bot, dynamodb_env):  # noqa: F811
    bot = start_bot("http", **dynamodb_env)
    bot.kick(f"timeout {ROOM} troll_42 1h spam")
    reader = DynamoBanReader(
        TABLE,
        boto3.client(
            "dynamodb", region_name="us-east-1", endpoint_url=dynamodb_env["AWS_ENDPOINT_URL_DYNAMODB"],
            aws_access_key_id="AKIDIVSKICKTEST", aws_secret_access_key="unused-by-moto",
        ),
    )  # fmt: skip
    ban = reader.ban_on(ROOM, "troll_42", datetime.now(timezone.utc))
    assert ban is not None and ban.expires_at - ban.created_at == timedelta(hours=1)
    assert "`troll_42`" in _listed(bot)["blocks"][1]["text"]["text"]
    assert "Ended the ban of case #1 (until " in bot.kick(f"unban {ROOM} troll_42").reply
    assert reader.ban_on(ROOM, "troll_42", datetime.now(timezone.utc)) is None
    assert _listed(bot)["text"] == "No bans in force in any room."


def test_what_moderators_do_in_slack_is_what_the_review_handler_enforces(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_REGIONS="us-west-2,eu-central-1")
    reviewer = Reviewer({"IVS_KICK_STORE": "sqlite", "IVS_KICK_DB": str(bot.process.workdir / "ivs-kick.db")})

    def review(room: str) -> str:
        event = {"Content": "hi", "MessageId": "m1", "RoomArn": room, "Attributes": {},
                 "Sender": {"UserId": "troll_42", "Ip": "203.0.113.7", "Attributes": {}}}  # fmt: skip
        return reviewer.review(event)["ReviewResult"]

    bot.kick(f"timeout {ROOM} troll_42 1h spam")
    assert (review(ROOM), review(ROOM_EU)) == ("DENY", "ALLOW")
    bot.kick("ban * troll_42 again")
    assert (review(ROOM), review(ROOM_EU)) == ("DENY", "DENY")
    bot.kick("unban * troll_42")
    assert (review(ROOM), review(ROOM_EU)) == ("DENY", "ALLOW")
    bot.kick(f"unban {ROOM} troll_42")
    assert (review(ROOM), review(ROOM_EU)) == ("ALLOW", "ALLOW")
