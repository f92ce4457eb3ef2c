from __future__ import annotations

from slack_bolt import App

from ...messages import MODAL_CALLBACK_ID
from ..services import Services
from .kick_confirm import KickConfirmSubmission


def register(app: App, services: Services) -> None:
    app.view_submission(MODAL_CALLBACK_ID)(KickConfirmSubmission(services))
