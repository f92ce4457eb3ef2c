"""`/ivs-kick`: parse, ack at once, check the role from cache, and open the confirmation modal.

The trigger_id dies 3 s after the command, so nothing here may wait on AWS, and the role check waits on
Slack's user group look-up for at most ROLE_WAIT_SECONDS. If Slack is slow or rate limited, the modal opens
anyway and the role is checked again (for real) when the moderator presses Kick.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from ...delivery import reply_privately, slack_error
from ...kick.command import Help, ParseError, parse_command
from ...kick.flow import refusal_message
from ...kick.moderators import Standing
from ...kick.request import KickRequest
from ...messages import ModalContext, kick_modal, problem, usage
from ..services import Services

COMMAND = "/ivs-kick"
ROLE_WAIT_SECONDS = 1.0
# Before the modal a stale cached answer is fine: the decisive check happens at submission.
ROLE_MAX_AGE_BEFORE_MODAL = 15 * 60.0

log = logging.getLogger(__name__)


class IvsKickCommand:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        started = time.monotonic()
        user_id = command.get("user_id", "")
        parsed = parse_command(command.get("text", ""))
        if isinstance(parsed, Help):
            ack(text=usage(), response_type="ephemeral")
            result = "help"
        elif isinstance(parsed, ParseError):
            ack(text=problem(parsed.message), response_type="ephemeral")
            result = f"invalid_{parsed.field}"
        else:
            ack()
            result = self._confirm(parsed, command, client)
        log.info(
            "command",
            extra={
                "fields": {
                    "moderator": user_id,
                    "channel": command.get("channel_id"),
                    "result": result,
                    "ms": round((time.monotonic() - started) * 1000, 1),
                }
            },
        )

    def _confirm(self, request: KickRequest, command: dict[str, Any], client: WebClient) -> str:
        response_url = command.get("response_url")
        verdict = self._services.moderators.check(
            command.get("user_id", ""), max_age=ROLE_MAX_AGE_BEFORE_MODAL, wait=ROLE_WAIT_SECONDS
        )
        if verdict.standing is Standing.NOT_MODERATOR or (
            verdict.standing is Standing.UNKNOWN and not verdict.transient
        ):
            reply_privately(response_url, f":no_entry: Sorry, {refusal_message(verdict)}")
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
