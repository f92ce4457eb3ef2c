"""Keep the cached moderator group in step with Slack, so a revoked moderator cannot kick."""

from __future__ import annotations

from typing import Any

from ..services import Services


class SubteamMembersChanged:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, event: dict[str, Any]) -> None:
        self._services.moderators.apply_change(
            event.get("subteam_id", ""), event.get("added_users") or [], event.get("removed_users") or []
        )
