"""Bans and timeouts end to end, in both modes: the Ban select of the confirmation, `ban` and `timeout`, rooms `*`,
raids, a ban replacing another, failures, and who may; each leaves its ban in the store the enforcers read."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

from bot.store.bans import SqliteBanReader
from bot.store.sqlite import SqliteCaseStore
from rig.drive import select_payload, submission_payload
from rig.world import AUDIT_CHANNEL, ROOM, ROOM_EU, BotProcess

NOBODY = "U0NOBODY"  # not a moderator


def ban_on(bot, room: str, user: str):
    """The ban the review handler would find for `user` in `room` now, read from the bot's SQLite file."""
    return SqliteBanReader(str(bot.process.workdir / "ivs-kick.db")).ban_on(room, user, datetime.now(timezone.utc))


def active_bans(bot):
    return SqliteCaseStore(bot.process.workdir / "ivs-kick.db").active_bans(datetime.now(timezone.utc))


def exported(bot, *args: str) -> str:
    code, out, err = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export", *args)
    assert code == 0, err
    return out


def _relabels(bot):
    """The views.update calls that relabeled a confirmation after its Ban select changed (not those that showed
    what the room's look-up found, such as a warning that the room has no review handler)."""
    return [c for c in bot.slack.calls_to("views.update") if c.params["view"]["title"]["text"] != "Kick from IVS Chat"]


def _select(view, block_id="ban"):
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]


def test_a_kick_whose_ban_select_says_one_hour_is_a_timeout_on_record_and_in_the_store(bot):
    kick = bot.kick(f"{ROOM} viewer42 spam", ban="1h")

    [call] = bot.ivs.disconnects()
    assert (call.room_arn, call.user_id, call.reason) == (ROOM, "viewer42", "spam")
    ban = ban_on(bot, ROOM, "viewer42")
    assert ban is not None and ban.expires_at - ban.created_at == timedelta(hours=1) and ban.created_by == "U0MOD"
    assert kick.reply.startswith(f":white_check_mark: Case #{ban.case_number}: Timeout (1 hour): `viewer42` banned")
    assert "until <!date^" in kick.reply and call.request_id in kick.reply
    audit = kick.audit["text"] + repr(kick.audit["blocks"])
    assert "Timeout (1 hour)" in audit and "disconnected and banned until <!date^" in audit
    assert "{date_short_pretty} at {time}|" in audit and " UTC>" in audit
    assert [row["action"] for row in csv.DictReader(io.StringIO(exported(bot, "--format", "csv")))] == ["ban"]


def test_ban_opens_the_same_confirmation_preset_to_permanently_and_bans_for_good(bot):
    kick = bot.kick(f"ban {ROOM} troll_42 slurs")

    assert (kick.view["title"]["text"], kick.view["submit"]["text"]) == ("Ban from IVS Chat", "Ban")
    assert _select(kick.view)["initial_option"]["text"]["text"] == "Permanently"
    ban = ban_on(bot, ROOM, "troll_42")
    assert ban is not None and ban.expires_at is None
    assert [c.user_id for c in bot.ivs.disconnects()] == ["troll_42"]
    assert "Ban*: `troll_42` disconnected and banned permanently" in kick.audit["blocks"][0]["text"]["text"]
    [case] = [json.loads(line) for line in exported(bot).splitlines()]
    assert (case["action"], case["banned_until"], case["status"]) == ("ban", None, "kicked")


def test_timeout_of_a_length_the_select_does_not_list_gets_its_own_option(bot):
    kick = bot.kick(f"timeout {ROOM} troll_42 90m flooding")

    assert (kick.view["title"]["text"], kick.view["submit"]["text"]) == ("Time out in IVS Chat", "Time out")
    select = _select(kick.view)
    assert select["initial_option"]["text"]["text"] == "90 minutes"
    assert [o["text"]["text"] for o in select["options"]] == [
        "No, kick only", "90 minutes", "10 minutes", "1 hour", "24 hours", "7 days", "Permanently",
    ]  # fmt: skip
    ban = ban_on(bot, ROOM, "troll_42")
    assert ban.expires_at - ban.created_at == timedelta(minutes=90)
    [case] = [json.loads(line) for line in exported(bot).splitlines()]
    assert datetime.fromisoformat(case["banned_until"]) == ban.expires_at and case["reason"] == "flooding"


def test_bad_and_missing_durations_name_the_field_and_are_invalid_cases(bot):
    for number, (text, expected) in enumerate(
        (
            (f"timeout {ROOM} troll_42 5x spam", "Duration must be a number followed by m, h, d or w"),
            (f"timeout {ROOM} troll_42", "Duration is missing: give a number followed by m, h, d or w"),
            (f"timeout {ROOM} troll_42 91d", "Duration must be from 1 minute to 90 days; got “91d”."),
            (f"timeout {ROOM} troll_42 30s", "Duration must be from 1 minute to 90 days; got “30s”."),
        ),
        start=1,
    ):
        ack, _, _ = bot.command(text)
        assert ack["text"].startswith(f":warning: Case #{number}: {expected}"), ack["text"]
        assert f"The attempt is on record and will be shown in <#{AUDIT_CHANNEL}>." in ack["text"]
    assert not bot.slack.calls_to("views.open") and not bot.ivs.calls
    cases = [json.loads(line) for line in exported(bot).splitlines()]
    assert [(c["action"], c["status"]) for c in cases] == [("ban", "invalid")] * 4


def test_the_shortest_timeout_comes_from_the_setting(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_SHORTEST_TIMEOUT="5s")
    ack, _, _ = bot.command(f"timeout {ROOM} troll_42 4s")
    assert "Duration must be from 5 seconds to 90 days; got “4s”." in ack["text"]
    kick = bot.kick(f"timeout {ROOM} troll_42 5s")
    assert _select(kick.view)["initial_option"]["value"] == "5s"
    ban = ban_on(bot, ROOM, "troll_42")
    assert ban.expires_at - ban.created_at == timedelta(seconds=5)


def test_changing_the_ban_select_relabels_the_open_confirmation_and_keeps_what_was_typed(bot):
    # Known from a first kick, the room is not looked up again: no update of the dialog races the select's.
    bot.kick(f"{ROOM} warm_up")
    _, trigger_id, response_url = bot.command(f"{ROOM} raider1,raider2 raid")
    opened = bot.opened_view(trigger_id)
    assert opened["submit"]["text"] == "Kick 2"
    payload = select_payload(opened, user_id="U0MOD", block_id="ban", value="7d", trigger_id=bot.slack.new_trigger_id())
    payload["view"]["state"]["values"]["reason"] = {"reason": {"type": "plain_text_input", "value": "raid, edited"}}
    assert bot.driver.interaction(payload) is None
    bot.slack.wait_for(lambda: _relabels(bot), timeout=10)
    [update] = _relabels(bot)
    view = update.params["view"]
    assert (view["title"]["text"], view["submit"]["text"]) == ("Time out in IVS Chat", "Time out 2")
    assert _select(view)["initial_option"]["value"] == "7d"
    assert _select(view, "reason")["initial_value"] == "raid, edited"

    bot.submit({**update.response["view"], "id": opened["id"]}, "raid, edited")
    assert "Timeout (1 week)" in bot.wait_reply(response_url)
    for user in ("raider1", "raider2"):
        ban = ban_on(bot, ROOM, user)
        assert ban.expires_at - ban.created_at == timedelta(days=7)


def test_a_ban_on_every_room_disconnects_in_each_room_the_bot_knows_and_holds_in_any(start_bot, ivs, mode):
    bot = start_bot(mode, IVS_KICK_REGIONS="us-west-2,eu-central-1")
    kick = bot.kick("ban * troll_42 raid")

    assert "Every room" in repr(kick.view["blocks"])
    assert "No, kick only" not in repr(_select(kick.view)["options"])
    assert sorted(c.room_arn for c in ivs.disconnects()) == sorted([ROOM, ROOM_EU])
    ban = ban_on(bot, ROOM_EU, "troll_42")
    assert ban is not None and ban.room == "*" and ban_on(bot, ROOM, "troll_42") == ban
    audit = repr(kick.audit["blocks"])
    assert "every room (*)" in audit and "disconnected from the 2 rooms the bot knows" in audit
    assert "every room" in kick.reply and "Disconnected troll_42 from 2 rooms." in kick.reply
    [case] = [json.loads(line) for line in exported(bot).splitlines()]
    assert (case["room_arn"], case["action"]) == ("*", "ban")


def test_a_kick_needs_one_room(bot):
    ack, _, _ = bot.command("* troll_42 spam")
    assert ack["text"].startswith(":warning: Case #1: Room must be one room for a kick: * (every room) is for ban")
    assert not bot.slack.calls_to("views.open") and not bot.ivs.calls


def test_a_raid_banned_at_once_has_a_ban_each_and_one_case(bot):
    kick = bot.kick(f"ban {ROOM} raider1, raider2, raider3 raid")

    assert kick.view["submit"]["text"] == "Ban 3"
    assert sorted(b.user_id for b in active_bans(bot)) == ["raider1", "raider2", "raider3"]
    assert {b.case_number for b in active_bans(bot)} == {1}
    assert "all 3 viewers disconnected and banned permanently" in kick.audit["blocks"][0]["text"]["text"]
    assert "all 3 viewers banned from" in kick.reply and "Disconnected all 3 viewers." in kick.reply


def test_a_ban_that_replaces_one_in_force_says_so_and_leaves_one_ban(start_bot):
    bot = start_bot("http")
    bot.kick(f"timeout {ROOM} troll_42 1h first")
    kick = bot.kick(f"ban {ROOM} troll_42 again")

    assert "Replaces the ban of case #1 (until " in kick.reply and " UTC)." in kick.reply
    assert "Replaces the ban of case #1" in repr(kick.audit["blocks"])
    [ban] = active_bans(bot)
    assert (ban.case_number, ban.expires_at) == (2, None)


def test_a_ban_whose_disconnect_fails_still_holds_and_says_exactly_that(start_bot, ivs):
    bot = start_bot("http")
    ivs.fail_next("AccessDeniedException")
    kick = bot.kick(f"ban {ROOM} troll_42")

    assert kick.reply.startswith(":warning: Case #1: Ban: `troll_42` banned from ")
    assert "AWS denied ivschat:DisconnectUser" in kick.reply
    headline = kick.audit["blocks"][0]["text"]["text"]
    assert "Ban, not disconnected* (access_denied)" in headline and "but IVS Chat did not disconnect them" in headline
    assert ban_on(bot, ROOM, "troll_42") is not None


def test_someone_not_a_moderator_is_refused_at_the_command_and_at_the_submission(bot):
    _, _, response_url = bot.command(f"ban {ROOM} troll_42", user=NOBODY)
    assert "you are not an IVS Chat moderator" in bot.wait_reply(response_url)
    assert not bot.slack.calls_to("views.open")

    kick = bot.kick(f"timeout {ROOM} troll_42 1h", submitter=NOBODY)  # a moderator's modal, submitted by another
    assert kick.reply.startswith(":no_entry: Case #2: Nothing was done: you are not an IVS Chat moderator")
    assert not bot.ivs.calls and not active_bans(bot)
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 2, timeout=15)
    assert all("Ban refused" in p["text"] or "Timeout (1 hour) refused" in p["text"] for p in bot.audit_posts())


def _cost(bot, act) -> tuple[list[str], list[str]]:
    """The IVS Chat operations and the Slack calls (Web API methods, and `response_url` for each reply) `act`
    made once the room is known."""
    requests, calls, replies = len(bot.ivs.requests), len(bot.slack.calls), len(bot.slack.posted_responses)
    act()
    bot.slack.wait_for(lambda: len(bot.audit_posts()) >= 2, timeout=15)
    aws = [r.operation for r in bot.ivs.requests[requests:]]
    slack = [c.method for c in bot.slack.calls[calls:]] + ["response_url"] * (len(bot.slack.posted_responses) - replies)
    return aws, sorted(slack)


def test_a_ban_costs_what_a_kick_costs_one_disconnect_and_three_slack_calls(bot):
    bot.kick(f"{ROOM} warm_up")  # the room's first use looks its name up (GetRoom) and caches it
    aws, slack = _cost(bot, lambda: bot.kick(f"ban {ROOM} troll_42 spam"))
    assert aws == ["DisconnectUser"] and slack == ["chat.postMessage", "response_url", "views.open"]


def test_a_ban_chosen_by_changing_the_select_costs_one_views_update_more(bot):
    bot.kick(f"{ROOM} warm_up")

    def ban_by_select():
        _, trigger_id, response_url = bot.command(f"{ROOM} troll_42")
        opened = bot.opened_view(trigger_id)
        trigger = bot.slack.new_trigger_id()
        bot.driver.interaction(select_payload(opened, user_id="U0MOD", block_id="ban", value="24h", trigger_id=trigger))
        bot.slack.wait_for(lambda: _relabels(bot), timeout=10)
        [update] = _relabels(bot)
        bot.submit({**update.response["view"], "id": opened["id"]}, None)
        bot.wait_reply(response_url)

    aws, slack = _cost(bot, ban_by_select)
    assert aws == ["DisconnectUser"] and slack == ["chat.postMessage", "response_url", "views.open", "views.update"]


def test_the_forms_ban_select_relabels_it_and_bans_whom_it_names(start_bot, mode):
    bot = start_bot(mode)
    _, trigger_id, response_url = bot.command("")
    form = bot.opened_view(trigger_id)
    assert (form["submit"]["text"], _select(form)["initial_option"]["value"]) == ("Kick", "kick")
    trigger = bot.slack.new_trigger_id()
    bot.driver.interaction(select_payload(form, user_id="U0MOD", block_id="ban", value="permanent", trigger_id=trigger))
    [update] = bot.slack.wait_for_calls("views.update", timeout=10)
    assert (update.params["view"]["title"]["text"], update.params["view"]["submit"]["text"]) == (
        "Ban from IVS Chat", "Ban",
    )  # fmt: skip

    payload = submission_payload({**update.response["view"], "id": form["id"]}, user_id="U0MOD", reason="raid")
    payload["view"]["state"]["values"].update({
        "room": {"room": {"type": "external_select", "selected_option": {"text": {"type": "plain_text", "text": "r"},
                                                                         "value": ROOM}}},
        "users": {"users": {"type": "plain_text_input", "value": "raider1\nraider2"}},
    })  # fmt: skip
    assert bot.driver.interaction(payload) is None
    assert "Ban: all 2 viewers banned from" in bot.wait_reply(response_url)
    assert sorted((b.user_id, b.expires_at) for b in active_bans(bot)) == [("raider1", None), ("raider2", None)]
