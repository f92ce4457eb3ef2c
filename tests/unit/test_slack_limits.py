"""Every surface the bot builds, with the worst inputs it accepts, within every limit Slack documents.

Worst cases: 500 user IDs of 128 characters (each `&`, five characters once escaped), 256-character reasons of
the same, room names of 128, a history of 50 bulk cases, a case amended 50 times, 100 rooms in the picker.
Slack's own checks are the fake's (rig/fakes/slack.py), which answer as Slack does; the checks below it
(message `text` within the 4,000 characters Slack advises, "… and N more") are the bot's own promises.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from bot.ban_messages import bans_message, scope_text, unban_modal
from bot.ban_select import relabeled
from bot.kick.audit import audit_record, summary_record
from bot.kick.bans import PERMANENT, Ban, Term
from bot.kick.cases import Action, Amendment, AuditPost, Case, Status, Target
from bot.kick.request import KickOrder, UnbanOrder
from bot.kick.rooms import Ambiguous, Room
from bot.look_back import case_message, history_message
from bot.messages import (
    ModalContext,
    edit_reason_modal,
    kick_form,
    kick_modal,
    moderator_reply,
    notice_modal,
    on_record,
    problem,
    progress_message,
    room_option,
    room_problem,
    usage,
)
from bot.slack_limits import MESSAGE_TEXT, clip_mrkdwn, listing
from rig.fakes.slack import message_problems, modal_problems, options_problems

AT = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
ROOM = Room("arn:aws:ivschat:ap-northeast-1:123456789012:room/" + "R" * 12, "&" * 128)
IDS = tuple(f"{i:03d}" + "&" * 125 for i in range(500))  # 128 characters, 628 once escaped
REASON = "&" * 256
RESPONSE_URL = "https://hooks.slack.com/commands/T0000TEST/1234567890123/" + "x" * 24
RESULTS = ("kicked", "not_found", "throttled", "access_denied")


def bulk_case(number: int, status: Status = Status.PARTIAL, amendments: int = 1, **kind: Any) -> Case:
    targets = tuple(
        Target(user, RESULTS[i % len(RESULTS)], f"IVS Chat said {'&' * 200} about {user}.", f"req-{i}")
        for i, user in enumerate(IDS)
    )
    return Case(
        number=number, created_at=AT, moderator_id="U0MOD", team_id="T0", channel_id="C0CHAN", status=status,
        room_arn=ROOM.arn, room_name=ROOM.name, reason=REASON, targets=targets, detail="&" * 500,
        command_text=f"{ROOM.arn} {','.join(IDS)} {REASON}", audit_post=AuditPost("C0AUDIT", "1700000000.000100"),
        audit_error="&" * 300,
        amendments=tuple(Amendment(AT + timedelta(minutes=i), "U0MOD", REASON, REASON) for i in range(amendments)),
        **kind,
    )  # fmt: skip


TIMEOUT = {"action": Action.BAN, "banned_until": AT + timedelta(days=7)}


def single_case(status: Status) -> Case:
    return Case(
        number=999_999_999, created_at=AT, moderator_id="U0MOD", team_id="T0", channel_id="C0CHAN", status=status,
        room_arn=ROOM.arn, room_name=ROOM.name, reason=REASON, targets=(Target(IDS[0], "kicked", "&" * 400, "r"),),
        command_text="&" * 4000, amendments=(Amendment(AT, "U0MOD", REASON, REASON),),
    )  # fmt: skip


def raid_context() -> ModalContext:
    """What the command listener carries for a raid: the list waits in the store, the key in the metadata."""
    context = ModalContext("&" * 128, ROOM.arn, ROOM.name, IDS, "C0CHAN", RESPONSE_URL)
    assert not context.fits()
    return ModalContext("&" * 128, ROOM.arn, ROOM.name, (), "C0CHAN", RESPONSE_URL, draft="f" * 32)


VIEWS = {
    "confirmation, 500 IDs": lambda: kick_modal(KickOrder(ROOM.arn, IDS, REASON), ROOM, raid_context()),
    "confirmation, 23 IDs": lambda: kick_modal(KickOrder(ROOM.arn, IDS[:23], REASON), ROOM, raid_context()),
    "confirmation, room looked up": lambda: kick_modal(
        KickOrder("&" * 128, IDS, REASON), None, raid_context(), role_unconfirmed=True
    ),
    "confirmation, one ID": lambda: kick_modal(
        KickOrder(ROOM.arn, IDS[:1], REASON),
        ROOM,
        ModalContext(ROOM.arn, ROOM.arn, ROOM.name, IDS[:1], "C0CHAN", RESPONSE_URL),
    ),
    "room matching 200 rooms": lambda: notice_modal(
        room_problem(Ambiguous("&" * 128, tuple(Room(f"{ROOM.arn}{i}", "&" * 128) for i in range(200))))
    ),
    "form, room known": lambda: kick_form(ROOM, None, ModalContext("", None, None, (), "C0CHAN", RESPONSE_URL)),
    "form, room as typed": lambda: kick_form(
        None, "n" * 128, ModalContext("n" * 128, None, None, (), "C0CHAN", RESPONSE_URL)
    ),
    "edit reason": lambda: edit_reason_modal(single_case(Status.KICKED), RESPONSE_URL, "C0AUDIT"),
    "timeout of another length, every room, 500 IDs": lambda: kick_modal(
        KickOrder("*", IDS, REASON, Term(timedelta(minutes=90))), None, raid_context()
    ),
    "ban, 500 IDs, relabeled after a change": lambda: relabeled(
        {
            **kick_modal(KickOrder(ROOM.arn, IDS, REASON), ROOM, raid_context()),
            "id": "V1",
            "hash": "h",
            "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": REASON}}}},
        },
        PERMANENT,
        500,
    ),  # fmt: skip
    "unban": lambda: unban_modal(
        UnbanOrder(ROOM.arn, IDS[0], REASON),
        ROOM,
        ModalContext(ROOM.arn, ROOM.arn, ROOM.name, IDS[:1], "C0CHAN", RESPONSE_URL, count=1),
    ),  # fmt: skip
    "unban, room looked up": lambda: unban_modal(
        UnbanOrder("n" * 128, IDS[0], REASON),
        None,
        ModalContext("n" * 128, None, None, IDS[:1], "C0CHAN", RESPONSE_URL, count=1),
    ),  # fmt: skip
}


def _message(built: str | dict[str, Any]) -> dict[str, Any]:
    return {"text": built} if isinstance(built, str) else built


MESSAGES = {
    **{f"audit post, bulk {s.value}": (lambda s=s: vars(audit_record(bulk_case(42, s)))) for s in Status},
    **{f"audit post, one {s.value}": (lambda s=s: vars(audit_record(single_case(s)))) for s in Status},
    **{
        f"audit post, bulk timeout {s.value}": (lambda s=s: vars(audit_record(bulk_case(42, s, **TIMEOUT))))
        for s in Status
    },
    **{
        f"audit post, unban {s.value}": (lambda s=s: vars(audit_record(replace(single_case(s), action=Action.UNBAN))))
        for s in Status
    },
    "audit post, a timeout's end": lambda: vars(
        audit_record(replace(single_case(Status.DONE), action=Action.BAN_ENDED, banned_until=AT, room_arn="*"))
    ),
    "outcome of a bulk timeout": lambda: moderator_reply(bulk_case(42, **TIMEOUT), "C0AUDIT", "&" * 300),
    "outcome of one unban": lambda: moderator_reply(
        replace(single_case(Status.DONE), action=Action.UNBAN), "C0AUDIT", "&" * 300
    ),
    "500 bans in force, longest IDs, names and reasons": lambda: bans_message(
        scope_text(ROOM.arn, ROOM.name),
        [Ban(ROOM.arn if i % 2 else "*", user, i, "U0MOD", AT, AT + timedelta(days=i)) for i, user in enumerate(IDS)],
        lambda arn: "&" * 128,
        lambda number: REASON,
    ),
    "history of 50 bulk timeouts": lambda: history_message(
        "room *", [bulk_case(n, **TIMEOUT) for n in range(50)], ["https://streamers.slack.com/archives/C/p1"] * 50
    ),  # fmt: skip
    "summary of 500 attempts": lambda: vars(summary_record([bulk_case(n, Status.REFUSED, 0) for n in range(500)])),
    "case in full, amended 50 times": lambda: case_message(bulk_case(42, amendments=50), "https://x.slack.com/a/p1"),
    "history of 50 bulk cases": lambda: history_message(
        "IVS user " + IDS[0], [bulk_case(n) for n in range(50)], ["https://streamers.slack.com/archives/C/p1"] * 50
    ),
    "history of 20 bulk cases": lambda: history_message(
        "IVS user " + IDS[0], [bulk_case(n) for n in range(20)], [None] * 20
    ),
    "outcome of a bulk kick": lambda: moderator_reply(bulk_case(42), "C0AUDIT", "&" * 300),
    "outcome of one kick": lambda: moderator_reply(single_case(Status.FAILED), "C0AUDIT", "&" * 300),
    "progress": lambda: progress_message(250, 500, "&" * 128),
    "usage": usage,
    "a problem with the command": lambda: problem("&" * 4000),
    "a problem with its case and where it will be shown": lambda: problem("&" * 4000, on_record("C" + "0" * 20)),
}


@pytest.mark.parametrize("surface", VIEWS)
def test_every_view_is_one_slack_accepts(surface):
    assert modal_problems(VIEWS[surface]()) == []  # private_metadata's 3000 characters included


@pytest.mark.parametrize("surface", MESSAGES)
def test_every_message_is_one_slack_accepts_with_text_well_under_its_limit(surface):
    message = {k: v for k, v in _message(MESSAGES[surface]()).items() if k in {"text", "blocks"}}
    assert message_problems(message) == []
    assert len(message["text"]) <= MESSAGE_TEXT


def test_the_room_picker_answers_100_rooms_of_the_longest_names():
    rooms = [Room(f"arn:aws:ivschat:us-west-2:123456789012:room/{'R' * 100}{i:03d}", "&" * 128) for i in range(100)]
    assert options_problems({"options": [room_option(room) for room in rooms]}) == []


def test_a_raid_confirmation_shows_what_fits_and_counts_the_rest():
    view = kick_modal(KickOrder(ROOM.arn, IDS, REASON), ROOM, raid_context())
    listed = next(b["text"]["text"] for b in view["blocks"] if b.get("text", {}).get("text", "").startswith("`"))
    shown = listed.count("`") // 2
    assert 1 <= shown < 500 and listed.endswith(f"… and {500 - shown} more")
    assert ModalContext.decode(view["private_metadata"]) == raid_context()  # the whole list waits in the store


def test_a_raid_audit_post_lists_what_fits_and_counts_the_rest():
    sections = [b["text"]["text"] for b in audit_record(bulk_case(42)).blocks if b["type"] == "section" and "text" in b]
    shown = sum(s.count("`") // 2 for s in sections[1:-1])
    assert f"… and {500 - shown} more" in sections[-1]


def test_clipping_never_cuts_an_entity_or_a_link():
    assert clip_mrkdwn("a" * 8 + "&amp;&amp;", 12) == "a" * 8 + "…"
    assert clip_mrkdwn("ab <https://example.com|link> cd", 10) == "ab …"
    assert clip_mrkdwn("short", 10) == "short"


def test_a_listing_counts_what_it_leaves_out_and_says_nothing_when_all_fit():
    assert listing(["a", "b", "c"], 100, str) == "a, b, c"
    assert listing(["aaaa", "bbbb", "cccc"], 20, str) == "aaaa … and 2 more"
    assert listing([], 10, str) == ""
