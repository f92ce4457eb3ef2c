"""Saving an edited reason: check the role again, record the amendment, update the audit post in place."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from ...delivery import Moderator, tell, update_message
from ...kick.audit import audit_record
from ...kick.cases import Amendment
from ...kick.flow import SUBMIT_ROLE_WAIT_SECONDS, refusal_message
from ...kick.request import InvalidField, validate_reason
from ...messages import REASON_BLOCK, submitted_reason
from ..services import Services


class EditReasonSubmission:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        try:
            new_reason = validate_reason(submitted_reason(view))
        except InvalidField as problem:
            ack(response_action="errors", errors={REASON_BLOCK: problem.message})
            return
        ack()
        services = self._services
        metadata = json.loads(view.get("private_metadata") or "{}")
        editor = body.get("user", {}).get("id", "")
        moderator = Moderator(editor, metadata.get("channel"), metadata.get("response_url"))
        verdict = services.moderators.check_decisive(editor, wait=SUBMIT_ROLE_WAIT_SECONDS)
        if not verdict.allowed:
            tell(client, moderator, f":no_entry: The reason was not changed: {refusal_message(verdict)}")
            return
        case = services.store.get(int(metadata.get("case", 0)))
        if case is None or case.reason == new_reason:
            return
        case = services.store.amend_reason(
            case.number, Amendment(datetime.now(timezone.utc), editor, case.reason, new_reason)
        )
        if case.audit_post is None:
            return  # the outbox will post the amended record
        if case.summarised_in is not None:
            return  # its post is a summary of many cases, which names no reason: the record alone changes
        updated = update_message(client, case.audit_post.channel, case.audit_post.ts, audit_record(case))
        if updated.error:
            tell(
                client,
                moderator,
                f":warning: Case #{case.number}'s reason is amended on record, but its audit post could not be "
                f"updated: {updated.error}",
            )
