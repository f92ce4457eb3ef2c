"""Audit records: a case as a Slack message (Block Kit plus a text fallback).

Every string a person typed (user ID, reason, the command itself, anything echoed back by AWS) goes through
`escape_mrkdwn`, so `<!channel>` or `<@U…>` in a reason shows as text and never pings anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .cases import Case, Status

_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")
_SHOWN_COMMAND_CHARS = 300
EDIT_REASON_ACTION = "ivs_kick_edit_reason"

_HEADLINES = {
    Status.KICKED: ":white_check_mark: *Case #{n} · Kicked* {users} from IVS Chat",
    Status.FAILED: ":x: *Case #{n} · Kick failed* ({result}): {users} not disconnected",
    Status.REFUSED: ":no_entry: *Case #{n} · Kick refused*: {users} not disconnected",
    Status.INVALID: ":warning: *Case #{n} · Invalid kick request*: nothing was done",
    Status.INTERRUPTED: ":grey_question: *Case #{n} · Outcome unknown*: {users} may or may not have been disconnected",
    Status.PENDING: ":hourglass: *Case #{n} · Kick in progress*: {users}",
}


def escape_mrkdwn(text: str) -> str:
    """Slack's three control characters as entities: nothing a user typed can become a mention or a link."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention_user(user_id: str) -> str:
    return f"<@{user_id}>" if _SLACK_ID.fullmatch(user_id) else escape_mrkdwn(user_id)


def mention_channel(channel_id: str | None) -> str:
    if channel_id and _SLACK_ID.fullmatch(channel_id):
        return f"<#{channel_id}>"
    return "a direct message" if channel_id is None else escape_mrkdwn(channel_id)


def slack_time(at: datetime) -> str:
    """A timestamp each reader sees in their own time zone, with a UTC fallback."""
    utc = at.astimezone(timezone.utc)
    return f"<!date^{int(utc.timestamp())}^{{date_num}} {{time_secs}}|{utc:%Y-%m-%d %H:%M:%S} UTC>"


@dataclass(frozen=True)
class AuditRecord:
    text: str
    blocks: list[dict[str, Any]]


def _users(case: Case) -> str:
    return ", ".join(f"`{escape_mrkdwn(u)}`" for u in case.user_ids) or "nobody"


def headline(case: Case) -> str:
    result = next((t.result for t in case.targets if t.result), case.status.value)
    return _HEADLINES[case.status].format(n=case.number, users=_users(case), result=escape_mrkdwn(result))


def _reason(case: Case) -> str:
    shown = escape_mrkdwn(case.reason) if case.reason else "_none given_"
    if not case.amendments:
        return shown
    last = case.amendments[-1]
    was = escape_mrkdwn(last.old_reason) if last.old_reason else "none"
    return f"{shown}\n_amended by {mention_user(last.by)} {slack_time(last.at)}; was: {was}_"


def _detail(case: Case) -> str:
    messages = [t.message for t in case.targets if t.message] or [case.detail or ""]
    return escape_mrkdwn(" ".join(m for m in messages if m)) or "-"


def _fields(case: Case) -> list[str]:
    fields = [f"*Moderator*\n{mention_user(case.moderator_id)}"]
    if case.user_ids:
        fields.append(f"*IVS user ID*\n{_users(case)}")
    if case.room_arn:
        fields += [f"*Room*\n{escape_mrkdwn(case.room_arn)}", f"*Region*\n{escape_mrkdwn(case.region or '')}"]
    if case.status is not Status.INVALID:
        fields.append(f"*Reason*\n{_reason(case)}")
    fields += [f"*When*\n{slack_time(case.created_at)}", f"*Invoked in*\n{mention_channel(case.channel_id)}"]
    if case.request_ids:
        fields.append(f"*AWS request ID*\n{escape_mrkdwn(', '.join(case.request_ids))}")
    if case.command_text is not None:
        typed = case.command_text[:_SHOWN_COMMAND_CHARS] + (
            "…" if len(case.command_text) > _SHOWN_COMMAND_CHARS else ""
        )
        fields.append(f"*Command*\n/ivs-kick {escape_mrkdwn(typed)}")
    return fields


def audit_record(case: Case) -> AuditRecord:
    """The audit post for a case, with an "Edit reason" button where a reason can still matter."""
    title = headline(case)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title, "verbatim": True}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f, "verbatim": True} for f in _fields(case)]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _detail(case), "verbatim": True}]},
    ]
    if case.status not in {Status.INVALID, Status.PENDING}:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "action_id": EDIT_REASON_ACTION,
                        "text": {"type": "plain_text", "text": "Edit reason"},
                        "value": str(case.number),
                    }
                ],
            }
        )
    reason = escape_mrkdwn(case.reason) if case.reason else "none"
    text = f"{title.replace('*', '')} by {mention_user(case.moderator_id)}"
    if case.room_arn:
        text += f" in {escape_mrkdwn(case.room_arn)}"
    if case.status is not Status.INVALID:
        text += f"; reason: {reason}"
    if case.request_ids:
        text += f"; AWS request ID {escape_mrkdwn(', '.join(case.request_ids))}"
    return AuditRecord(text=text, blocks=blocks)
