"""The confirmation modal's Kick (Ban, Time out) button: validate the reason and the Ban choice, open the case,
close the modal, then kick (or ban) and report."""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient

from ...ban_select import BAN_BLOCK, chosen_value, term_of
from ...delivery import RESPONSE_URLS, Moderator, reply_privately, tell
from ...kick.audit import escape_mrkdwn
from ...kick.bans import ALL_ROOMS, Term
from ...kick.cases import Action, Case
from ...kick.flow import Attempt, carry_out, open_attempt, settle_invalid
from ...kick.request import ONE_ROOM, InvalidField, validate_reason
from ...kick.rooms import Found, Room
from ...messages import REASON_BLOCK, ModalContext, moderator_reply, progress_message, room_problem, submitted_reason
from ...store import STORE_ERRORS
from ..confirmations import every_room
from ..services import Services

log = logging.getLogger(__name__)

# Bulk kicks this large tell the moderator how far they have got.
PROGRESS_FROM = 50
# A response URL takes five posts; the outcome always keeps the last one, and progress notes take what is left.
KEPT_FOR_OUTCOME = 1


class Progress:
    """Posts "k of n done" at the start and at about a third and two thirds of the way, each replacing the one
    before, as long as the response URL has a post to spare beyond the one kept for the outcome."""

    def __init__(
        self, response_url: str | None, total: int, room: str, verb: str = "Kicking", viewers: int = 0
    ) -> None:
        self._url, self._total, self._room = response_url, total, room
        self._verb, self._viewers = verb, viewers or total
        self._marks = {total // 3, 2 * total // 3}
        self._lock = threading.Lock()

    def _post(self, done: int) -> None:
        if self._url and RESPONSE_URLS.left(self._url) > KEPT_FOR_OUTCOME:
            text = progress_message(done, self._total, self._room, self._verb, self._viewers)
            reply_privately(self._url, text, replace=done > 0)

    def start(self) -> None:
        self._post(0)

    def __call__(self, done: int) -> None:
        with self._lock:
            if done not in self._marks:
                return
            self._marks.discard(done)
        self._post(done)


# Shown on the modal when the case cannot be written: nothing may be kicked off the record.
STORE_DOWN = "The audit trail could not be written, so nothing was done. Try again in a minute."


def refuse_store_down(ack: Ack, error: Exception) -> None:
    log.error("case store unavailable at submission", extra={"fields": {"error": type(error).__name__}})
    ack(response_action="errors", errors={REASON_BLOCK: STORE_DOWN})


def workspace_of(body: dict[str, Any]) -> str | None:
    """The submitter's workspace: `team` is null in an Enterprise Grid org-wide installation, `user.team_id` is not."""
    return (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")


def submitted_choices(view: dict[str, Any], shortest: timedelta, every: bool) -> tuple[str | None, Term | None]:
    """The reason and the Ban choice as submitted, or InvalidField naming the block at fault. A kick needs one
    room, so a confirmation for every room (`every`) takes only a ban."""
    reason = validate_reason(submitted_reason(view))
    term = term_of(chosen_value(view), shortest)
    if every and term is None:
        raise InvalidField(BAN_BLOCK, ONE_ROOM)
    return reason, term


def field_errors(problem: InvalidField) -> dict[str, str]:
    """A field's problem as `errors` on its block of the modal."""
    return {BAN_BLOCK if problem.field == BAN_BLOCK else REASON_BLOCK: problem.message}


def accept_submission(
    services: Services, ack: Ack, context: ModalContext, users: tuple[str, ...], reason: str | None,
    body: dict[str, Any], view: dict[str, Any], term: Term | None = None, action: Action = Action.KICK,
) -> tuple[Case, Attempt] | None:  # fmt: skip
    """Open the case, then ack: once Slack closes the modal, the kick is on record even if the bot dies. With a
    `term` the case is a ban for that long from now.

    None when there is nothing more to do: the store failed (the modal says so) or Slack sent this twice.
    """
    at = datetime.now(timezone.utc)
    attempt = Attempt(
        room_arn=context.room_arn,
        room_name=context.room_name,
        user_ids=users,
        reason=reason,
        moderator_id=body.get("user", {}).get("id", ""),
        team_id=workspace_of(body),
        channel_id=context.channel,
        at=at,
        submission_key=view.get("id"),
        action=Action.BAN if term is not None else action,
        banned_until=term.until(at) if term is not None else None,
    )
    try:
        case = open_attempt(services.store, attempt)
    except STORE_ERRORS as error:
        refuse_store_down(ack, error)
        return None
    ack()
    return None if case is None else (case, attempt)


def kick_and_report(services: Services, case: Case, attempt: Attempt, context: ModalContext, client: WebClient) -> None:
    """After an accepted submission: resolve the room if still needed, kick, post the audit, tell the moderator
    (through the response URL, else privately in the channel, else in a direct message). The pending case beats
    while this runs, so a long raid is never taken for the work of a dead process."""
    with services.outbox.running(case):
        _kick_and_report(services, case, attempt, context, client)


def with_room(
    services: Services, case: Case, attempt: Attempt, context: ModalContext, client: WebClient
) -> Attempt | None:
    """The attempt with its room found, if it was submitted before the look-up finished; None (the case settled
    as invalid and the moderator told) when there is no such room."""
    if attempt.room_arn is not None:
        return attempt
    resolution = services.rooms.resolve(context.room)
    if isinstance(resolution, Found):
        return replace(attempt, room_arn=resolution.room.arn, room_name=resolution.room.name)
    why = room_problem(resolution)
    services.outbox.deliver(settle_invalid(services.store, case, why))
    moderator = Moderator(attempt.moderator_id, context.channel, context.response_url)
    tell(client, moderator, f":warning: {escape_mrkdwn(why)}")
    return None


def _kick_and_report(
    services: Services, case: Case, attempt: Attempt, context: ModalContext, client: WebClient
) -> None:
    moderator = Moderator(attempt.moderator_id, context.channel, context.response_url)
    found = with_room(services, case, attempt, context, client)
    if found is None:
        return
    attempt = found
    # The room as the directory last read it (its cache: no AWS call), so the record can say whether IVS Chat
    # checks the ban there.
    rooms = every_room(services) if attempt.room_arn == ALL_ROOMS else [_known(services, attempt.room_arn)]
    calls = len(attempt.user_ids) * len(rooms)
    progress = None
    if calls >= PROGRESS_FROM:
        where = f"each of {len(rooms)} rooms" if attempt.room_arn == ALL_ROOMS else attempt.room_name or context.room
        verb = "Kicking" if attempt.action is Action.KICK else "Banning"
        progress = Progress(context.response_url, calls, where, verb, len(attempt.user_ids))
        progress.start()
    case = carry_out(case, attempt, services.moderators, services.gateway, services.store, progress, rooms)
    audit_error = services.outbox.deliver(case)
    reply = moderator_reply(case, services.settings.audit_channel, audit_error)
    tell(client, moderator, reply, replace=progress is not None)


def _known(services: Services, arn: str) -> Room:
    return services.rooms.known(arn) or Room(arn)


class KickConfirmSubmission:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, body: dict[str, Any], view: dict[str, Any], client: WebClient) -> None:
        context = ModalContext.decode(view.get("private_metadata") or "{}")
        shortest = self._services.settings.shortest_timeout
        try:
            reason, term = submitted_choices(view, shortest, context.room_arn == ALL_ROOMS)
        except InvalidField as problem:
            ack(response_action="errors", errors=field_errors(problem))
            return
        try:
            users = context.users or self._drafted_users(context)
        except STORE_ERRORS as error:
            refuse_store_down(ack, error)
            return
        if not users:
            ack()
            moderator = Moderator(body.get("user", {}).get("id", ""), context.channel, context.response_url)
            tell(client, moderator, ":warning: This confirmation expired. Run the command again.")
            return
        accepted = accept_submission(self._services, ack, context, users, reason, body, view, term)
        if accepted:
            kick_and_report(self._services, *accepted, context, client)

    def _drafted_users(self, context: ModalContext) -> tuple[str, ...]:
        if not context.draft:
            return ()
        payload = self._services.store.load_draft(context.draft, datetime.now(timezone.utc))
        return tuple(json.loads(payload)) if payload else ()
