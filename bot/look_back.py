"""What moderators see when they look back: a viewer's or a room's last cases (`history`) and one case in full
(`case`), each linked to its audit post."""

from __future__ import annotations

from typing import Any

from .kick.audit import audit_record, code_span, escape_mrkdwn, kind, mention_user, slack_time, until
from .kick.banning import UNCHECKED
from .kick.bans import ALL_ROOMS
from .kick.cases import Action, Amendment, Case
from .kick.flood import FLOOD_PRONE
from .slack_limits import CONTEXT_TEXT, MESSAGE_BLOCKS, SECTION_TEXT, clip_mrkdwn, listing


def permalink(case: Case, team_domain: str | None, slack_host: str) -> str | None:
    """A link to the case's audit post, built from what Slack told us (no extra API call)."""
    if not (case.audit_post and team_domain):
        return None
    return (
        f"https://{team_domain}.{slack_host}/archives/{case.audit_post.channel}/p{case.audit_post.ts.replace('.', '')}"
    )


# One history line stays under a third of a section, so a history of 50 cases (the most it shows) needs at most
# 25 sections: within a message's 50 blocks however long each case's list of viewers and reason.
LINE_USERS, LINE_REASON = 600, 300
# A ban that nothing in IVS Chat checked (in some room) when it was made; the case has the whole sentence.
UNCHECKED_MARK = ":warning: not checked by IVS Chat"


def _case_line(case: Case, link: str | None) -> str:
    label = f"<{link}|#{case.number}>" if link else f"#{case.number}"
    room = "no room"
    if case.room_arn:
        room = "every room" if case.room_arn == ALL_ROOMS else f"room {escape_mrkdwn(case.room_arn.rsplit('/', 1)[-1])}"
    reason = clip_mrkdwn(escape_mrkdwn(case.reason), LINE_REASON) if case.reason else "no reason"
    users = listing(case.user_ids, LINE_USERS, code_span) or "nobody"
    what = "" if case.action is Action.KICK else f"*{kind(case)}*{_term(case)} · "
    unchecked = f" · {UNCHECKED_MARK}" if case.detail and UNCHECKED in case.detail else ""
    return (
        f"• {label} {slack_time(case.created_at)} · {what}*{case.status.value}*{unchecked} · {users} · {room} · "
        f"by {mention_user(case.moderator_id)} · {reason}"
    )


def _term(case: Case) -> str:
    return f" {until(case)}" if case.action is Action.BAN and case.status not in FLOOD_PRONE else ""


def _sections(lines: list[str]) -> list[dict[str, Any]]:
    """Lines packed into as few sections as Slack accepts (each line shorter than a section)."""
    packed: list[str] = []
    for line in lines:
        if packed and len(packed[-1]) + 1 + len(line) <= SECTION_TEXT:
            packed[-1] += "\n" + line
        else:
            packed.append(clip_mrkdwn(line, SECTION_TEXT))
    return [{"type": "section", "text": {"type": "mrkdwn", "text": t, "verbatim": True}} for t in packed]


def history_message(subject: str, cases: list[Case], links: list[str | None]) -> dict[str, Any]:
    """The last cases for a viewer or a room, as a message (`text` and `blocks`): each case on one line with at
    most LINE_USERS characters of its viewers ("… and N more") and LINE_REASON of its reason; the case itself
    (`/ivs-kick case N`) and the export have them in full."""
    if not cases:
        return {"text": f"No cases for {escape_mrkdwn(subject)}."}
    title = f"Last {len(cases)} case{'s' if len(cases) != 1 else ''} for {escape_mrkdwn(subject)}"
    blocks = _sections([f"*{title}* (newest first)", *(_case_line(c, link) for c, link in zip(cases, links))])
    return {"text": f"{title}: {', '.join(f'#{c.number}' for c in cases)}", "blocks": blocks[:MESSAGE_BLOCKS]}


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
    amended = [_amendment_line(a) for a in reversed(case.amendments)]  # newest first: older ones give way
    notes.append(listing(amended, CONTEXT_TEXT - sum(len(n) + 1 for n in notes), str, "\n"))
    text = clip_mrkdwn("\n".join(n for n in notes if n), CONTEXT_TEXT)
    context = {"type": "context", "elements": [{"type": "mrkdwn", "text": text, "verbatim": True}]}
    return {"text": record.text, "blocks": [*record.blocks[: MESSAGE_BLOCKS - 1], context]}


def _amendment_line(a: Amendment) -> str:
    old = clip_mrkdwn(escape_mrkdwn(a.old_reason), LINE_REASON) if a.old_reason else "none"
    new = clip_mrkdwn(escape_mrkdwn(a.new_reason), LINE_REASON) if a.new_reason else "none"
    return f"Reason amended by {mention_user(a.by)} {slack_time(a.at)}: {old} → {new}"
