"""`/ivs-kick bans [room]`: the bans in force, newest first, each with an Unban button; moderators only, since the
list names viewers and reasons. It answers through the response URL, so the room may be looked up in AWS."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from ...ban_messages import bans_message, scope_text
from ...delivery import reply_privately
from ...kick.audit import escape_mrkdwn
from ...kick.bans import ALL_ROOMS, Ban
from ...kick.command import BansQuery
from ...kick.flow import refusal_message
from ...kick.rooms import Found
from ...messages import room_problem
from ..services import Services


def _in_force(services: Services, room: str | None) -> list[Ban]:
    """The bans holding now, newest first: everywhere, on every room, or in one room with those on every room."""
    now = datetime.now(timezone.utc)
    bans = services.store.active_bans(now, room)
    if room not in (None, ALL_ROOMS):
        bans = sorted(bans + services.store.active_bans(now, ALL_ROOMS), key=lambda ban: ban.created_at, reverse=True)
    return bans


def list_bans(services: Services, query: BansQuery, command: dict[str, Any], role_wait: float) -> str:
    response_url = command.get("response_url")
    verdict = services.moderators.check_decisive(command.get("user_id", ""), wait=role_wait)
    if not verdict.allowed:
        reply_privately(response_url, f":no_entry: Sorry, {refusal_message(verdict)}")
        return "bans_refused"
    room, name = query.room, None
    if room not in (None, ALL_ROOMS):
        resolution = services.rooms.resolve(room)
        if not isinstance(resolution, Found):
            reply_privately(response_url, f":warning: {escape_mrkdwn(room_problem(resolution))}")
            return "bans_room_not_found"
        room, name = resolution.room.arn, resolution.room.name

    def name_of(arn: str) -> str | None:
        known = services.rooms.known(arn)
        return known.name if known else None

    def reason_of(number: int) -> str | None:
        case = services.store.get(number)
        return case.reason if case else None

    message = bans_message(scope_text(room, name), _in_force(services, room), name_of, reason_of)
    return "bans_shown" if reply_privately(response_url, **message) else "bans_not_shown"
