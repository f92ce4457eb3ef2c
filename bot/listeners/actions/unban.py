""" "Unban" on a listed ban: moderators get the unban confirmation (the role is checked again when they confirm);
anyone else a refusal, which is a case on record like a refused `/ivs-kick unban`."""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from ...ban_messages import unban_modal, unban_target
from ...kick.bans import ALL_ROOMS
from ...kick.cases import Action
from ...kick.flow import Attempt
from ...kick.moderators import Standing
from ...kick.request import UnbanOrder
from ...messages import ModalContext
from ..confirmations import open_confirmation, refuse
from ..services import Services
from ..views.kick_confirm import workspace_of

log = logging.getLogger(__name__)


class UnbanButton:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        ack()
        services, response_url = self._services, body.get("response_url")
        target = unban_target(action.get("value"))
        if target is None:
            log.warning("unban button without a ban", extra={"fields": {"value": str(action.get("value"))[:200]}})
            return
        room_arn, user = target
        clicker, channel = body.get("user", {}).get("id", ""), (body.get("channel") or {}).get("id")
        room = None if room_arn == ALL_ROOMS else services.rooms.known(room_arn)
        verdict = services.moderators.check_before_modal(clicker)
        if verdict.refused:
            attempt = Attempt(
                room_arn=room_arn, user_ids=(user,), reason=None, moderator_id=clicker, team_id=workspace_of(body),
                channel_id=channel, at=datetime.now(timezone.utc), room_name=room.name if room else None,
                action=Action.UNBAN,
            )  # fmt: skip
            refuse(services, attempt, verdict, response_url)
            return
        context = ModalContext(room_arn, room_arn, room.name if room else None, (user,), channel, response_url, count=1)
        view = unban_modal(
            UnbanOrder(room_arn, user), room, context, role_unconfirmed=verdict.standing is Standing.UNKNOWN
        )
        open_confirmation(client, body.get("trigger_id"), view, response_url)
