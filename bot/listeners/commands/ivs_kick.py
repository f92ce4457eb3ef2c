"""`/ivs-kick`: parse, ack at once, check the role from cache, open the confirmation modal, then fill it in.

The trigger_id dies 3 s after the command, so nothing before views.open may wait on AWS, and the role check
waits on Slack's user group look-up for at most a second. A room given by name, ID or an
uncached ARN is looked up after the modal is open, which is then updated with what AWS said. If Slack is
slow or rate limited the modal opens anyway and the role is checked again, for real, at Kick. Refused and
invalid attempts are recorded as cases after the ack.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from ...ban_messages import unban_modal
from ...delivery import reply_privately, slack_error
from ...kick.audit import escape_mrkdwn
from ...kick.bans import ALL_ROOMS
from ...kick.cases import Action, Case
from ...kick.command import (
    BansQuery,
    CaseQuery,
    FormRequest,
    Help,
    HistoryQuery,
    ParseError,
    command_as_typed,
    parse_command,
)
from ...kick.flow import Attempt, record_invalid, refusal_message
from ...kick.moderators import Standing
from ...kick.request import KickOrder, UnbanOrder
from ...kick.rooms import Found, Room
from ...look_back import case_message, history_message, permalink
from ...messages import (
    DRAFT_LIFETIME,
    ModalContext,
    kick_form,
    kick_modal,
    notice_modal,
    on_record,
    problem,
    room_problem,
    usage,
)
from ..confirmations import open_confirmation, refuse, review_note
from ..services import Services
from .bans import list_bans

Order = KickOrder | UnbanOrder
# Builds a confirmation for a room once it is known (None: still being looked up).
BuildModal = Callable[[Room | None, ModalContext], dict[str, Any]]

COMMAND = "/ivs-kick"
# Looking back answers through the response URL, not a trigger, so it can wait longer for Slack.
LOOK_BACK_ROLE_WAIT_SECONDS = 10.0

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class IvsKickCommand:
    def __init__(self, services: Services) -> None:
        self._services = services

    def __call__(self, ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        started = time.monotonic()
        parsed = parse_command(command.get("text", ""), self._services.settings.shortest_timeout)
        if isinstance(parsed, Help):
            ack(text=usage(), response_type="ephemeral")
            result = "help"
        elif isinstance(parsed, ParseError):
            if parsed.action is not None:  # an attempt that cannot be carried out as typed: a case, written first
                case = self._record_invalid(command, None, parsed.message, parsed.action)
                note = on_record(self._services.settings.audit_channel)
                text = problem(f"Case #{case.number}: {parsed.message}", note)
            else:
                text = problem(parsed.message)
            ack(text=text, response_type="ephemeral")
            result = f"invalid_{parsed.field}"
        elif isinstance(parsed, (HistoryQuery, CaseQuery)):
            ack()
            result = self._look_back(parsed, command)
        elif isinstance(parsed, BansQuery):
            ack()
            result = list_bans(self._services, parsed, command, LOOK_BACK_ROLE_WAIT_SECONDS)
        elif isinstance(parsed, FormRequest):
            ack()
            result = self._form(parsed, command, client)
        elif isinstance(parsed, UnbanOrder):
            ack()
            result = self._confirm_unban(parsed, command, client)
        else:
            ack()
            result = self._confirm(parsed, command, client)
        log.info(
            "command",
            extra={
                "fields": {
                    "moderator": command.get("user_id"),
                    "channel": command.get("channel_id"),
                    "result": result,
                    "ms": round((time.monotonic() - started) * 1000, 1),
                }
            },
        )

    def _attempt(
        self, command: dict[str, Any], order: Order | None, room: Room | None, action: Action = Action.KICK
    ) -> Attempt:
        at, term, users = _now(), None, ()
        if isinstance(order, UnbanOrder):
            action, users = Action.UNBAN, (order.user_id,)
        elif order is not None:
            term, users = order.term, order.user_ids
            action = Action.KICK if term is None else Action.BAN
        every = order is not None and order.room == ALL_ROOMS
        return Attempt(
            room_arn=room.arn if room else ALL_ROOMS if every else None,
            room_name=room.name if room else None,
            user_ids=users,
            reason=order.reason if order else None,
            moderator_id=command.get("user_id", ""),
            team_id=command.get("team_id"),
            channel_id=command.get("channel_id"),
            at=at,
            command_text=command_as_typed(command.get("text", "")),
            action=action,
            banned_until=term.until(at) if term else None,
        )

    def _record_invalid(
        self, command: dict[str, Any], order: Order | None, why: str, action: Action = Action.KICK
    ) -> Case:
        case = record_invalid(self._services.store, self._attempt(command, order, None, action), why)
        self._services.outbox.deliver(case)  # hands it to the outbox's thread
        return case

    def _look_back(self, query: HistoryQuery | CaseQuery, command: dict[str, Any]) -> str:
        """History and case views are for moderators only: they name viewers and reasons."""
        services, response_url = self._services, command.get("response_url")
        verdict = services.moderators.check_decisive(command.get("user_id", ""), wait=LOOK_BACK_ROLE_WAIT_SECONDS)
        if not verdict.allowed:
            reply_privately(response_url, f":no_entry: Sorry, {refusal_message(verdict)}")
            return "look_back_refused"
        domain, host = command.get("team_domain"), services.settings.slack_host
        if isinstance(query, CaseQuery):
            case = services.store.get(query.number)
            if case is None:
                reply_privately(response_url, f"There is no case #{query.number}.")
                return "case_not_found"
            shown = reply_privately(response_url, **case_message(case, permalink(case, domain, host)))
            return "case_shown" if shown else "case_not_shown"
        cases = services.store.history(user_id=query.user_id, room_arn=query.room_arn, limit=query.limit)
        subject = f"IVS user {query.user_id}" if query.user_id else f"room {query.room_arn}"
        shown = reply_privately(
            response_url, **history_message(subject, cases, [permalink(c, domain, host) for c in cases])
        )
        return "history_shown" if shown else "history_not_shown"

    def _form(self, request: FormRequest, command: dict[str, Any], client: WebClient) -> str:
        services, response_url = self._services, command.get("response_url")
        verdict = services.moderators.check_before_modal(command.get("user_id", ""))
        if verdict.refused:
            reply_privately(response_url, f":no_entry: Sorry, {refusal_message(verdict)}")
            return f"refused_{verdict.standing.value}"
        room = services.rooms.known(request.room) if request.room else None
        context = ModalContext(request.room or "", None, None, (), command.get("channel_id"), response_url)
        view = kick_form(room, request.room, context, services.settings.shortest_timeout)
        try:
            client.views_open(trigger_id=command.get("trigger_id"), view=view)
        except (SlackClientError, OSError) as error:
            log.error("views.open failed", extra={"fields": {"error": slack_error(error)}})
            reply_privately(response_url, f":warning: The form could not be opened (Slack said {slack_error(error)}).")
            return "form_failed"
        return "form_opened"

    def _known(self, reference: str) -> Room | None:
        """The room if it can be told without AWS; None for every room (`*`) or one still to be looked up."""
        return None if reference == ALL_ROOMS else self._services.rooms.known(reference)

    @staticmethod
    def _context(order: Order, room: Room | None, users: tuple[str, ...], command: dict[str, Any]) -> ModalContext:
        arn = room.arn if room else ALL_ROOMS if order.room == ALL_ROOMS else None
        return ModalContext(
            order.room, arn, room.name if room else None, users, command.get("channel_id"),
            command.get("response_url"), count=len(users),
        )  # fmt: skip

    def _confirm(self, order: KickOrder, command: dict[str, Any], client: WebClient) -> str:
        services = self._services
        verdict = services.moderators.check_before_modal(command.get("user_id", ""))
        room = self._known(order.room)
        if verdict.refused:
            refuse(services, self._attempt(command, order, room), verdict, command.get("response_url"))
            return f"refused_{verdict.standing.value}"
        context = self._context(order, room, order.user_ids, command)
        if not context.fits():  # a raid's list: keep it in the store, carry only its key
            key = uuid.uuid4().hex
            services.store.save_draft(key, json.dumps(order.user_ids), _now() + DRAFT_LIFETIME)
            context = replace(context, users=(), draft=key)
        unconfirmed = verdict.standing is Standing.UNKNOWN

        def build(shown: Room | None, context: ModalContext) -> dict[str, Any]:
            return kick_modal(
                order, shown, context, role_unconfirmed=unconfirmed, shortest=services.settings.shortest_timeout,
                review_note=review_note(services, order.room, shown),
            )  # fmt: skip

        opened = self._open(order, room, context, build, command, client)
        return "modal_failed" if not opened else "modal_opened" if verdict.allowed else "modal_opened_role_unconfirmed"

    def _confirm_unban(self, order: UnbanOrder, command: dict[str, Any], client: WebClient) -> str:
        verdict = self._services.moderators.check_before_modal(command.get("user_id", ""))
        room = self._known(order.room)
        if verdict.refused:
            refuse(self._services, self._attempt(command, order, room), verdict, command.get("response_url"))
            return f"unban_refused_{verdict.standing.value}"
        context = self._context(order, room, (order.user_id,), command)

        unconfirmed = verdict.standing is Standing.UNKNOWN

        def build(shown: Room | None, context: ModalContext) -> dict[str, Any]:
            return unban_modal(order, shown, context, role_unconfirmed=unconfirmed)

        return "unban_modal_opened" if self._open(order, room, context, build, command, client) else "modal_failed"

    def _open(
        self, order: Order, room: Room | None, context: ModalContext, build: BuildModal, command: dict[str, Any],
        client: WebClient,
    ) -> bool:  # fmt: skip
        """Open the confirmation, then look its room up in the background if AWS must be asked."""
        opened = open_confirmation(client, command.get("trigger_id"), build(room, context), command.get("response_url"))
        if opened is None:
            return False
        if order.room != ALL_ROOMS and (room is None or room.name is None):  # ask AWS without holding this thread
            self._services.background.submit(self._fill_in_room, order, room, context, opened, client, command, build)
        return True

    def _fill_in_room(
        self, order: Order, shown: Room | None, context: ModalContext, view: dict[str, Any], client: WebClient,
        command: dict[str, Any], build: BuildModal,
    ) -> None:  # fmt: skip
        """After the modal is open: ask AWS about the room, and show its name, or why it cannot be used."""
        resolution = self._services.rooms.resolve(order.room)
        if isinstance(resolution, Found):
            room = resolution.room
            if shown and room.arn == shown.arn and not room.name and room.has_review_handler is not False:
                return  # nothing more to show (unnamed, or not read, and no warning): spare Slack the update
            update = build(room, context.with_room(room))
        else:
            why = room_problem(resolution)
            update = notice_modal(why)
            self._record_invalid(command, order, why)
            reply_privately(context.response_url, f":warning: {escape_mrkdwn(why)}")
        try:
            client.views_update(view_id=view["id"], hash=view.get("hash"), view=update)
        except (SlackClientError, OSError) as error:  # the moderator already submitted or closed it: nothing to show
            log.info("views.update skipped", extra={"fields": {"error": slack_error(error)}})
