"""The unban confirmation's Unban button: validate the reason, open the case, close the modal, then check the role
again and end the ban; the case is DONE, or FAILED (still on record) when no ban was in force."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from ...delivery import Moderator, tell
from ...kick.cases import Action, Case
from ...kick.flow import Attempt, carry_out_unban
from ...kick.request import InvalidField, validate_reason
from ...messages import REASON_BLOCK, ModalContext, moderator_reply, submitted_reason
from ..services import Services
from .kick_confirm import accept_submission, with_room


def unban_and_report(
    services: Services, case: Case, attempt: Attempt, context: ModalContext, client: WebClient
) -> None:
    with services.outbox.running(case):
        found = with_room(services, case, attempt, context, client)
        if found is None:
            return
        case = carry_out_unban(case, found, services.moderators, services.store)
        audit_error = services.outbox.deliver(case)
        moderator = Moderator(found.moderator_id, context.channel, context.response_url)
        tell(client, moderator, moderator_reply(case, services.settings.audit_channel, audit_error))


class UnbanConfirmSubmission:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        try:
            reason = validate_reason(submitted_reason(view))
        except InvalidField as problem:
            ack(response_action="errors", errors={REASON_BLOCK: problem.message})
            return
        context = ModalContext.decode(view.get("private_metadata") or "{}")
        accepted = accept_submission(
            self._services, ack, context, context.users, reason, body, view, action=Action.UNBAN
        )
        if accepted:
            unban_and_report(self._services, *accepted, context, client)
