"""Bans on record as the bot keeps them: a ban case, then its ban, through the bot's own case store, so every
enforcer reads exactly what the bot writes."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.kick.bans import Ban
from bot.kick.cases import Action, CaseStore, NewCase, Status, Target


def record_ban(
    store: CaseStore, room: str, user_id: str, at: datetime, length: timedelta | None = None, moderator: str = "U0MOD"
) -> Ban:
    """A ban case for `user_id` in `room` (a room ARN or ALL_ROOMS) made at `at`, its ban put and its viewer
    disconnected, as the bot records one: permanent when `length` is None, else a timeout of that length. Returns
    the ban as stored."""
    until = at + length if length is not None else None
    case, _ = store.open_case(
        NewCase(at, moderator, "T0", "C0", Status.PENDING, room_arn=room, user_ids=(user_id,), action=Action.BAN,
                banned_until=until)
    )  # fmt: skip
    ban = Ban(room, user_id, case.number, moderator, at, until)
    store.put_ban(ban)
    store.record_outcome(case.number, Status.KICKED, [Target(user_id, "kicked")], None, at)
    return ban
