"""What a ban says when nothing in IVS Chat checks it: the note from the rooms as last read, and how each surface
shows it."""

from __future__ import annotations

import pytest

from bot.kick.audit import audit_record
from bot.kick.banning import unchecked_note
from bot.kick.bans import ALL_ROOMS
from bot.kick.request import KickOrder
from bot.kick.rooms import Room
from bot.look_back import history_message
from bot.messages import ModalContext, kick_modal, moderator_reply
from tests.unit.kick.test_ban_audit import ROOM, ban_case

HANDLER = "arn:aws:lambda:us-west-2:123456789012:function:review:live"
OTHER = ROOM.replace("us-west-2", "eu-central-1")
NONE_HERE = Room(ROOM, "main-stage")  # read from AWS: no handler
CHECKED = Room(OTHER, "", HANDLER)
NEVER_READ = Room(OTHER)


def test_a_room_read_from_aws_knows_whether_it_has_a_review_handler_and_one_never_read_does_not():
    assert (NONE_HERE.has_review_handler, CHECKED.has_review_handler, NEVER_READ.has_review_handler) == (
        False,
        True,
        None,
    )


@pytest.mark.parametrize(
    ("room_arn", "rooms", "expected"),
    [
        (ROOM, [NONE_HERE], "IVS Chat does not check bans in main-stage: the room has no message review handler "),
        (ROOM, [Room(ROOM, "")], f"IVS Chat does not check bans in {ROOM}: the room has no message review handler "),
        (ROOM, [Room(ROOM, "main-stage", HANDLER)], None),
        (ROOM, [Room(ROOM)], None),  # never read: nothing said
        (ALL_ROOMS, [NONE_HERE, CHECKED], "IVS Chat does not check bans in 1 of the 2 rooms the bot knows: they "),
        (ALL_ROOMS, [NONE_HERE, NEVER_READ], "IVS Chat does not check bans in 1 of the 2 rooms the bot knows: they "),
        (ALL_ROOMS, [NONE_HERE, Room(OTHER, "")], "IVS Chat does not check bans in any of the 2 rooms the bot knows"),
        (ALL_ROOMS, [NONE_HERE], "IVS Chat does not check bans in the one room the bot knows: it has no message"),
        (ALL_ROOMS, [CHECKED, NEVER_READ], None),
        (ALL_ROOMS, [], None),
    ],
)
def test_the_note_says_where_nothing_checks_the_ban_and_nothing_when_it_cannot_tell(room_arn, rooms, expected):
    note = unchecked_note(room_arn, rooms)
    if expected is None:
        assert note is None
    else:
        assert note.startswith(expected) and note.endswith("where your chat-token service can check it.")
        assert "(see Bans that hold in the README)" in note


def test_each_surface_shows_the_note_with_a_warning_sign():
    detail = unchecked_note(ROOM, [Room(ROOM, "<main>")])
    case = ban_case(detail=detail)
    warning = ":warning: IVS Chat does not check bans in &lt;main&gt;: the room has no message review handler"
    assert warning in repr(audit_record(case).blocks)
    assert warning in moderator_reply(case, "C0AUDIT", None)
    assert ":warning: not checked by IVS Chat" in repr(history_message("IVS user viewer42", [case], [None]))
    assert "not checked" not in repr(history_message("IVS user viewer42", [ban_case()], [None]))
    assert "does not check" not in repr(audit_record(ban_case()).blocks) + moderator_reply(ban_case(), "C0A", None)


def test_the_confirmation_shows_the_note_only_when_given():
    order = KickOrder(ROOM, ("viewer42",), None)
    context = ModalContext(ROOM, ROOM, "main-stage", ("viewer42",), "C0CHAN", None)
    note = unchecked_note(ROOM, [NONE_HERE])
    assert ":warning: IVS Chat does not check bans in main-stage" in repr(
        kick_modal(order, NONE_HERE, context, review_note=note)
    )
    assert "does not check" not in repr(kick_modal(order, NONE_HERE, context))
