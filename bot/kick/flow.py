"""One kick attempt, start to finish, on record: open the case → authorize → DisconnectUser → outcome."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from .cases import Case, CaseStore, NewCase, Status, Target
from .ivs import IvsChatGateway, role_session_name
from .moderators import ModeratorDirectory, Standing, Verdict
from .request import KickRequest

log = logging.getLogger(__name__)

# At submission there is no trigger deadline, so the role check may wait for Slack's rate limit to pass.
SUBMIT_ROLE_WAIT_SECONDS = 20.0
# The attempt's own thread posts the audit record at once; the outbox steps in only if it has not by then.
OUTBOX_GRACE = timedelta(seconds=5)


@dataclass(frozen=True)
class Attempt:
    """A moderator's confirmed request and where it came from."""

    request: KickRequest
    moderator_id: str
    team_id: str | None
    channel_id: str | None
    at: datetime
    submission_key: str | None = None


def refusal_message(verdict: Verdict) -> str:
    if verdict.standing is Standing.NOT_MODERATOR:
        return (
            "you are not an IVS Chat moderator for this workspace. Ask an admin to add you to the "
            "moderator user group or to IVS_KICK_MODERATORS."
        )
    return f"your moderator role could not be confirmed ({verdict.reason}). Try again in a minute."


def _new_case(attempt: Attempt, status: Status, detail: str | None = None) -> NewCase:
    request = attempt.request
    return NewCase(
        created_at=attempt.at,
        moderator_id=attempt.moderator_id,
        team_id=attempt.team_id,
        channel_id=attempt.channel_id,
        status=status,
        room_arn=request.room_arn,
        reason=request.reason,
        user_ids=(request.user_id,),
        detail=detail,
        submission_key=attempt.submission_key,
        audit_due_at=attempt.at + OUTBOX_GRACE,
    )


def record_refusal(store: CaseStore, attempt: Attempt, verdict: Verdict) -> Case:
    """A refusal before the modal: the attempt is on record even though nothing was asked of AWS."""
    return store.open_case(_new_case(attempt, Status.REFUSED, refusal_message(verdict)))[0]


def record_invalid(
    store: CaseStore,
    *,
    moderator_id: str,
    team_id: str | None,
    channel_id: str | None,
    text: str,
    problem: str,
    at: datetime,
) -> Case:
    new = NewCase(
        created_at=at,
        moderator_id=moderator_id,
        team_id=team_id,
        channel_id=channel_id,
        status=Status.INVALID,
        detail=problem,
        command_text=text,
        audit_due_at=at + OUTBOX_GRACE,
    )
    return store.open_case(new)[0]


def carry_out(
    attempt: Attempt, moderators: ModeratorDirectory, gateway: IvsChatGateway, store: CaseStore
) -> Case | None:
    """Kick at most once per submission; None when this submission was already handled."""
    started = time.monotonic()
    case, created = store.open_case(_new_case(attempt, Status.PENDING))
    if not created:
        log.warning("duplicate submission ignored", extra={"fields": {"case": case.number}})
        return None
    user = attempt.request.user_id
    verdict = moderators.check(attempt.moderator_id, wait=SUBMIT_ROLE_WAIT_SECONDS)
    if not verdict.allowed:
        status, targets, detail = Status.REFUSED, [Target(user, "refused")], refusal_message(verdict)
    else:
        outcome = gateway.disconnect(attempt.request, role_session_name(attempt.team_id, attempt.moderator_id))
        status = Status.KICKED if outcome.ok else Status.FAILED
        targets, detail = [Target(user, outcome.result.value, outcome.message, outcome.request_id)], None
    done = datetime.now(attempt.at.tzinfo)
    case = store.record_outcome(case.number, status, targets, detail, done + OUTBOX_GRACE)
    log.info(
        "kick",
        extra={
            "fields": {
                "case": case.number,
                "moderator": attempt.moderator_id,
                "room": attempt.request.room_arn,
                "region": attempt.request.region,
                "result": targets[0].result,
                "aws_request_id": targets[0].request_id,
                "ms": round((time.monotonic() - started) * 1000, 1),
            }
        },
    )
    return case
