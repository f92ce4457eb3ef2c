"""What the bot shows in Slack: usage, the confirmation modal, and the moderator's private replies.

Everything that came from a person or from AWS is escaped here or in `kick.audit`, never in the listeners.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .kick.audit import escape_mrkdwn, mention_channel
from .kick.cases import Case, Status
from .kick.command import USAGE
from .kick.request import KickRequest, reason_rule

MODAL_CALLBACK_ID = "ivs_kick_confirm"
REASON_BLOCK, REASON_ACTION = "reason", "reason"
PRIVATE_METADATA_LIMIT = 3000
KICK_NOT_BAN = (
    ":warning: A disconnect is a *kick, not a ban*: IVS Chat closes this viewer's connections to the room, "
    "but they can rejoin if your app gives them a new chat token."
)


def usage() -> str:
    return f"```{escape_mrkdwn(USAGE)}```"


def problem(text: str) -> str:
    """An error for the person who typed the command, with their input shown as text."""
    return f":warning: {escape_mrkdwn(text)}\n{usage()}"


@dataclass(frozen=True)
class ModalContext:
    """What the submission needs and the modal does not show as an input; travels in `private_metadata`."""

    room: str
    user: str
    channel: str | None
    response_url: str | None

    def encode(self) -> str:
        encoded = json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))
        if len(encoded) > PRIVATE_METADATA_LIMIT:  # unreachable with the field limits; never send a bad view
            raise ValueError(f"private_metadata would be {len(encoded)} characters (limit {PRIVATE_METADATA_LIMIT})")
        return encoded

    @classmethod
    def decode(cls, raw: str) -> "ModalContext":
        data = json.loads(raw)
        return cls(
            room=data["room"], user=data["user"], channel=data.get("channel"), response_url=data.get("response_url")
        )


def kick_modal(request: KickRequest, context: ModalContext, *, role_unconfirmed: bool = False) -> dict[str, Any]:
    reason_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REASON_ACTION,
        "max_length": reason_rule().max_len,
        "placeholder": {"type": "plain_text", "text": "Why is this viewer being removed?"},
    }
    if request.reason:
        reason_input["initial_value"] = request.reason
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Room*\n{escape_mrkdwn(request.room_arn)}", "verbatim": True},
                {"type": "mrkdwn", "text": f"*Region*\n{escape_mrkdwn(request.region)}", "verbatim": True},
                {"type": "mrkdwn", "text": f"*IVS user ID*\n`{escape_mrkdwn(request.user_id)}`", "verbatim": True},
            ],
        },
        {
            "type": "input",
            "block_id": REASON_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Reason"},
            "hint": {"type": "plain_text", "text": "Optional, up to 256 characters. Recorded in the audit post."},
            "element": reason_input,
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": KICK_NOT_BAN}]},
    ]
    if role_unconfirmed:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {
                        "type": "mrkdwn",
                        "text": ":hourglass: Your moderator role could not be confirmed yet; "
                        "it is checked when you press *Kick*.",
                    }
                ],
            }
        )
    return {
        "type": "modal",
        "callback_id": MODAL_CALLBACK_ID,
        "title": {"type": "plain_text", "text": "Kick from IVS Chat"},
        "submit": {"type": "plain_text", "text": "Kick"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": context.encode(),
        "blocks": blocks,
    }


def submitted_reason(view: dict[str, Any]) -> str | None:
    value = view.get("state", {}).get("values", {}).get(REASON_BLOCK, {}).get(REASON_ACTION, {}).get("value")
    return value if isinstance(value, str) else None


_REPLY_ICONS = {Status.KICKED: ":white_check_mark:", Status.REFUSED: ":no_entry:"}


def moderator_reply(case: Case, audit_channel: str, audit_error: str | None) -> str:
    """The private answer to the moderator: the kick's result first, then whether the audit post made it."""
    messages = [t.message for t in case.targets if t.message] or [case.detail or ""]
    summary = escape_mrkdwn(" ".join(messages))
    if case.status is Status.REFUSED:
        summary = f"Nothing was done: {summary}"
    elif case.status is Status.FAILED:
        summary = f"The kick failed. {summary}"
    text = f"{_REPLY_ICONS.get(case.status, ':x:')} Case #{case.number}: {summary}"
    if case.request_ids:
        text += f" (AWS request ID {escape_mrkdwn(', '.join(case.request_ids))})"
    where = mention_channel(audit_channel)
    if audit_error is None:
        return f"{text}\nAudit record posted in {where}."
    return (
        f"{text}\n:warning: The audit record could not be posted in {where}: {escape_mrkdwn(audit_error)} "
        "It is kept and will be posted as soon as Slack accepts it."
    )
