"""A change of the Ban select in an open confirmation: relabel its title and submit button (Kick / Ban / Time out),
so what the button says is what pressing it does. Nothing is decided here; the submission reads the choice."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from ...ban_select import relabeled, term_of
from ...delivery import slack_error
from ...kick.request import InvalidField
from ...messages import ModalContext
from ..services import Services

log = logging.getLogger(__name__)


class BanChoice:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        view = body.get("view") or {}
        value = (action.get("selected_option") or {}).get("value")
        try:
            term = term_of(value, self._services.settings.shortest_timeout)
        except InvalidField:
            return  # not an option this bot offers; the submission refuses it on the field
        count = ModalContext.decode(view.get("private_metadata") or "{}").count
        try:
            client.views_update(view_id=view.get("id"), hash=view.get("hash"), view=relabeled(view, term, count))
        except (SlackClientError, OSError) as error:  # submitted or closed meanwhile, or changed again: nothing to do
            log.info("views.update skipped", extra={"fields": {"error": slack_error(error)}})
