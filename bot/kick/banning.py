"""A ban or timeout carried out: its ban records first, then DisconnectUser exactly as a kick, in its room or, for
a ban on every room (`*`), in every room the bot knows; and what an unban found (pure core: no Slack payloads).

The records come first so that a viewer is kept out even if the disconnect fails or the process dies in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timezone

from .bans import ALL_ROOMS, Ban
from .cases import Case, CaseStore, Status, Target
from .expiry import end_lapsed
from .ivs import IvsChatGateway, Outcome
from .rooms import Room

KICKED = "kicked"  # a Target's result: disconnected (from every room it was asked for)
BANNED = "banned"  # the ban holds, but no room was known to disconnect the viewer from
UNBANNED = "unbanned"
NOT_BANNED = "not_banned"  # an unban that found no ban in force
REPLACES = "Replaces the ban of case #"  # how a target's message names the earlier ban its new one replaced
UNCHECKED = "IVS Chat does not check bans in "  # how a ban's detail starts to say that nothing in IVS Chat checks it
_CHECK_ELSEWHERE = (
    "(see Bans that hold in the README). The ban is kept on record, where your chat-token service can check it."
)


def utc_text(at: datetime) -> str:
    """A time in plain text for the record (`2026-12-04 17:00 UTC`); Slack shows each reader's own zone."""
    return f"{at.astimezone(timezone.utc):%Y-%m-%d %H:%M} UTC"


def until_text(until: datetime | None) -> str:
    """`until 2026-12-04 17:00 UTC`, or `permanently`."""
    return "permanently" if until is None else f"until {utc_text(until)}"


def room_text(room: str) -> str:
    return "every room (*)" if room == ALL_ROOMS else room


def write_bans(store: CaseStore, case: Case, room: str, until: datetime | None) -> dict[str, Ban]:
    """One ban record per user of the case, made by its moderator at its time; the bans they replaced, by user.

    Timeouts that had run out by then but that no sweep has marked yet (it runs every few seconds, and not while the
    bot is down) are ended first, their end cases opened as the sweep opens them: a new ban of the same viewer in
    the same room replaces the record, which would otherwise take the end of that timeout off the record."""
    end_lapsed(store, case.created_at)
    replaced: dict[str, Ban] = {}
    for user in case.user_ids:
        ban = Ban(room, user, case.number, case.moderator_id, case.created_at, expires_at=until)
        earlier = store.put_ban(ban)
        if earlier is not None:
            replaced[user] = earlier
    return replaced


def replacement_note(earlier: Ban) -> str:
    return f"{REPLACES}{earlier.case_number} ({until_text(earlier.expires_at)})."


def _target(user: str, outcomes: Sequence[Outcome]) -> Target:
    """One viewer's result over every room asked: the room's own outcome when there was one room."""
    if not outcomes:
        return Target(user, BANNED, "Not disconnected: the bot knows no room to disconnect them from.")
    if len(outcomes) == 1:
        outcome = outcomes[0]
        return Target(user, outcome.result.value, outcome.message, outcome.request_id)
    failed = [outcome for outcome in outcomes if not outcome.ok]
    if not failed:
        return Target(user, KICKED, f"Disconnected {user} from {len(outcomes)} rooms.")
    first = failed[0]
    return Target(
        user,
        first.result.value,
        f"Not disconnected in {len(failed)} of {len(outcomes)} rooms: {first.message}",
        first.request_id,
    )


def disconnect_in(
    gateway: IvsChatGateway,
    rooms: Sequence[str],
    users: Sequence[str],
    reason: str | None,
    session: str,
    progress: Callable[[int], None] | None = None,
) -> list[Target]:
    """DisconnectUser for every user in every room, room by room; one Target per user, in `users` order.
    `progress(done)` counts calls over all rooms."""
    per_room: list[list[Outcome]] = []
    for index, room in enumerate(rooms):
        step = None
        if progress is not None:
            offset = index * len(users)

            def step(done: int, offset: int = offset) -> None:
                progress(offset + done)

        per_room.append(gateway.disconnect_all(room, users, reason, session, step))
    return [_target(user, [outcomes[i] for outcomes in per_room]) for i, user in enumerate(users)]


def with_replacements(targets: Sequence[Target], replaced: dict[str, Ban]) -> list[Target]:
    """Each target's message followed by what its new ban replaced, if anything."""
    noted = []
    for target in targets:
        earlier = replaced.get(target.user_id)
        if earlier is None:
            noted.append(target)
            continue
        message = " ".join(part for part in (target.message, replacement_note(earlier)) if part)
        noted.append(Target(target.user_id, target.result, message, target.request_id))
    return noted


def ban_status(targets: Sequence[Target]) -> Status:
    """KICKED when every viewer was disconnected, PARTIAL or FAILED when not all or none were (the bans hold
    either way), DONE when there was no room to disconnect them from."""
    if all(target.result == BANNED for target in targets):
        return Status.DONE
    kicked = sum(1 for target in targets if target.result == KICKED)
    return Status.KICKED if kicked == len(targets) else Status.FAILED if kicked == 0 else Status.PARTIAL


def every_room_detail(rooms: Sequence[str]) -> str:
    """What a ban on every room did beyond its records: the rooms it disconnected from."""
    if not rooms:
        return (
            "Banned in every room of the account. The bot knows no room to disconnect from: set IVS_KICK_REGIONS "
            "to the regions of your rooms."
        )
    regions = sorted({room.split(":")[3] for room in rooms})
    count = f"{len(rooms)} room{'s' if len(rooms) != 1 else ''}"
    return f"Banned in every room of the account; disconnected from the {count} the bot knows ({', '.join(regions)})."


def unchecked_note(room_arn: str, rooms: Sequence[Room]) -> str | None:
    """What to tell a moderator when the bot knows that IVS Chat checks a ban in `room_arn` (a room ARN or `*`)
    nowhere or not everywhere: `rooms` are the room itself, or for `*` every room the bot knows, as the room
    directory last read them. None when every room has a message review handler, or when the bot has not read the
    rooms from AWS (`Room.has_review_handler` None): it then says nothing rather than guess."""
    unchecked = [room for room in rooms if room.has_review_handler is False]
    if not unchecked:
        return None
    if room_arn != ALL_ROOMS:
        room = unchecked[0]
        return f"{UNCHECKED}{room.name or room.arn}: the room has no message review handler {_CHECK_ELSEWHERE}"
    if len(unchecked) == len(rooms):
        where = (
            "the one room the bot knows: it has no"
            if len(rooms) == 1
            else f"any of the {len(rooms)} rooms the bot knows: none has a"
        )
        return f"{UNCHECKED}{where} message review handler {_CHECK_ELSEWHERE}"
    return (
        f"{UNCHECKED}{len(unchecked)} of the {len(rooms)} rooms the bot knows: they have no message review handler "
        f"{_CHECK_ELSEWHERE}"
    )


def unban_result(store: CaseStore, room: str, user: str, at: datetime, by: str) -> tuple[Status, Target]:
    """End the ban of (room, user) now: DONE with what it ended, or FAILED saying why there was nothing to end."""
    ended = store.end_ban(room, user, at, by)
    if ended is not None:
        return Status.DONE, Target(
            user, UNBANNED, f"Ended the ban of case #{ended.case_number} ({until_text(ended.expires_at)})."
        )
    message = f"There was no ban in force for {user} in {room_text(room)}; nothing was changed."
    if room != ALL_ROOMS:
        wider = store.ban_on(room, user, at)
        if wider is not None and wider.room == ALL_ROOMS:
            message += (
                f" They are banned in every room by case #{wider.case_number} ({until_text(wider.expires_at)}): "
                "unban them with the room * to lift it."
            )
    return Status.FAILED, Target(user, NOT_BANNED, message)
