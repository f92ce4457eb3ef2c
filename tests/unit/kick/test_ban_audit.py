"""Ban, timeout, unban and timeout-end cases as audit posts, history lines and replies (pure rendering)."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.kick.audit import EDIT_REASON_ACTION, audit_record, kind, slack_date
from bot.kick.cases import Action, Case, Status, Target
from bot.look_back import history_message
from bot.messages import moderator_reply
from rig.fakes.slack import message_problems

ROOM = "arn:aws:ivschat:eu-west-1:123456789012:room/g1H2I3j4k5L6"
AT = datetime(2026, 12, 4, 16, 0, tzinfo=timezone.utc)
HOUR_LATER = AT + timedelta(hours=1)


def ban_case(**overrides) -> Case:
    fields = dict(
        number=42, created_at=AT, moderator_id="U0MOD", team_id="T0", channel_id="C0CHAN", status=Status.KICKED,
        room_arn=ROOM, reason="spam", action=Action.BAN, banned_until=HOUR_LATER,
        targets=(Target("viewer42", "kicked", f"Disconnected viewer42 from {ROOM}.", "req-123"),),
    )  # fmt: skip
    return Case(**(fields | overrides))


def _everything(record) -> str:
    return record.text + repr(record.blocks)


def test_slack_dates_show_each_readers_zone_with_a_utc_fallback():
    assert slack_date(HOUR_LATER) == (
        f"<!date^{int(HOUR_LATER.timestamp())}^{{date_short_pretty}} at {{time}}|2026-12-04 17:00 UTC>"
    )


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({}, "Timeout (1 hour)"),
        ({"banned_until": None}, "Ban"),
        ({"banned_until": AT + timedelta(days=14)}, "Timeout (2 weeks)"),
        ({"action": Action.UNBAN, "banned_until": None}, "Unban"),
        ({"action": Action.BAN_ENDED}, "Timeout ended"),
        ({"action": Action.KICK, "banned_until": None}, "Kick"),
    ],
)
def test_each_kind_is_named(overrides, named):
    assert kind(ban_case(**overrides)) == named


def test_a_timeouts_post_says_the_kind_room_user_until_when_who_and_why():
    record = audit_record(ban_case())
    headline = record.blocks[0]["text"]["text"]
    assert headline == (
        ":no_entry_sign: *Case #42 · Timeout (1 hour)*: `viewer42` disconnected and banned until "
        + slack_date(HOUR_LATER)
    )
    fields = [f["text"] for f in record.blocks[1]["fields"]]
    assert f"*Action*\nTimeout (1 hour)\nuntil {slack_date(HOUR_LATER)}" in fields
    assert f"*Room*\n{ROOM}" in fields and "*Region*\neu-west-1" in fields and "*Moderator*\n<@U0MOD>" in fields
    assert "*Reason*\nspam" in fields and EDIT_REASON_ACTION in repr(record.blocks)
    assert record.text.startswith(":no_entry_sign: Case #42 · Timeout (1 hour): `viewer42` disconnected and banned")
    assert "2026-12-04 17:00 UTC" in record.text and not message_problems(vars(record))


def test_a_ban_on_every_room_names_no_region_and_tells_the_rooms_it_disconnected_from():
    record = audit_record(
        ban_case(room_arn="*", banned_until=None, detail="Banned in every room; disconnected from the 3 rooms.")
    )
    fields = [f["text"] for f in record.blocks[1]["fields"]]
    assert "*Room*\nevery room (*)" in fields and not any(f.startswith("*Region*") for f in fields)
    assert "*Action*\nBan\npermanently" in fields
    assert record.blocks[-2]["elements"][0]["text"].startswith("Banned in every room; disconnected from the 3 rooms.")
    assert " in every room (*);" in record.text


def test_a_ban_that_failed_to_disconnect_says_the_ban_holds_and_what_aws_said():
    record = audit_record(
        ban_case(status=Status.FAILED, targets=(Target("viewer42", "access_denied", "AWS denied it <!here>"),))
    )
    assert (
        "Timeout (1 hour), not disconnected* (access_denied): `viewer42` banned until"
        in record.blocks[0]["text"]["text"]
    )
    assert "AWS denied it &lt;!here&gt;" in repr(record.blocks) and "<!here>" not in _everything(record)


def test_a_raid_ban_lists_problems_and_replaced_bans_but_not_each_plain_disconnect():
    targets = (
        Target("a", "kicked", "Disconnected a."),
        Target("b", "kicked", "Disconnected b. Replaces the ban of case #7 (permanently)."),
        Target("c", "room_not_found", "No room."),
    )
    record = audit_record(ban_case(status=Status.PARTIAL, targets=targets))
    assert (
        "all 3 viewers banned until" in record.blocks[0]["text"]["text"]
        and "2 of 3 disconnected" in (record.blocks[0]["text"]["text"])
    )
    detail = record.blocks[-2]["elements"][0]["text"]
    assert "Replaces the ban of case #7" in detail and "No room." in detail and "Disconnected a." not in detail


@pytest.mark.parametrize(
    ("overrides", "headline"),
    [
        ({"status": Status.REFUSED, "targets": (Target("viewer42", "refused"),), "detail": "not a moderator"},
         "Timeout (1 hour) refused*: `viewer42` not banned"),
        ({"status": Status.INVALID, "banned_until": None, "targets": ()}, "Invalid ban request*: nothing was done"),
        ({"status": Status.INVALID, "targets": ()}, "Invalid timeout request*: nothing was done"),
        ({"status": Status.INTERRUPTED}, "Timeout (1 hour): outcome unknown*: `viewer42` may or may not have been"),
        ({"status": Status.PENDING}, "Timeout (1 hour) in progress*: `viewer42`"),
        ({"action": Action.UNBAN, "banned_until": None, "status": Status.DONE,
          "targets": (Target("viewer42", "unbanned", "Ended the ban of case #7 (permanently)."),)},
         f":unlock: *Case #42 · Unban*: `viewer42` may chat again in {ROOM}"),
        ({"action": Action.UNBAN, "banned_until": None, "status": Status.FAILED,
          "targets": (Target("viewer42", "not_banned", "There was no ban in force."),)},
         "Unban failed* (not_banned): `viewer42` had no ban in force"),
        ({"action": Action.UNBAN, "banned_until": None, "status": Status.REFUSED,
          "targets": (Target("viewer42", "refused"),)}, "Unban refused*: `viewer42` not unbanned"),
        ({"action": Action.BAN_ENDED, "status": Status.DONE, "room_arn": "*",
          "targets": (Target("viewer42"),), "detail": "The timeout set in case #7 ran out."},
         ":hourglass_flowing_sand: *Case #42 · Timeout ended*: `viewer42` may chat again in every room (*)"),
    ],
)  # fmt: skip
def test_every_kind_and_outcome_has_its_headline(overrides, headline):
    assert headline in audit_record(ban_case(**overrides)).blocks[0]["text"]["text"]


def test_a_timeouts_end_names_when_it_ended_and_keeps_the_edit_reason_button():
    record = audit_record(
        ban_case(action=Action.BAN_ENDED, status=Status.DONE, targets=(Target("viewer42"),),
                 detail="The timeout set in case #7 ran out.")
    )  # fmt: skip
    fields = [f["text"] for f in record.blocks[1]["fields"]]
    assert f"*Action*\nTimeout ended\nended {slack_date(HOUR_LATER)}" in fields
    assert "The timeout set in case #7 ran out." in repr(record.blocks) and EDIT_REASON_ACTION in repr(record.blocks)


def test_history_lines_name_the_kind_and_until_when():
    cases = [
        ban_case(),
        ban_case(number=43, room_arn="*", banned_until=None),
        ban_case(number=44, action=Action.UNBAN, status=Status.DONE, banned_until=None),
        ban_case(number=45, action=Action.KICK, banned_until=None),
    ]
    lines = history_message("IVS user viewer42", cases, [None] * 4)["blocks"][0]["text"]["text"].splitlines()[1:]
    assert f"· *Timeout (1 hour)* until {slack_date(HOUR_LATER)} · *kicked* ·" in lines[0]
    assert "· *Ban* permanently · *kicked* · `viewer42` · every room ·" in lines[1]
    assert "· *Unban* · *done* · `viewer42` · room g1H2I3j4k5L6 ·" in lines[2]
    assert "· *kicked* · `viewer42` · room g1H2I3j4k5L6 ·" in lines[3] and "Kick" not in lines[3]


def test_the_moderator_is_told_what_holds_and_what_ivs_chat_did():
    reply = moderator_reply(ban_case(), "C0AUDIT", None)
    assert reply.startswith(
        f":white_check_mark: Case #42: Timeout (1 hour): `viewer42` banned from {ROOM} until {slack_date(HOUR_LATER)}. "
        f"Disconnected viewer42 from {ROOM}. (AWS request ID req-123)"
    )
    failed = moderator_reply(
        ban_case(status=Status.FAILED, targets=(Target("v&1", "throttled", "<!channel>"),)), "C0A", None
    )
    assert failed.startswith(":warning: Case #42: Timeout (1 hour): `v&amp;1` banned") and "&lt;!channel&gt;" in failed
    unban = ban_case(action=Action.UNBAN, status=Status.DONE, room_arn="*",
                     targets=(Target("viewer42", "unbanned", "Ended the ban of case #7 (permanently)."),))  # fmt: skip
    assert moderator_reply(unban, "C0AUDIT", None).startswith(
        ":white_check_mark: Case #42: Unban: `viewer42` may chat again in every room. Ended the ban of case #7"
    )


def test_the_list_of_bans_and_the_unban_confirmation_never_carry_a_live_mention():
    from bot.ban_messages import bans_message, scope_text, unban_modal, unban_target
    from bot.kick.bans import Ban
    from bot.kick.request import UnbanOrder
    from bot.messages import ModalContext

    hostile = "<!channel>`x`<@U0LEAD>"
    bans = [Ban(ROOM, hostile, 7, "U0MOD", AT, HOUR_LATER), Ban("*", "viewer42", 8, "<!here>", AT)]
    message = bans_message(scope_text(ROOM, "<!everyone>"), bans, lambda arn: "<#C0GENERAL>", lambda n: hostile)
    shown = message["text"] + repr([b["text"] for b in message["blocks"]])
    assert "<!" not in shown.replace("<!date^", "") and "<@U0LEAD>" not in shown and "<#C0GENERAL>" not in shown
    assert "&lt;!channel&gt;" in shown and "*every room* (`*`)" in shown and "by &lt;!here&gt;" in shown
    assert unban_target(message["blocks"][1]["accessory"]["value"]) == (ROOM, hostile)
    assert unban_target("not json") is None and unban_target('{"room": 1}') is None

    context = ModalContext(ROOM, ROOM, None, (hostile,), "C0CHAN", None, count=1)
    modal = unban_modal(UnbanOrder(ROOM, hostile, hostile), None, context)
    rendered = repr([b for b in modal["blocks"] if b["type"] != "input"])
    assert "<!channel>" not in rendered and "&lt;!channel&gt;ˋxˋ&lt;@U0LEAD&gt;" in rendered


def test_a_posts_text_keeps_every_asterisk_of_a_user_id_and_of_every_room():
    """The text of a post (what a notification shows) leaves out the headline's bold markers only: a viewer `tro*ll`
    must not read as `troll`, nor a viewer `*` as nothing, nor every room (*) as "every room ()"."""
    ban = audit_record(ban_case(room_arn="*", banned_until=None, targets=(Target("tro*ll", "kicked"),)))
    assert ban.text.startswith(":no_entry_sign: Case #42 · Ban: `tro*ll` disconnected and banned permanently")
    ended = ban_case(action=Action.BAN_ENDED, status=Status.DONE, room_arn="*", targets=(Target("*"),))
    assert audit_record(ended).text.startswith(
        ":hourglass_flowing_sand: Case #42 · Timeout ended: `*` may chat again in every room (*)"
    )
