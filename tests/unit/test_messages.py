"""What the bot shows the moderator: a hostile IVS user ID stays inside its code span everywhere."""

import json
from datetime import datetime, timezone

import pytest

from bot.kick.audit import code_span
from bot.kick.cases import Case, Status, Target
from bot.kick.request import KickOrder
from bot.kick.rooms import Room
from bot.look_back import case_message, history_message
from bot.messages import ModalContext, kick_modal, moderator_reply

ROOM = "arn:aws:ivschat:eu-west-1:123456789012:room/g1H2I3j4k5L6"
HOSTILE = "a`<!channel>`b"
CASE = Case(
    number=7,
    created_at=datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc),
    moderator_id="U0MOD",
    team_id="T0",
    channel_id="C0CHAN",
    status=Status.KICKED,
    room_arn=ROOM,
    reason="`spam`",
    targets=(Target(HOSTILE, "kicked", f"Disconnected {HOSTILE} from {ROOM}.", "req-1"),),
)
CONTEXT = ModalContext(room=ROOM, room_arn=None, room_name=None, users=(HOSTILE,), channel="C0CHAN", response_url=None)

BUILT = {
    "moderator reply": lambda: moderator_reply(CASE, "C0AUDIT", None),
    "history": lambda: history_message(HOSTILE, [CASE], [None]),
    "case view": lambda: case_message(CASE, None),
    "modal, room looked up": lambda: kick_modal(KickOrder(HOSTILE, (HOSTILE,), None), None, CONTEXT),
    "modal, room known": lambda: kick_modal(KickOrder(ROOM, (HOSTILE,), None), Room(ROOM, None), CONTEXT),
    "modal, several users": lambda: kick_modal(KickOrder(ROOM, (HOSTILE, "x"), None), Room(ROOM, None), CONTEXT),
}


def _shown(built) -> str:
    """Every string Slack renders as mrkdwn; private_metadata is never shown."""
    if isinstance(built, dict):
        return "\n".join(_shown(v) for k, v in built.items() if k != "private_metadata")
    if isinstance(built, list):
        return "\n".join(_shown(v) for v in built)
    return built if isinstance(built, str) else ""


@pytest.mark.parametrize("where", BUILT)
def test_a_backtick_in_a_user_id_never_reaches_slack(where):
    shown = _shown(BUILT[where]())
    assert "a`" not in shown and "`b" not in shown and "<!channel>" not in shown
    assert "aˋ&lt;!channel&gt;ˋb" in shown


def test_the_modal_keeps_the_id_as_typed_where_nobody_reads_it():
    assert json.loads(kick_modal(KickOrder(ROOM, (HOSTILE,), None), None, CONTEXT)["private_metadata"])["users"] == [
        HOSTILE
    ]


def test_history_lists_user_ids_as_code_spans():
    assert code_span(HOSTILE) in _shown(history_message(HOSTILE, [CASE], [None])["blocks"])
