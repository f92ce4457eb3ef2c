"""What the bot shows in Slack: usage, the confirmation modal, and the moderator's private replies.

Everything that came from a person or from AWS is escaped here or in `kick.audit`, never in the listeners.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from .ban_select import ban_select, modal_title, submit_label
from .kick.audit import (
    code_span,
    escape_mrkdwn,
    flag_unchecked,
    mention_channel,
)
from .kick.bans import ALL_ROOMS, MIN_TIMEOUT
from .kick.cases import Action, Case, Status
from .kick.command import USAGE
from .kick.flood import FLOOD_PRONE
from .kick.request import KickOrder, reason_rule, region_of
from .kick.rooms import Ambiguous, LookupFailed, Room, Unknown, is_room_arn
from .outcomes import ban_outcome, disconnects
from .slack_limits import (
    INPUT_VALUE,
    MESSAGE_TEXT,
    OPTION_TEXT,
    PRIVATE_METADATA,
    SECTION_TEXT,
    VIEW_TITLE,
    clip,
    clip_mrkdwn,
    listing,
)

MODAL_CALLBACK_ID = "ivs_kick_confirm"
REASON_BLOCK, REASON_ACTION = "reason", "reason"
KICK_ONLY_NOTE = (
    ":warning: *No, kick only* disconnects the viewer: IVS Chat closes their connections to the room, but they can "
    "rejoin if your app gives them a new chat token. Choose a *Ban* to keep them out."
)


def modal(
    callback_id: str, title: str, submit: str, context: ModalContext, blocks: list[dict[str, Any]]
) -> dict[str, Any]:
    """A modal that asks for a confirmation, carrying `context` in its private_metadata."""
    return {
        "type": "modal",
        "callback_id": callback_id,
        "title": {"type": "plain_text", "text": title},
        "submit": {"type": "plain_text", "text": submit},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": context.encode(),
        "blocks": blocks,
    }


def usage() -> str:
    return f"```{escape_mrkdwn(USAGE)}```"


def problem(text: str, note: str = "") -> str:
    """An error for the person who typed the command, with their input shown as text, then `note` (mrkdwn) if
    any, then the usage; clipped to the 4,000 characters Slack advises for a message."""
    tail = "\n".join([note, usage()] if note else [usage()])
    return f":warning: {clip_mrkdwn(escape_mrkdwn(text), MESSAGE_TEXT - len(tail) - 20)}\n{tail}"


DRAFT_LIFETIME = timedelta(hours=1)


@dataclass(frozen=True)
class ModalContext:
    """What the submission needs and the modal does not show as an input; travels in `private_metadata`.

    A raid's list of user IDs can be far longer than Slack's 3000 characters of metadata: then `users` is
    empty and `draft` names where the list waits in the case store.
    """

    room: str
    room_arn: str | None
    room_name: str | None
    users: tuple[str, ...]
    channel: str | None
    response_url: str | None
    draft: str | None = None
    count: int = 0  # how many viewers the confirmation names, for its submit button (0: not known, in the form)

    def encode(self) -> str:
        encoded = json.dumps(vars(self), ensure_ascii=False, separators=(",", ":"))  # asdict() deep-copies: slow
        if len(encoded) > PRIVATE_METADATA:
            raise ValueError(f"private_metadata would be {len(encoded)} characters (limit {PRIVATE_METADATA})")
        return encoded

    def fits(self) -> bool:
        try:
            self.encode()
        except ValueError:
            return False
        return True

    def with_room(self, room: Room) -> "ModalContext":
        return replace(self, room_arn=room.arn, room_name=room.name)

    @classmethod
    def decode(cls, raw: str) -> "ModalContext":
        data = json.loads(raw)
        return cls(
            room=data["room"],
            room_arn=data.get("room_arn"),
            room_name=data.get("room_name"),
            users=tuple(data.get("users") or ()),
            channel=data.get("channel"),
            response_url=data.get("response_url"),
            draft=data.get("draft"),
            count=int(data.get("count") or 0),
        )


EVERY_ROOM = "*Every room* (`*`) of the AWS account"


def room_text(reference: str, room: Room | None) -> str:
    """mrkdwn: the room as the confirmation shows it: its name and ARN, `*` as every room, or still looked up."""
    if reference == ALL_ROOMS:
        return EVERY_ROOM
    if room is None:
        return f"{code_span(reference)}  :mag: looking it up…"
    name = f"*{escape_mrkdwn(room.name)}*\n" if room.name else ""
    return f"{name}{escape_mrkdwn(room.arn)}"


def users_text(user_ids: tuple[str, ...], limit: int = SECTION_TEXT) -> str:
    """User IDs as code spans, as many as fit in `limit` characters, then "… and N more"."""
    return listing(user_ids, limit, code_span)


def reason_block(initial: str | None, hint: str | None = None, **element: Any) -> dict[str, Any]:
    """The optional Reason input of every modal that asks for one, held to what DisconnectUser accepts."""
    limit = reason_rule().max_len
    hint = hint or f"Optional, up to {limit} characters. Recorded in the audit post."
    field: dict[str, Any] = {"type": "plain_text_input", "action_id": REASON_ACTION, "max_length": limit, **element}
    if initial:
        field["initial_value"] = initial
    return {
        "type": "input",
        "block_id": REASON_BLOCK,
        "optional": True,
        "label": {"type": "plain_text", "text": "Reason"},
        "hint": {"type": "plain_text", "text": hint},
        "element": field,
    }


# Shown on a confirmation opened before the moderator role could be confirmed (Slack slow or rate limited).
ROLE_UNCONFIRMED_NOTE = {
    "type": "context",
    "elements": [
        {
            "type": "mrkdwn",
            "text": ":hourglass: Your moderator role could not be confirmed yet; it is checked when you confirm.",
        }
    ],
}


def kick_modal(
    order: KickOrder,
    room: Room | None,
    context: ModalContext,
    *,
    role_unconfirmed: bool = False,
    shortest: timedelta = MIN_TIMEOUT,
    review_note: str | None = None,
) -> dict[str, Any]:
    """The confirmation: what will happen to whom, where. `room` None means it is still being looked up.
    `review_note` (plain text, kick.banning.unchecked_note) says where IVS Chat would not check a ban."""
    count = len(order.user_ids)
    who = f"*IVS user ID*\n{users_text(order.user_ids)}" if count == 1 else f"*Viewers ({count})*"
    fields = [{"type": "mrkdwn", "text": f"*Room*\n{room_text(order.room, room)}", "verbatim": True}]
    if room:
        fields.append({"type": "mrkdwn", "text": f"*Region*\n{escape_mrkdwn(room.region)}", "verbatim": True})
    fields.append({"type": "mrkdwn", "text": who, "verbatim": True})
    blocks: list[dict[str, Any]] = [{"type": "section", "fields": fields}]
    if count > 1:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": users_text(order.user_ids), "verbatim": True}}
        )
    blocks += [
        reason_block(order.reason, placeholder={"type": "plain_text", "text": "Why are they being removed?"}),
        ban_select(order.term, every_room=order.room == ALL_ROOMS, shortest=shortest),
        {"type": "context", "elements": [{"type": "mrkdwn", "text": KICK_ONLY_NOTE}]},
    ]
    if review_note:
        note = flag_unchecked(escape_mrkdwn(review_note))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": note, "verbatim": True}]})
    if role_unconfirmed:
        blocks.append(ROLE_UNCONFIRMED_NOTE)
    return modal(MODAL_CALLBACK_ID, modal_title(order.term), submit_label(order.term, count), context, blocks)


def notice_modal(text: str) -> dict[str, Any]:
    """A modal that only explains (a room that cannot be found): nothing to submit."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Kick from IVS Chat"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": clip_mrkdwn(escape_mrkdwn(text), SECTION_TEXT), "verbatim": True},
            }
        ],
    }


def room_problem(resolution: Ambiguous | Unknown | LookupFailed) -> str:
    """Why a room reference did not lead to one room, in plain text."""
    if isinstance(resolution, Ambiguous):
        rooms = listing([f"• {room.label()}: {room.arn}" for room in resolution.candidates], 2000, str, "\n")
        return (
            f"\u201c{resolution.reference}\u201d matches {len(resolution.candidates)} rooms. Nothing was done; run the "
            f"command again with one of these ARNs:\n{rooms}"
        )
    if isinstance(resolution, Unknown):
        if is_room_arn(resolution.reference):
            return (
                f"IVS Chat has no room {resolution.reference} in region {region_of(resolution.reference)}. "
                "Check the room ARN (region, account and room ID); the room may have been deleted."
            )
        if not resolution.regions:
            return (
                f"No room \u201c{resolution.reference}\u201d: no regions are configured to search. "
                "Set IVS_KICK_REGIONS (or the AWS region), or use the room's ARN or an alias from IVS_KICK_ROOMS."
            )
        unsearched = f" ({', '.join(resolution.unsearched)} could not be searched)" if resolution.unsearched else ""
        return (
            f"No room named \u201c{resolution.reference}\u201d (nor with that ID or alias) in regions "
            f"{', '.join(resolution.regions)}{unsearched}. Check the name, or use the room's ARN."
        )
    return f"The room \u201c{resolution.reference}\u201d could not be looked up: {resolution.message}"


def submitted_reason(view: dict[str, Any]) -> str | None:
    value = view.get("state", {}).get("values", {}).get(REASON_BLOCK, {}).get(REASON_ACTION, {}).get("value")
    return value if isinstance(value, str) else None


_REPLY_ICONS = {
    Status.KICKED: ":white_check_mark:", Status.DONE: ":white_check_mark:", Status.PARTIAL: ":warning:",
    Status.REFUSED: ":no_entry:",
}  # fmt: skip


def _summary(case: Case) -> str:
    """Plain text: what happened, each distinct AWS message once."""
    if len(case.targets) <= 1:
        messages = [t.message for t in case.targets if t.message] or [case.detail or ""]
        text = " ".join(messages)
        if case.status is Status.REFUSED:
            return f"Nothing was done: {text}"
        return f"The kick failed. {text}" if case.status is Status.FAILED else text
    if case.status is Status.REFUSED:
        return f"Nothing was done: {case.detail}"
    return disconnects(case)


def _icon(case: Case) -> str:
    if case.action is Action.BAN and case.status is Status.FAILED:
        return ":warning:"  # banned, though not disconnected
    return _REPLY_ICONS.get(case.status, ":x:")


def on_record(audit_channel: str) -> str:
    """Where a refused or invalid attempt will be shown: the outbox posts those, paced, perhaps within a summary
    (kick.flood)."""
    return f"The attempt is on record and will be shown in {mention_channel(audit_channel)}."


def moderator_reply(case: Case, audit_channel: str, audit_error: str | None) -> str:
    """The private answer to the moderator: the kick's (ban's, unban's) result first, then whether the audit post
    made it."""
    said = escape_mrkdwn(_summary(case)) if case.action is Action.KICK else ban_outcome(case)
    text = f"{_icon(case)} Case #{case.number}: {said}"
    if len(case.request_ids) == 1:
        text += f" (AWS request ID {escape_mrkdwn(case.request_ids[0])})"
    text = clip_mrkdwn(text, MESSAGE_TEXT // 2)
    where = mention_channel(audit_channel)
    if case.status in FLOOD_PRONE:
        return f"{text}\n{on_record(audit_channel)}"
    if audit_error is None:
        return f"{text}\nAudit record posted in {where}."
    return (
        f"{text}\n:warning: The audit record could not be posted in {where}: {escape_mrkdwn(audit_error)} "
        "It is kept and will be posted as soon as Slack accepts it."
    )


def progress_message(done: int, total: int, room: str, verb: str = "Kicking", viewers: int = 0) -> str:
    """How far a raid's disconnects have got: `done` of `total` calls, for `viewers` (default `total`) viewers."""
    return f":hourglass: {verb} {viewers or total} viewers from {escape_mrkdwn(room)}… {done} of {total} done."


EDIT_REASON_CALLBACK_ID = "ivs_kick_edit_reason"


def edit_reason_modal(case: Case, response_url: str | None, channel: str | None = None) -> dict[str, Any]:
    """The reason in a dialog; `private_metadata` carries the case, and where to tell the editor of a problem."""
    hint = "Changes the record only: the viewer was already handled with the original reason."
    return {
        "type": "modal",
        "callback_id": EDIT_REASON_CALLBACK_ID,
        "title": {"type": "plain_text", "text": clip(f"Reason for case #{case.number}", VIEW_TITLE)},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"case": case.number, "response_url": response_url, "channel": channel}),
        "blocks": [reason_block(case.reason, hint)],
    }


FORM_CALLBACK_ID = "ivs_kick_form"
ROOM_BLOCK = ROOM_ACTION = "room"
USERS_BLOCK = USERS_ACTION = "users"


def room_option(room: Room) -> dict[str, Any]:
    """An option of the room picker: its label (75 characters at most) and ARN (128, within the 150 allowed)."""
    return {"text": {"type": "plain_text", "text": clip(room.label(), OPTION_TEXT)}, "value": room.arn}


def kick_form(
    room: Room | None, reference: str | None, context: ModalContext, shortest: timedelta = MIN_TIMEOUT
) -> dict[str, Any]:
    """The form for /ivs-kick with no arguments: pick a room, list the users (one per line), give a reason."""
    picker: dict[str, Any] = {
        "type": "external_select",
        "action_id": ROOM_ACTION,
        "min_query_length": 0,
        "placeholder": {"type": "plain_text", "text": "Type to search rooms"},
    }
    if room:
        picker["initial_option"] = room_option(room)
    elif reference:
        picker["initial_option"] = {
            "text": {"type": "plain_text", "text": clip(reference, OPTION_TEXT)},
            "value": reference,
        }
    return modal(
        FORM_CALLBACK_ID,
        modal_title(None),
        submit_label(None),
        context,
        [
            {
                "type": "input",
                "block_id": ROOM_BLOCK,
                "label": {"type": "plain_text", "text": "Room"},
                "element": picker,
            },
            {
                "type": "input",
                "block_id": USERS_BLOCK,
                "label": {"type": "plain_text", "text": "IVS user IDs"},
                "hint": {
                    "type": "plain_text",
                    "text": "One per line (or separated by commas): up to 500, in at most 3,000 characters (Slack's "
                    "limit for this box). For more, use the command: /ivs-kick <room> id1, id2, …",
                },
                "element": {
                    "type": "plain_text_input",
                    "action_id": USERS_ACTION,
                    "multiline": True,
                    "max_length": INPUT_VALUE,
                },
            },
            reason_block(None),
            ban_select(None, shortest=shortest),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": KICK_ONLY_NOTE}]},
        ],
    )


def form_values(view: dict[str, Any]) -> tuple[str | None, str, str | None]:
    """The form's room (an ARN or a reference), users text and reason, as submitted."""
    values = view.get("state", {}).get("values", {})
    selected = values.get(ROOM_BLOCK, {}).get(ROOM_ACTION, {}).get("selected_option") or {}
    users = values.get(USERS_BLOCK, {}).get(USERS_ACTION, {}).get("value") or ""
    return selected.get("value"), users, submitted_reason(view)
