"""One confirmed kick, start to finish: authorize again → DisconnectUser → audit record."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from .audit import AuditRecord, KickAttempt, audit_record
from .ivs import IvsChatGateway, Outcome
from .moderators import ModeratorDirectory, Standing, Verdict

log = logging.getLogger(__name__)

# At submission there is no trigger deadline, so the role check may wait for Slack's rate limit to pass.
SUBMIT_ROLE_WAIT_SECONDS = 20.0


@dataclass(frozen=True)
class KickReport:
    attempt: KickAttempt
    outcome: Outcome | None
    refusal: str | None
    record: AuditRecord

    @property
    def summary(self) -> str:
        """Plain text for the moderator."""
        if self.outcome is None:
            return f"Nothing was done: {self.refusal}"
        return self.outcome.message


def refusal_message(verdict: Verdict) -> str:
    if verdict.standing is Standing.NOT_MODERATOR:
        return (
            "you are not an IVS Chat moderator for this workspace. Ask an admin to add you to the "
            "moderator user group or to IVS_KICK_MODERATORS."
        )
    return f"your moderator role could not be confirmed ({verdict.reason}). Try again in a minute."


def carry_out(attempt: KickAttempt, moderators: ModeratorDirectory, gateway: IvsChatGateway) -> KickReport:
    started = time.monotonic()
    verdict = moderators.check(attempt.moderator_id, wait=SUBMIT_ROLE_WAIT_SECONDS)
    if not verdict.allowed:
        refusal = refusal_message(verdict)
        report = KickReport(attempt, None, refusal, audit_record(attempt, None, refusal))
        result = f"refused_{verdict.standing.value}"
    else:
        outcome = gateway.disconnect(attempt.request)
        report = KickReport(attempt, outcome, None, audit_record(attempt, outcome))
        result = outcome.result.value
    log.info(
        "kick",
        extra={
            "fields": {
                "moderator": attempt.moderator_id,
                "room": attempt.request.room_arn,
                "region": attempt.request.region,
                "result": result,
                "aws_request_id": report.outcome.request_id if report.outcome else None,
                "ms": round((time.monotonic() - started) * 1000, 1),
            }
        },
    )
    return report
