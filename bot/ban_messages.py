"""What the bot shows for bans: the unban confirmation, and the list of bans in force with an Unban button each."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .kick.audit import code_span, escape_mrkdwn, mention_user, slack_date
from .kick.bans import ALL_ROOMS, Ban
from .kick.request import InvalidField, UnbanOrder, validate_room, validate_user
from .kick.rooms import Room
from .look_back import LINE_REASON
from .messages import ROLE_UNCONFIRMED_NOTE, ModalContext, modal, reason_block, room_text
from .slack_limits import ELLIPSIS, MESSAGE_BLOCKS, MESSAGE_TEXT, clip_mrkdwn

UNBAN_CALLBACK_ID = "ivs_kick_unban"
UNBAN_BUTTON = "ivs_kick_unban_button"
# One block for the title; the last one says how many more there are when they do not all fit.
SHOWN_BANS = MESSAGE_BLOCKS - 2


def unban_modal(
    order: UnbanOrder, room: Room | None, context: ModalContext, *, role_unconfirmed: bool = False
) -> dict[str, Any]:
    """The unban confirmation: the room (`room` None while it is looked up), the viewer, the reason."""
    fields = [{"type": "mrkdwn", "text": f"*Room*\n{room_text(order.room, room)}", "verbatim": True}]
    if room:
        fields.append({"type": "mrkdwn", "text": f"*Region*\n{escape_mrkdwn(room.region)}", "verbatim": True})
    fields.append({"type": "mrkdwn", "text": f"*IVS user ID*\n{code_span(order.user_id)}", "verbatim": True})
    note = (
        ":information_source: Ends this viewer's ban on every room (`*`) now; bans on single rooms stay."
        if order.room == ALL_ROOMS
        else ":information_source: Ends this viewer's ban or timeout in this room now. A ban on every room (`*`) "
        "is lifted only by an unban with the room `*`."
    )
    blocks = [
        {"type": "section", "fields": fields},
        reason_block(order.reason, placeholder={"type": "plain_text", "text": "Why is the ban lifted?"}),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]},
    ]
    if role_unconfirmed:
        blocks.append(ROLE_UNCONFIRMED_NOTE)
    return modal(UNBAN_CALLBACK_ID, "Unban in IVS Chat", "Unban", context, blocks)


def unban_value(ban: Ban) -> str:
    """What an Unban button carries: the ban's room and viewer (at most 128 characters each, within the 2000 a
    button's value holds)."""
    return json.dumps({"room": ban.room, "user": ban.user_id}, ensure_ascii=False, separators=(",", ":"))


def unban_target(value: str | None) -> tuple[str, str] | None:
    """An Unban button's (room, user), or None for a value this bot never put on one: the room must be a room ARN
    or `*` and the user a valid IVS Chat user ID, as on every ban the bot keeps, since a client that forges its
    interactions can send anything there."""
    try:
        data = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("room"), str) or not isinstance(data.get("user"), str):
        return None
    try:
        room = data["room"] if data["room"] == ALL_ROOMS else validate_room(data["room"])
        return room, validate_user(data["user"])
    except InvalidField:
        return None


def scope_text(room: str | None, name: str | None = None) -> str:
    """Where a list of bans looks, in words (mrkdwn)."""
    if room is None:
        return "in any room"
    if room == ALL_ROOMS:
        return "on every room (`*`)"
    return f"in {escape_mrkdwn(name or room)} (bans on every room included)"


def _ban_line(ban: Ban, name: str | None, reason: str | None) -> str:
    room = "*every room* (`*`)" if ban.room == ALL_ROOMS else f"*{escape_mrkdwn(name or ban.room)}*"
    held = "permanently" if ban.expires_at is None else f"until {slack_date(ban.expires_at)}"
    why = clip_mrkdwn(escape_mrkdwn(reason), LINE_REASON) if reason else "no reason"
    return (
        f"{room} · {code_span(ban.user_id)} · {held} · by {mention_user(ban.created_by)} · case #{ban.case_number}"
        f" · {why}"
    )


def bans_message(
    scope: str, bans: list[Ban], name_of: Callable[[str], str | None], reason_of: Callable[[int], str | None]
) -> dict[str, Any]:
    """The bans in force, newest first, as a message: one section each with an Unban button, as many as a message
    holds, then how many more. `name_of(room ARN)` is the room's name if known; `reason_of(case)` the reason of the
    case that made the ban."""
    if not bans:
        return {"text": f"No bans in force {scope}."}
    count = f"{len(bans)} ban{'s' if len(bans) != 1 else ''} in force {scope}"
    title = f"*{count}* (newest first)"
    shown = bans if len(bans) <= SHOWN_BANS + 1 else bans[:SHOWN_BANS]
    blocks: list[dict[str, Any]] = [{"type": "section", "text": {"type": "mrkdwn", "text": title, "verbatim": True}}]
    for ban in shown:
        line = _ban_line(ban, name_of(ban.room) if ban.room != ALL_ROOMS else None, reason_of(ban.case_number))
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": line, "verbatim": True},
                "accessory": {
                    "type": "button",
                    "action_id": UNBAN_BUTTON,
                    "text": {"type": "plain_text", "text": "Unban"},
                    "value": unban_value(ban),
                },
            }
        )
    if len(shown) < len(bans):
        more = (
            f"{ELLIPSIS} and {len(bans) - len(shown)} more: `/ivs-kick bans <room>` lists one room's, and "
            "`python -m bot audit export` every case."
        )
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more, "verbatim": True}]})
    users = ", ".join(code_span(ban.user_id) for ban in bans)
    return {"text": clip_mrkdwn(f"{count}: {users}", MESSAGE_TEXT), "blocks": blocks}
