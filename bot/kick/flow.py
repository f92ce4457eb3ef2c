"""One attempt on record from start to finish: open the case, authorize, act (DisconnectUser for a kick; the ban
records, then DisconnectUser, for a ban; the end of a ban for an unban), record the outcome.

The case is opened before Slack is told the submission was accepted, so an accepted kick cannot be lost.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from .banning import (
    ban_status,
    disconnect_in,
    every_room_detail,
    unban_result,
    unchecked_note,
    with_replacements,
    write_bans,
)
from .bans import ALL_ROOMS
from .cases import Action, Case, CaseStore, NewCase, Status, Target
from .flood import FLOOD_PRONE
from .ivs import IvsChatGateway, Outcome, role_session_name
from .moderators import ModeratorDirectory, Standing, Verdict
from .rooms import Room

log = logging.getLogger(__name__)

# At submission there is no trigger deadline, so the role check may wait for Slack's rate limit to pass.
SUBMIT_ROLE_WAIT_SECONDS = 20.0
# The attempt's own thread posts a kick's audit record at once; the outbox steps in only if it has not by then.
OUTBOX_GRACE = timedelta(seconds=5)


def audit_due(status: Status, at: datetime) -> datetime:
    """When the outbox takes a case up: refused and invalid ones at once, since only the outbox posts them."""
    return at if status in FLOOD_PRONE else at + OUTBOX_GRACE


@dataclass(frozen=True)
class Attempt:
    """A moderator's confirmed request for one room and one or more users, and where it came from."""

    room_arn: str | None
    user_ids: tuple[str, ...]
    reason: str | None
    moderator_id: str
    team_id: str | None
    channel_id: str | None
    at: datetime
    room_name: str | None = None
    submission_key: str | None = None
    command_text: str | None = None
    action: Action = Action.KICK
    banned_until: datetime | None = None  # a timeout's end (Action.BAN); None for a permanent ban


def refusal_message(verdict: Verdict) -> str:
    if verdict.standing is Standing.NOT_MODERATOR:
        return (
            "you are not an IVS Chat moderator for this workspace. Ask an admin to add you to the "
            "moderator user group or to IVS_KICK_MODERATORS."
        )
    if verdict.transient:
        return f"your moderator role could not be confirmed ({verdict.reason}). Try again in a minute."
    return (
        f"your moderator role could not be confirmed ({verdict.reason}). Trying again will not help: ask an admin to "
        "check IVS_KICK_MODERATOR_GROUP and the app's usergroups:read scope."
    )


def _new_case(attempt: Attempt, status: Status, detail: str | None = None) -> NewCase:
    return NewCase(
        created_at=attempt.at,
        moderator_id=attempt.moderator_id,
        team_id=attempt.team_id,
        channel_id=attempt.channel_id,
        status=status,
        room_arn=attempt.room_arn,
        room_name=attempt.room_name,
        reason=attempt.reason,
        user_ids=attempt.user_ids,
        detail=detail,
        command_text=attempt.command_text,
        submission_key=attempt.submission_key,
        audit_due_at=audit_due(status, attempt.at),
        action=attempt.action,
        banned_until=attempt.banned_until,
    )


def record_refusal(store: CaseStore, attempt: Attempt, verdict: Verdict) -> Case:
    """A refusal before the modal: the attempt is on record even though nothing was asked of AWS."""
    return store.open_case(_new_case(attempt, Status.REFUSED, refusal_message(verdict)))[0]


def record_invalid(store: CaseStore, attempt: Attempt, problem: str) -> Case:
    """A request that could not be carried out as given (bad input, a room that cannot be found)."""
    return store.open_case(_new_case(attempt, Status.INVALID, problem))[0]


def overall(outcomes: list[Outcome]) -> Status:
    kicked = sum(1 for o in outcomes if o.ok)
    return Status.KICKED if kicked == len(outcomes) else Status.FAILED if kicked == 0 else Status.PARTIAL


def open_attempt(store: CaseStore, attempt: Attempt) -> Case | None:
    """Put a confirmed submission on record before it is acknowledged; None when Slack sent it twice."""
    case, created = store.open_case(_new_case(attempt, Status.PENDING))
    if not created:
        log.warning("duplicate submission ignored", extra={"fields": {"case": case.number}})
        return None
    return case


def settle_invalid(store: CaseStore, case: Case, problem: str) -> Case:
    """An opened attempt that cannot go ahead after all (its room could not be found)."""
    done = datetime.now(case.created_at.tzinfo)
    return store.record_outcome(case.number, Status.INVALID, case.targets, problem, audit_due(Status.INVALID, done))


def _refused(attempt: Attempt, verdict: Verdict) -> tuple[Status, str | None, list[Target]]:
    return Status.REFUSED, refusal_message(verdict), [Target(user, "refused") for user in attempt.user_ids]


def _kick(
    attempt: Attempt, gateway: IvsChatGateway, progress: Callable[[int], None] | None
) -> tuple[Status, str | None, list[Target]]:
    assert attempt.room_arn is not None
    session = role_session_name(attempt.team_id, attempt.moderator_id)
    outcomes = gateway.disconnect_all(attempt.room_arn, attempt.user_ids, attempt.reason, session, progress)
    targets = [Target(u, o.result.value, o.message, o.request_id) for u, o in zip(attempt.user_ids, outcomes)]
    return overall(outcomes), None, targets


def _ban(
    case: Case, attempt: Attempt, gateway: IvsChatGateway, store: CaseStore, rooms: Sequence[Room],
    progress: Callable[[int], None] | None,
) -> tuple[Status, str | None, list[Target]]:  # fmt: skip
    """The ban records first, so the viewers are kept out whatever DisconnectUser answers; then the disconnects.
    The detail says where nothing in IVS Chat checks the ban, when the rooms as last read tell."""
    assert attempt.room_arn is not None
    replaced = write_bans(store, case, attempt.room_arn, attempt.banned_until)
    session = role_session_name(attempt.team_id, attempt.moderator_id)
    arns = [room.arn for room in rooms]
    targets = disconnect_in(gateway, arns, attempt.user_ids, attempt.reason, session, progress)
    every = every_room_detail(arns) if attempt.room_arn == ALL_ROOMS else None
    detail = " ".join(part for part in (every, unchecked_note(attempt.room_arn, rooms)) if part) or None
    return ban_status(targets), detail, with_replacements(targets, replaced)


def carry_out(
    case: Case,
    attempt: Attempt,
    moderators: ModeratorDirectory,
    gateway: IvsChatGateway,
    store: CaseStore,
    progress: Callable[[int], None] | None = None,
    rooms: Sequence[Room] | None = None,
) -> Case:
    """Authorize and act for an opened kick or ban case, then record the outcome on it. `rooms`: where a ban
    disconnects, as the room directory knows them: the rooms the bot knows for a ban on every room, else the
    attempt's room; by default the attempt's room, never read from AWS."""
    assert attempt.room_arn is not None, "a room must be resolved before a kick is carried out"
    started = time.monotonic()
    verdict = moderators.check_decisive(attempt.moderator_id, wait=SUBMIT_ROLE_WAIT_SECONDS)
    if not verdict.allowed:
        status, detail, targets = _refused(attempt, verdict)
    elif attempt.action is Action.BAN:
        where = [Room(attempt.room_arn)] if rooms is None else rooms
        status, detail, targets = _ban(case, attempt, gateway, store, where, progress)
    else:
        status, detail, targets = _kick(attempt, gateway, progress)
    return _settle(store, case, attempt, (status, detail, targets), started)


def carry_out_unban(case: Case, attempt: Attempt, moderators: ModeratorDirectory, store: CaseStore) -> Case:
    """Authorize and end the ban of the attempt's one user in its room, for an opened unban case: DONE with the ban
    it ended, FAILED (still on record) when none was in force, REFUSED for someone who is not a moderator."""
    assert attempt.room_arn is not None, "a room must be resolved before an unban is carried out"
    started = time.monotonic()
    verdict = moderators.check_decisive(attempt.moderator_id, wait=SUBMIT_ROLE_WAIT_SECONDS)
    if not verdict.allowed:
        status, detail, targets = _refused(attempt, verdict)
    else:
        now = datetime.now(attempt.at.tzinfo)
        status, target = unban_result(store, attempt.room_arn, attempt.user_ids[0], now, attempt.moderator_id)
        detail, targets = None, [target]
    return _settle(store, case, attempt, (status, detail, targets), started)


def _settle(
    store: CaseStore, case: Case, attempt: Attempt, outcome: tuple[Status, str | None, list[Target]], started: float
) -> Case:
    """Record the outcome on the case (with its room, when it was found only after the case was opened) and log
    the attempt."""
    status, detail, targets = outcome
    done = datetime.now(attempt.at.tzinfo)
    room = None if case.room_arn == attempt.room_arn else (attempt.room_arn, attempt.room_name)
    case = store.record_outcome(case.number, status, targets, detail, audit_due(status, done), room)
    _log(attempt, case, started)
    return case


def _log(attempt: Attempt, case: Case, started: float) -> None:
    """One line per attempt carried out: `kick`, `ban` or `unban`."""
    targets = case.targets
    results = Counter(t.result for t in targets)
    log.info(
        attempt.action.value,
        extra={
            "fields": {
                "case": case.number,
                "moderator": attempt.moderator_id,
                "room": attempt.room_arn,
                "users": len(targets),
                "result": targets[0].result if len(targets) == 1 else dict(results),
                "aws_request_id": targets[0].request_id if len(targets) == 1 else None,
                "banned_until": attempt.banned_until.isoformat() if attempt.banned_until else None,
                "ms": round((time.monotonic() - started) * 1000, 1),
            }
        },
    )
