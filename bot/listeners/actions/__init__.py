from __future__ import annotations

from slack_bolt import App

from ...ban_messages import UNBAN_BUTTON
from ...ban_select import BAN_ACTION
from ...kick.audit import EDIT_REASON_ACTION
from ..services import Services
from .ban_choice import BanChoice
from .edit_reason import EditReasonButton
from .unban import UnbanButton


def register(app: App, services: Services) -> None:
    app.action(EDIT_REASON_ACTION)(EditReasonButton(services))
    app.action(BAN_ACTION)(BanChoice(services))
    app.action(UNBAN_BUTTON)(UnbanButton(services))
