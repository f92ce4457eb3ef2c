""" "Edit reason" on an audit post: moderators get a modal with the case's reason; anyone else a refusal."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from ...delivery import reply_privately, slack_error
from ...kick.flow import refusal_message
from ...messages import edit_reason_modal
from ..services import Services

log = logging.getLogger(__name__)


class EditReasonButton:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        services, response_url = self._services, body.get("response_url")
        verdict = services.moderators.check_before_modal(body.get("user", {}).get("id", ""))
        if verdict.refused:
            reply_privately(response_url, f":no_entry: Sorry, {refusal_message(verdict)}")
            return
        value = action.get("value")  # the case number this bot put on the button
        number = int(value) if isinstance(value, str) and value.isascii() and value.isdigit() else 0
        case = services.store.get(number) if number else None
        if case is None:
            reply_privately(response_url, f"There is no case #{number}.")
            return
        try:
            channel = (body.get("channel") or {}).get("id")
            client.views_open(trigger_id=body.get("trigger_id"), view=edit_reason_modal(case, response_url, channel))
        except (SlackClientError, OSError) as error:
            log.error("views.open failed", extra={"fields": {"error": slack_error(error), "case": number}})
            reply_privately(
                response_url, f":warning: The dialog could not be opened (Slack said {slack_error(error)})."
            )
