"""The no-arguments form's Kick (Ban, Time out) button: the form is its own confirmation, so validate every field,
then kick or ban."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from ...ban_select import BAN_BLOCK, chosen_value, term_of
from ...kick.request import InvalidField, validate_reason, validate_room_reference, validate_users
from ...messages import REASON_BLOCK, ROOM_BLOCK, USERS_BLOCK, ModalContext, form_values
from ..services import Services
from .kick_confirm import accept_submission, kick_and_report

_SEPARATORS = re.compile(r"[\n,]")


class KickFormSubmission:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        room_value, users_text, reason_text = form_values(view)
        errors: dict[str, str] = {}
        checks = (
            (ROOM_BLOCK, lambda: validate_room_reference(room_value or "")),
            (USERS_BLOCK, lambda: validate_users(_SEPARATORS.split(users_text))),
            (REASON_BLOCK, lambda: validate_reason(reason_text)),
            (BAN_BLOCK, lambda: term_of(chosen_value(view), self._services.settings.shortest_timeout)),
        )
        values: dict[str, Any] = {}
        for block, check in checks:
            try:
                values[block] = check()
            except InvalidField as problem:
                errors[block] = problem.message
        if errors:
            ack(response_action="errors", errors=errors)
            return
        context = ModalContext.decode(view.get("private_metadata") or "{}")
        context = replace(context, room=values[ROOM_BLOCK])
        room = self._services.rooms.known(values[ROOM_BLOCK])
        if room:
            context = context.with_room(room)
        accepted = accept_submission(
            self._services, ack, context, values[USERS_BLOCK], values[REASON_BLOCK], body, view, values[BAN_BLOCK]
        )
        if accepted:
            kick_and_report(self._services, *accepted, context, client)
