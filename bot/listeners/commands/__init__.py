from __future__ import annotations

from slack_bolt import App

from ..services import Services
from .ivs_kick import COMMAND, IvsKickCommand


def register(app: App, services: Services) -> None:
    app.command(COMMAND)(IvsKickCommand(services))
