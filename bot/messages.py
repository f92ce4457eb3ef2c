"""What the bot shows in Slack: usage, the confirmation modal, and the moderator's private replies.

Everything that came from a person or from AWS is escaped here or in `kick.audit`, never in the listeners.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from .kick.audit import audit_record, escape_mrkdwn, mention_channel, mention_user, slack_time
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


EDIT_REASON_CALLBACK_ID = "ivs_kick_edit_reason"


def permalink(case: Case, team_domain: str | None, slack_host: str) -> str | None:
    """A link to the case's audit post, built from what Slack told us (no extra API call)."""
    if not (case.audit_post and team_domain):
        return None
    return (
        f"https://{team_domain}.{slack_host}/archives/{case.audit_post.channel}/p{case.audit_post.ts.replace('.', '')}"
    )


def _case_line(case: Case, link: str | None) -> str:
    label = f"<{link}|#{case.number}>" if link else f"#{case.number}"
    room = escape_mrkdwn(case.room_arn.rsplit("/", 1)[-1]) if case.room_arn else "no room"
    reason = escape_mrkdwn(case.reason) if case.reason else "no reason"
    users = ", ".join(f"`{escape_mrkdwn(u)}`" for u in case.user_ids) or "nobody"
    return (
        f"• {label} {slack_time(case.created_at)} · *{case.status.value}* · {users} · room {room} · "
        f"by {mention_user(case.moderator_id)} · {reason}"
    )


def history_message(subject: str, cases: list[Case], links: list[str | None]) -> str:
    if not cases:
        return f"No cases for {escape_mrkdwn(subject)}."
    lines = [f"*Last {len(cases)} case{'s' if len(cases) != 1 else ''} for {escape_mrkdwn(subject)}* (newest first)"]
    lines += [_case_line(case, link) for case, link in zip(cases, links)]
    return "\n".join(lines)


def case_message(case: Case, link: str | None) -> dict[str, Any]:
    """A case in full: its audit record, plus where it was posted and every reason amendment."""
    record = audit_record(case)
    notes = [
        f"Audit post: <{link}|view in channel>"
        if link
        else f"Audit post: {'pending' if not case.audit_post else 'posted'}"
    ]
    if case.audit_error and not case.audit_post:
        notes.append(f"Last delivery problem: {escape_mrkdwn(case.audit_error)}")
    for a in case.amendments:
        old = escape_mrkdwn(a.old_reason) if a.old_reason else "none"
        new = escape_mrkdwn(a.new_reason) if a.new_reason else "none"
        notes.append(f"Reason amended by {mention_user(a.by)} {slack_time(a.at)}: {old} → {new}")
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": "\n".join(notes), "verbatim": True}]}
    return {"text": record.text, "blocks": [*record.blocks, context]}


def edit_reason_modal(case: Case, response_url: str | None) -> dict[str, Any]:
    reason_input: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": REASON_ACTION,
        "max_length": reason_rule().max_len,
    }
    if case.reason:
        reason_input["initial_value"] = case.reason
    return {
        "type": "modal",
        "callback_id": EDIT_REASON_CALLBACK_ID,
        "title": {"type": "plain_text", "text": f"Reason for case #{case.number}"[:24]},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "private_metadata": json.dumps({"case": case.number, "response_url": response_url}),
        "blocks": [
            {
                "type": "input",
                "block_id": REASON_BLOCK,
                "optional": True,
                "label": {"type": "plain_text", "text": "Reason"},
                "hint": {
                    "type": "plain_text",
                    "text": "Changes the record only: the viewer was already handled with the original reason.",
                },
                "element": reason_input,
            }
        ],
    }
