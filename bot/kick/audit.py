"""Audit records: an attempted kick and its outcome as a Slack message (Block Kit plus a text fallback).

Every string a person typed (user ID, reason, anything echoed back by AWS) goes through `escape_mrkdwn`, so
`<!channel>` or `<@U…>` in a reason shows as text and never pings anyone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .ivs import Outcome
from .request import KickRequest

_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")


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
class KickAttempt:
    """A moderator's confirmed request, and where it came from."""

    request: KickRequest
    moderator_id: str
    channel_id: str | None
    at: datetime


@dataclass(frozen=True)
class AuditRecord:
    text: str
    blocks: list[dict[str, Any]]


def _headline(outcome: Outcome | None, user: str) -> str:
    if outcome is None:
        return f":no_entry: *Kick refused*: `{user}` was not disconnected"
    if outcome.ok:
        return f":white_check_mark: *Kicked* `{user}` from IVS Chat"
    return f":x: *Kick failed* ({outcome.result.value}): `{user}` was not disconnected"


def audit_record(attempt: KickAttempt, outcome: Outcome | None, refusal: str | None = None) -> AuditRecord:
    """The record for one attempt: `outcome` from AWS, or None with a `refusal` when it never reached AWS."""
    request = attempt.request
    user = escape_mrkdwn(request.user_id)
    reason = escape_mrkdwn(request.reason) if request.reason else "_none given_"
    detail = escape_mrkdwn(outcome.message if outcome else refusal or "refused")
    moderator, where = mention_user(attempt.moderator_id), mention_channel(attempt.channel_id)
    request_id = outcome.request_id if outcome and outcome.request_id else None
    fields = [
        f"*Moderator*\n{moderator}",
        f"*IVS user ID*\n`{user}`",
        f"*Room*\n{escape_mrkdwn(request.room_arn)}",
        f"*Region*\n{escape_mrkdwn(request.region)}",
        f"*Reason*\n{reason}",
        f"*When*\n{slack_time(attempt.at)}",
        f"*Invoked in*\n{where}",
        f"*AWS request ID*\n{escape_mrkdwn(request_id) if request_id else '_none_'}",
    ]
    headline = _headline(outcome, user)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": headline, "verbatim": True}},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": f, "verbatim": True} for f in fields]},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": detail, "verbatim": True}]},
    ]
    text = (
        f"{headline.replace('*', '')} by {moderator} in {escape_mrkdwn(request.room_arn)}; reason: "
        f"{escape_mrkdwn(request.reason) if request.reason else 'none'}"
        + (f"; AWS request ID {escape_mrkdwn(request_id)}" if request_id else "")
    )
    return AuditRecord(text=text, blocks=blocks)
