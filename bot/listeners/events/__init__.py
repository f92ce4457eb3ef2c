from __future__ import annotations

from slack_bolt import App

from ..services import Services
from .subteam_members_changed import SubteamMembersChanged


def register(app: App, services: Services) -> None:
    app.event("subteam_members_changed")(SubteamMembersChanged(services))
