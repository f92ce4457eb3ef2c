"""The confirmation modal's Kick button: validate the reason, close the modal, then kick, record and report."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack

from ...delivery import reply_privately
from ...kick.audit import escape_mrkdwn
from ...kick.flow import Attempt, carry_out, record_invalid
from ...kick.request import InvalidField, validate_reason
from ...kick.rooms import Found
from ...messages import REASON_BLOCK, ModalContext, moderator_reply, progress_message, room_problem, submitted_reason
from ..services import Services

# Bulk kicks this large tell the moderator how far they have got: twice, since a response URL takes 5 posts.
PROGRESS_FROM = 50


class Progress:
    """Posts "k of n done" at about a third and two thirds of the way, replacing the previous progress note."""

    def __init__(self, response_url: str | None, total: int, room: str) -> None:
        self._url, self._total, self._room = response_url, total, room
        self._marks = {total // 3, 2 * total // 3}
        self._lock = threading.Lock()

    def start(self) -> None:
        reply_privately(self._url, progress_message(0, self._total, self._room))

    def __call__(self, done: int) -> None:
        with self._lock:
            if done not in self._marks:
                return
            self._marks.discard(done)
        reply_privately(self._url, progress_message(done, self._total, self._room), replace=True)


def kick_and_report(
    services: Services, context: ModalContext, users: tuple[str, ...], reason: str | None, body: dict[str, Any],
    view: dict[str, Any],
) -> None:  # fmt: skip
    """After a confirming submission was acked: resolve the room if still needed, kick, post the audit, reply."""
    attempt = Attempt(
        room_arn=context.room_arn,
        room_name=context.room_name,
        user_ids=users,
        reason=reason,
        moderator_id=body.get("user", {}).get("id", ""),
        team_id=body.get("team", {}).get("id"),
        channel_id=context.channel,
        at=datetime.now(timezone.utc),
        submission_key=view.get("id"),
    )
    if attempt.room_arn is None:  # submitted before the room look-up finished
        resolution = services.rooms.resolve(context.room)
        if not isinstance(resolution, Found):
            why = room_problem(resolution)
            services.outbox.deliver(record_invalid(services.store, attempt, why))
            reply_privately(context.response_url, f":warning: {escape_mrkdwn(why)}")
            return
        attempt = replace(attempt, room_arn=resolution.room.arn, room_name=resolution.room.name)
    progress = None
    if len(users) >= PROGRESS_FROM:
        progress = Progress(context.response_url, len(users), attempt.room_name or context.room)
        progress.start()
    case = carry_out(attempt, services.moderators, services.gateway, services.store, progress)
    if case is None:
        return  # Slack delivered this submission twice; the first one kicked and replied
    audit_error = services.outbox.deliver(case)
    reply = moderator_reply(case, services.settings.audit_channel, audit_error)
    reply_privately(context.response_url, reply, replace=progress is not None)


class KickConfirmSubmission:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        try:
            reason = validate_reason(submitted_reason(view))
        except InvalidField as problem:
            ack(response_action="errors", errors={REASON_BLOCK: problem.message})
            return
        context = ModalContext.decode(view.get("private_metadata") or "{}")
        ack()
        users = context.users or self._drafted_users(context)
        if not users:
            reply_privately(context.response_url, ":warning: This confirmation expired. Run the command again.")
            return
        kick_and_report(self._services, context, users, reason, body, view)

    def _drafted_users(self, context: ModalContext) -> tuple[str, ...]:
        if not context.draft:
            return ()
        payload = self._services.store.load_draft(context.draft, datetime.now(timezone.utc))
        return tuple(json.loads(payload)) if payload else ()
