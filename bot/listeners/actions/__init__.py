from __future__ import annotations

from slack_bolt import App

from ...kick.audit import EDIT_REASON_ACTION
from ..services import Services
from .edit_reason import EditReasonButton


def register(app: App, services: Services) -> None:
    app.action(EDIT_REASON_ACTION)(EditReasonButton(services))
