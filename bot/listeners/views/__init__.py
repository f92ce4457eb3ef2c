from __future__ import annotations

from slack_bolt import App

from ...ban_messages import UNBAN_CALLBACK_ID
from ...messages import EDIT_REASON_CALLBACK_ID, FORM_CALLBACK_ID, MODAL_CALLBACK_ID
from ..services import Services
from .edit_reason import EditReasonSubmission
from .kick_confirm import KickConfirmSubmission
from .kick_form import KickFormSubmission
from .unban_confirm import UnbanConfirmSubmission


def register(app: App, services: Services) -> None:
    app.view_submission(MODAL_CALLBACK_ID)(KickConfirmSubmission(services))
    app.view_submission(EDIT_REASON_CALLBACK_ID)(EditReasonSubmission(services))
    app.view_submission(FORM_CALLBACK_ID)(KickFormSubmission(services))
    app.view_submission(UNBAN_CALLBACK_ID)(UnbanConfirmSubmission(services))
