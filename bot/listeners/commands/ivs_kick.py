"""`/ivs-kick`: parse, ack at once, check the role from cache, and open the confirmation modal.

The trigger_id dies 3 s after the command, so nothing here may wait on AWS, and the role check waits on
Slack's user group look-up for at most ROLE_WAIT_SECONDS. If Slack is slow or rate limited, the modal opens
anyway and the role is checked again (for real) when the moderator presses Kick. Refused and invalid
attempts are recorded as cases after the ack.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from ...delivery import reply_privately, slack_error
from ...kick.command import CaseQuery, Help, HistoryQuery, ParseError, parse_command
from ...kick.flow import Attempt, record_invalid, record_refusal, refusal_message
from ...kick.moderators import Standing
from ...kick.request import KickRequest
from ...messages import (
    ModalContext,
    case_message,
    history_message,
    kick_modal,
    moderator_reply,
    permalink,
    problem,
    usage,
)
from ..services import Services

COMMAND = "/ivs-kick"
ROLE_WAIT_SECONDS = 1.0
# Before the modal a stale cached answer is fine: the decisive check happens at submission.
ROLE_MAX_AGE_BEFORE_MODAL = 15 * 60.0
# Looking back answers through the response URL, not a trigger, so it can wait longer for Slack.
LOOK_BACK_ROLE_WAIT_SECONDS = 10.0
KICK_FIELDS = {"room", "user", "reason"}

log = logging.getLogger(__name__)


class IvsKickCommand:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        started = time.monotonic()
        text = command.get("text", "")
        parsed = parse_command(text)
        if isinstance(parsed, Help):
            ack(text=usage(), response_type="ephemeral")
            result = "help"
        elif isinstance(parsed, ParseError):
            ack(text=problem(parsed.message), response_type="ephemeral")
            if parsed.field in KICK_FIELDS:
                self._record_invalid(command, parsed)
            result = f"invalid_{parsed.field}"
        elif isinstance(parsed, (HistoryQuery, CaseQuery)):
            ack()
            result = self._look_back(parsed, command)
        else:
            ack()
            result = self._confirm(parsed, command, client)
        log.info(
            "command",
            extra={
                "fields": {
                    "moderator": command.get("user_id"),
                    "channel": command.get("channel_id"),
                    "result": result,
                    "ms": round((time.monotonic() - started) * 1000, 1),
                }
            },
        )

    def _look_back(self, query: HistoryQuery | CaseQuery, command: dict[str, Any]) -> str:
        """History and case views are for moderators only: they name viewers and reasons."""
        services, response_url = self._services, command.get("response_url")
        verdict = services.moderators.check(command.get("user_id", ""), wait=LOOK_BACK_ROLE_WAIT_SECONDS)
        if not verdict.allowed:
            reply_privately(response_url, f":no_entry: Sorry, {refusal_message(verdict)}")
            return "look_back_refused"
        domain, host = command.get("team_domain"), services.settings.slack_host
        if isinstance(query, CaseQuery):
            case = services.store.get(query.number)
            if case is None:
                reply_privately(response_url, f"There is no case #{query.number}.")
                return "case_not_found"
            reply_privately(response_url, **case_message(case, permalink(case, domain, host)))
            return "case_shown"
        cases = services.store.history(user_id=query.user_id, room_arn=query.room_arn, limit=query.limit)
        subject = f"IVS user {query.user_id}" if query.user_id else f"room {query.room_arn}"
        reply_privately(response_url, history_message(subject, cases, [permalink(c, domain, host) for c in cases]))
        return "history_shown"

    def _record_invalid(self, command: dict[str, Any], parsed: ParseError) -> None:
        case = record_invalid(
            self._services.store,
            moderator_id=command.get("user_id", ""),
            team_id=command.get("team_id"),
            channel_id=command.get("channel_id"),
            text=command.get("text", ""),
            problem=parsed.message,
            at=datetime.now(timezone.utc),
        )
        self._services.outbox.deliver(case)

    def _confirm(self, request: KickRequest, command: dict[str, Any], client: WebClient) -> str:
        response_url = command.get("response_url")
        user_id = command.get("user_id", "")
        verdict = self._services.moderators.check(user_id, max_age=ROLE_MAX_AGE_BEFORE_MODAL, wait=ROLE_WAIT_SECONDS)
        if verdict.refused:
            attempt = Attempt(
                request, user_id, command.get("team_id"), command.get("channel_id"), datetime.now(timezone.utc)
            )
            case = record_refusal(self._services.store, attempt, verdict)
            audit_error = self._services.outbox.deliver(case)
            reply_privately(response_url, moderator_reply(case, self._services.settings.audit_channel, audit_error))
            return f"refused_{verdict.standing.value}"
        context = ModalContext(request.room_arn, request.user_id, command.get("channel_id"), response_url)
        view = kick_modal(request, context, role_unconfirmed=verdict.standing is Standing.UNKNOWN)
        try:
            client.views_open(trigger_id=command.get("trigger_id"), view=view)
        except SlackClientError as error:
            code = slack_error(error)
            log.error("views.open failed", extra={"fields": {"error": code}})
            reply_privately(
                response_url,
                f":warning: The confirmation dialog could not be opened (Slack said {code}). "
                "Nothing was done; run the command again.",
            )
            return "modal_failed"
        return "modal_opened" if verdict.allowed else "modal_opened_role_unconfirmed"
