from __future__ import annotations

from slack_bolt import App

from ...messages import ROOM_ACTION
from ..services import Services
from .room_picker import RoomPickerOptions


def register(app: App, services: Services) -> None:
    app.options(ROOM_ACTION)(RoomPickerOptions(services))
