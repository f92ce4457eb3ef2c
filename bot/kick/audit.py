"""Audit records: a case as a Slack message (Block Kit plus a text fallback).

Every string a person typed (user ID, reason, the command itself, anything echoed back by AWS) goes through
`escape_mrkdwn`, so `<!channel>` or `<@U…>` in a reason shows as text and never pings anyone, and every code
span is built by `code_span`, so a backtick in an IVS user ID cannot end it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from ..slack_limits import (
    CONTEXT_TEXT,
    ELLIPSIS,
    MESSAGE_BLOCKS,
    MESSAGE_TEXT,
    SECTION_FIELD,
    SECTION_TEXT,
    clip_mrkdwn,
    listing,
)
from .banning import REPLACES, UNCHECKED, room_text, utc_text
from .bans import describe_length
from .cases import Action, Case, Status

_SLACK_ID = re.compile(r"[A-Z0-9]{2,32}")
_SHOWN_COMMAND_CHARS = 300
EDIT_REASON_ACTION = "ivs_kick_edit_reason"

# A message holds 50 blocks; the headline, fields, detail and button take four, and `/ivs-kick case N` one more.
MAX_RESULT_SECTIONS = MESSAGE_BLOCKS - 5
HEADLINE_USERS = 1000  # characters of user IDs in a headline, before "… and N more"


# Slack's mrkdwn has no escape for a backtick (it decodes only &amp; &lt; &gt;), so a typed one is shown as this
# look-alike instead: U+02CB MODIFIER LETTER GRAVE ACCENT, "ˋ".
BACKTICK_STAND_IN = "\u02cb"


def escape_mrkdwn(text: str) -> str:
    """Text a person typed, made inert in mrkdwn: Slack's three control characters `&`, `<`, `>` as entities, so
    nothing becomes a mention or a link, and each backtick as BACKTICK_STAND_IN (ˋ, U+02CB), so nothing opens or
    closes a code span. The case store and exports keep the text as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("`", BACKTICK_STAND_IN)


def code_span(text: str) -> str:
    """`text` as inline code, escaped by `escape_mrkdwn` (a backtick in it shows as ˋ, U+02CB, and cannot end the
    span) and kept on one line (a line break, which would end the span, becomes a space). Every code span the bot
    builds around a user ID, a room or any other text comes from here."""
    return "`" + escape_mrkdwn(text).replace("\r\n", " ").replace("\n", " ").replace("\r", " ") + "`"


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


def slack_date(at: datetime) -> str:
    """A date and time to the minute in each reader's own time zone (`Dec 4th at 5:00 PM`), with a UTC fallback."""
    utc = at.astimezone(timezone.utc)
    return f"<!date^{int(utc.timestamp())}^{{date_short_pretty}} at {{time}}|{utc_text(utc)}>"


def kind(case: Case) -> str:
    """What the case does, as its audit post names it: `Kick`, `Ban`, `Timeout (1 hour)`, `Unban`, `Timeout ended`."""
    if case.action is Action.BAN:
        if case.banned_until is None:
            return "Ban"
        length = timedelta(seconds=round((case.banned_until - case.created_at).total_seconds()))
        return f"Timeout ({describe_length(length)})" if length.total_seconds() > 0 else "Timeout"
    return {Action.KICK: "Kick", Action.UNBAN: "Unban", Action.BAN_ENDED: "Timeout ended"}[case.action]


def until(case: Case) -> str:
    """How long a ban case keeps its viewers out: `permanently` or `until <date>` (mrkdwn)."""
    return "permanently" if case.banned_until is None else f"until {slack_date(case.banned_until)}"


AUDIT_EVENT = "ivs_kick_case"


@dataclass(frozen=True)
class AuditRecord:
    text: str
    blocks: list[dict[str, Any]]
    case_number: int = 0  # for a summary, the case that leads it
    covers: int = 1  # cases the post stands for: more than one for a summary

    @property
    def metadata(self) -> dict[str, Any]:
        """Slack message metadata naming the case, so a post whose answer was lost can be found again."""
        payload = {"case": self.case_number} | ({"summary_of": self.covers} if self.covers > 1 else {})
        return {"event_type": AUDIT_EVENT, "event_payload": payload}


def _ban_headline(case: Case, title: str, users: str) -> str:
    n, what, held = len(case.targets), kind(case), until(case)
    kicked = sum(1 for t in case.targets if t.result == "kicked")
    banned = f"{users} banned {held}" if n == 1 else f"all {n} viewers banned {held}"
    if case.status is Status.KICKED:
        return f":no_entry_sign: {title} · {what}*: " + (
            f"{users} disconnected and banned {held}" if n == 1 else f"all {n} viewers disconnected and banned {held}"
        )
    if case.status is Status.DONE:
        return f":no_entry_sign: {title} · {what}*: {banned}; no room was known to disconnect from"
    if case.status is Status.PARTIAL:
        return f":warning: {title} · {what}*: {banned}; {kicked} of {n} disconnected"
    if case.status is Status.FAILED:
        result = f" ({escape_mrkdwn(case.targets[0].result or 'failed')})" if n == 1 else ""
        return f":warning: {title} · {what}, not disconnected*{result}: {banned}, but IVS Chat did not disconnect " + (
            "them" if n == 1 else "any of them"
        )
    return _attempt_headline(case, title, what, users, "banned")


def _unban_headline(case: Case, title: str, users: str) -> str:
    what, room = kind(case), escape_mrkdwn(room_text(case.room_arn or ""))
    if case.status is Status.DONE:
        icon = ":unlock:" if case.action is Action.UNBAN else ":hourglass_flowing_sand:"
        return f"{icon} {title} · {what}*: {users} may chat again in {room}"
    if case.status is Status.FAILED:
        result = escape_mrkdwn(case.targets[0].result if case.targets and case.targets[0].result else "failed")
        return f":x: {title} · Unban failed* ({result}): {users} had no ban in force in {room}"
    return _attempt_headline(case, title, what, users, "unbanned")


def _attempt_headline(case: Case, title: str, what: str, users: str, done: str) -> str:
    """The headlines every kind shares: refused, invalid, interrupted, in progress; `done` is what the kind does
    to a viewer (`disconnected`, `banned`, `unbanned`)."""
    if case.status is Status.REFUSED:
        return f":no_entry: {title} · {what} refused*: {users} not {done}"
    if case.status is Status.INVALID:
        return f":warning: {title} · Invalid {what.split(' (')[0].lower()} request*: nothing was done"
    if case.status is Status.INTERRUPTED:
        unknown = "Outcome unknown" if case.action is Action.KICK else f"{what}: outcome unknown"
        return f":grey_question: {title} · {unknown}*: {users} may or may not have been {done}"
    return f":hourglass: {title} · {what} in progress*: {users}"


def headline(case: Case) -> str:
    n, users = len(case.targets), listing(case.user_ids, HEADLINE_USERS, code_span) or "nobody"
    kicked = sum(1 for t in case.targets if t.result == "kicked")
    title = f"*Case #{case.number}"
    if case.action is Action.BAN:
        return _ban_headline(case, title, users)
    if case.action is not Action.KICK:
        return _unban_headline(case, title, users)
    if case.status is Status.KICKED:
        return f":white_check_mark: {title} · Kicked* " + (f"{users} from IVS Chat" if n == 1 else f"all {n} viewers")
    if case.status is Status.PARTIAL:
        return f":warning: {title} · Partly kicked*: {kicked} of {n} viewers disconnected"
    if case.status is Status.FAILED:
        if n == 1:
            result = escape_mrkdwn(case.targets[0].result or "failed")
            return f":x: {title} · Kick failed* ({result}): {users} not disconnected"
        return f":x: {title} · Kick failed*: none of the {n} viewers disconnected"
    return _attempt_headline(case, title, "Kick", users, "disconnected")


# A reason is at most 256 characters, but up to five times that escaped (`&` is `&amp;`): with the reason it
# replaced, more than a field's 2000. Each keeps its first 900 characters; the case record keeps both whole.
SHOWN_REASON = 900


def _reason(case: Case) -> str:
    shown = clip_mrkdwn(escape_mrkdwn(case.reason), SHOWN_REASON) if case.reason else "_none given_"
    if not case.amendments:
        return shown
    last = case.amendments[-1]
    was = clip_mrkdwn(escape_mrkdwn(last.old_reason), SHOWN_REASON) if last.old_reason else "none"
    return f"{shown}\n_amended by {mention_user(last.by)} {slack_time(last.at)}; was: {was}_"


def flag_unchecked(text: str) -> str:
    """mrkdwn with a warning sign before the sentence saying that nothing in IVS Chat checks a ban."""
    return text.replace(UNCHECKED, f":warning: {UNCHECKED}", 1)


def _detail(case: Case) -> str:
    """What AWS (or the bot) said: each distinct message once, so 200 identical failures are one line. In a raid
    only the problems (and the earlier bans a ban replaced) are told (the result sections list who was kicked);
    what does not fit in a context element ends "… and N more". A ban's own detail (the rooms a ban on every room
    disconnected from) comes first."""
    told = [
        t
        for t in case.targets
        if len(case.targets) == 1 or t.result != "kicked" or (t.message and REPLACES in t.message)
    ]
    messages = [m for m in dict.fromkeys(t.message for t in told if t.message) if m]
    if case.action is Action.BAN and case.detail and case.status is not Status.REFUSED:
        messages.insert(0, case.detail)
    messages = messages or ([case.detail] if case.detail else [])
    return flag_unchecked(listing(messages, CONTEXT_TEXT, escape_mrkdwn, separator=" ")) or "-"


def _fields(case: Case) -> list[str]:
    fields = [f"*Moderator*\n{mention_user(case.moderator_id)}"]
    if len(case.user_ids) == 1:
        fields.append(f"*IVS user ID*\n{code_span(case.user_ids[0])}")
    elif case.user_ids:
        fields.append(f"*Viewers*\n{len(case.user_ids)}")
    if case.action is not Action.KICK:
        fields.append(f"*Action*\n{kind(case)}" + _ban_term(case))
    if case.room_arn:
        room = f"{escape_mrkdwn(case.room_name)}\n" if case.room_name else ""
        fields.append(f"*Room*\n{room}{escape_mrkdwn(room_text(case.room_arn))}")
        if case.region:
            fields.append(f"*Region*\n{escape_mrkdwn(case.region)}")
    if case.status is not Status.INVALID:
        fields.append(f"*Reason*\n{_reason(case)}")
    fields += [f"*When*\n{slack_time(case.created_at)}", f"*Invoked in*\n{mention_channel(case.channel_id)}"]
    if case.request_ids and len(case.targets) == 1:
        fields.append(f"*AWS request ID*\n{escape_mrkdwn(', '.join(case.request_ids))}")
    if case.command_text is not None:
        typed = case.command_text[:_SHOWN_COMMAND_CHARS]
        typed += "…" if len(case.command_text) > _SHOWN_COMMAND_CHARS else ""
        fields.append(f"*Command*\n/ivs-kick {escape_mrkdwn(typed)}")
    return fields


def _ban_term(case: Case) -> str:
    """The end a case sets or marks, on the line after its kind."""
    if case.action is Action.BAN:
        return f"\n{until(case)}"
    if case.action is Action.BAN_ENDED and case.banned_until:
        return f"\nended {slack_date(case.banned_until)}"
    return ""


def _result_sections(case: Case) -> list[str]:
    """Every user with their outcome, grouped by result (problems first), cut into sections Slack accepts; past
    MAX_RESULT_SECTIONS the last one counts the users not shown ("… and N more"), which the export lists."""
    groups: dict[str, list[str]] = {}
    for target in case.targets:
        groups.setdefault(target.result or case.status.value, []).append(target.user_id)
    order = sorted(groups, key=lambda result: (result == "kicked", result))
    sections: list[tuple[str, int]] = []  # (text, users in it)
    for result in order:
        text, count = f"*{escape_mrkdwn(result)} ({len(groups[result])})*\n", 0
        for user in groups[result]:
            item = f"{code_span(user)} "
            if len(text) + len(item) > SECTION_TEXT:
                sections.append((text.rstrip(), count))
                text, count = f"*{escape_mrkdwn(result)} (continued)*\n", 0
            text, count = text + item, count + 1
        sections.append((text.rstrip(), count))
    if len(sections) <= MAX_RESULT_SECTIONS:
        return [text for text, _ in sections]
    kept = sections[: MAX_RESULT_SECTIONS - 1]
    hidden = len(case.targets) - sum(count for _, count in kept)
    more = f"{ELLIPSIS} and {hidden} more ({code_span('python -m bot audit export')} lists every user's outcome)"
    return [text for text, _ in kept] + [more]


def audit_record(case: Case) -> AuditRecord:
    """The audit post for a case, with an "Edit reason" button where a reason can still matter."""
    title = headline(case)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title, "verbatim": True}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": clip_mrkdwn(f, SECTION_FIELD), "verbatim": True} for f in _fields(case)
            ],
        },
    ]
    if len(case.targets) > 1:
        blocks += [
            {"type": "section", "text": {"type": "mrkdwn", "text": t, "verbatim": True}} for t in _result_sections(case)
        ]
    detail = _detail(case)
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": detail, "verbatim": True}]})
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
    reason = clip_mrkdwn(escape_mrkdwn(case.reason), SHOWN_REASON) if case.reason else "none"
    # The headline's one bold span, `*Case #N · Kind*`, comes before anything typed: only its two markers go, so a
    # user ID `tro*ll` (or `*`) and every room (*) read in the text as in the blocks.
    text = f"{title.replace('*', '', 2)} by {mention_user(case.moderator_id)}"
    if case.room_arn:
        text += f" in {escape_mrkdwn(room_text(case.room_arn))}"
    if case.status is not Status.INVALID:
        text += f"; reason: {reason}"
    if len(case.request_ids) == 1:
        text += f"; AWS request ID {escape_mrkdwn(case.request_ids[0])}"
    return AuditRecord(text=clip_mrkdwn(text, MESSAGE_TEXT), blocks=blocks, case_number=case.number)


def summary_record(cases: list[Case]) -> AuditRecord:
    """One post for a member's refused and invalid attempts beyond the individual ones of a minute (kick.flood).

    `cases` are the summary's cases by number, its lead first; each stays on record in full.
    """
    lead, last = cases[0], cases[-1]
    statuses = ", ".join(
        f"{sum(1 for c in cases if c.status is status)} {status.value}"
        for status in (Status.REFUSED, Status.INVALID)
        if any(c.status is status for c in cases)
    )
    span = f"#{lead.number}" if len(cases) == 1 else f"#{lead.number}–#{last.number}"
    attempts = "attempt" if len(cases) == 1 else "attempts"
    first, final = min(c.created_at for c in cases), max(c.created_at for c in cases)
    when = f"at {slack_time(first)}" if first == final else f"between {slack_time(first)} and {slack_time(final)}"
    title = (
        f":no_entry: *{len(cases)} more refused or invalid {attempts}* by {mention_user(lead.moderator_id)} "
        f"made {when} ({statuses}): cases {span}"
    )
    detail = (
        f"Posted as one message so that a burst cannot flood this channel. Each is on record in full: "
        f"`/ivs-kick case {lead.number}`, or `python -m bot audit export`."
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": title, "verbatim": True}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": detail, "verbatim": True}]},
    ]
    return AuditRecord(text=title.replace("*", ""), blocks=blocks, case_number=lead.number, covers=len(cases))
