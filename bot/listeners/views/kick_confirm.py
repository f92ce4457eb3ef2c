"""The confirmation modal's Kick button: validate the reason, close the modal, then kick, record and report."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack

from ...delivery import reply_privately
from ...kick.flow import Attempt, carry_out
from ...kick.request import InvalidField, kick_request, validate_reason
from ...messages import REASON_BLOCK, ModalContext, moderator_reply, submitted_reason
from ..services import Services


class KickConfirmSubmission:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            reason = validate_reason(submitted_reason(view))
        except InvalidField as problem:
            ack(response_action="errors", errors={REASON_BLOCK: problem.message})
            return
        context = ModalContext.decode(view.get("private_metadata") or "{}")
        ack()
        try:
            request = kick_request(context.room, context.user, reason)
        except InvalidField as problem:  # only if the metadata was not ours; refuse rather than guess
            reply_privately(context.response_url, f":warning: Nothing was done: {problem.message}")
            return
        attempt = Attempt(
            request=request,
            moderator_id=body.get("user", {}).get("id", ""),
            team_id=body.get("team", {}).get("id"),
            channel_id=context.channel,
            at=datetime.now(timezone.utc),
            submission_key=view.get("id"),
        )
        services = self._services
        case = carry_out(attempt, services.moderators, services.gateway, services.store)
        if case is None:
            return  # Slack delivered this submission twice; the first one kicked and replied
        audit_error = services.outbox.deliver(case)
        reply_privately(context.response_url, moderator_reply(case, services.settings.audit_channel, audit_error))
