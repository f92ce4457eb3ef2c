"""The confirmation modal's Kick button: validate the reason, close the modal, then kick and report."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from ...delivery import post_audit, reply_privately
from ...kick.audit import KickAttempt
from ...kick.flow import carry_out
from ...kick.request import InvalidField, kick_request, validate_reason
from ...messages import REASON_BLOCK, ModalContext, moderator_reply, submitted_reason
from ..services import Services


class KickConfirmSubmission:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
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
        attempt = KickAttempt(
            request=request,
            moderator_id=body.get("user", {}).get("id", ""),
            channel_id=context.channel,
            at=datetime.now(timezone.utc),
        )
        services = self._services
        report = carry_out(attempt, services.moderators, services.gateway)
        audit_error = post_audit(client, services.settings.audit_channel, report.record)
        reply_privately(context.response_url, moderator_reply(report, services.settings.audit_channel, audit_error))
