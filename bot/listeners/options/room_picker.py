"""Options for the form's room picker: to moderators only, from the cached room listing only, so Slack's 3 s
deadline holds even while AWS is slow (the directory refreshes itself in the background). Right after start-up,
before the first listing has come, the listing in flight is waited on within ANSWER_WITHIN."""

from __future__ import annotations

import time
from typing import Any

from slack_bolt import Ack

from ...messages import room_option
from ..services import Services

MAX_OPTIONS = 100  # Slack shows at most 100 options
# Slack waits 3 s for the options; the role check and the first room listing share this much of it, leaving the
# rest for Bolt and the network.
ANSWER_WITHIN = 2.0


class RoomPickerOptions:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, payload: dict[str, Any]) -> None:
        started = time.monotonic()
        user_id = (payload.get("user") or {}).get("id", "")
        if not self._services.moderators.check_before_options(user_id).allowed:
            ack(options=[])  # the room list is for moderators only; the form's submission says why
            return
        left = ANSWER_WITHIN - (time.monotonic() - started)
        rooms = self._services.rooms.rooms(str(payload.get("value") or ""), limit=MAX_OPTIONS, wait=left)
        ack(options=[room_option(room) for room in rooms])
