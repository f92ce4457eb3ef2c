"""Keep the cached moderator group in step with Slack, so a revoked moderator cannot kick."""

from __future__ import annotations

import math
import time
from typing import Any

from ..services import Services


def changed_at(event: dict[str, Any], body: dict[str, Any]) -> float:
    """When the group changed, in seconds since the epoch: the event's `event_ts` (to the microsecond), else the
    group's `date_update`, else the envelope's `event_time`; the time of receipt if Slack sent none of them."""
    for value in (event.get("event_ts"), event.get("date_update"), body.get("event_time")):
        try:
            at = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(at):
            return at
    return time.time()


class SubteamMembersChanged:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, event: dict[str, Any], body: dict[str, Any]) -> None:
        self._services.moderators.apply_change(
            event.get("subteam_id", ""),
            event.get("added_users") or [],
            event.get("removed_users") or [],
            at=changed_at(event, body),
            event_id=body.get("event_id"),
        )
