"""What a case's outcome says to the moderator who confirmed it, as the first line of their private reply (mrkdwn,
everything typed or answered by AWS escaped)."""

from __future__ import annotations

from collections import Counter

from .kick.audit import code_span, escape_mrkdwn, flag_unchecked, kind, until
from .kick.banning import KICKED
from .kick.bans import ALL_ROOMS
from .kick.cases import Action, Case, Status
from .slack_limits import listing

# Characters of user IDs named in a ban's reply before "… and N more".
REPLY_USERS = 600


def disconnects(case: Case) -> str:
    """Plain text: how many of a raid's viewers were disconnected, and each problem once with its count."""
    n = len(case.targets)
    kicked = sum(1 for t in case.targets if t.result == KICKED)
    problems = Counter(t.result for t in case.targets if t.result != KICKED)
    explanations = {t.result: t.message for t in case.targets if t.result != KICKED and t.message}
    text = f"Disconnected {kicked} of {n} viewers." if kicked < n else f"Disconnected all {n} viewers."
    if problems:
        text += " Not disconnected: " + "; ".join(
            f"{count} {result} ({explanations.get(result, '')})" for result, count in problems.most_common()
        )
    return text


def _where(case: Case) -> str:
    if case.room_arn == ALL_ROOMS:
        return "every room"
    return escape_mrkdwn(case.room_name or case.room_arn or "the room")


def ban_outcome(case: Case) -> str:
    """A ban's, unban's or timeout's end's outcome (mrkdwn): what holds now, then what IVS Chat or the store said."""
    if case.status in {Status.REFUSED, Status.INVALID}:
        return f"Nothing was done: {escape_mrkdwn(case.detail or '')}"
    users = listing(case.user_ids, REPLY_USERS, code_span)
    if case.action is Action.BAN:
        who = users if len(case.targets) == 1 else f"all {len(case.targets)} viewers"
        head = f"{kind(case)}: {who} banned from {_where(case)} {until(case)}."
        if len(case.targets) == 1:
            said = case.targets[0].message or ""
        else:
            said = disconnects(case) if case.status is not Status.DONE else ""
        extra = [case.detail] if case.detail else []  # the rooms of a ban on `*`, and where IVS Chat does not check it
        return flag_unchecked(" ".join(part for part in (head, *map(escape_mrkdwn, [*extra, said])) if part))
    said = escape_mrkdwn(" ".join(t.message for t in case.targets if t.message))
    if case.status is Status.DONE:
        return f"{kind(case)}: {users} may chat again in {_where(case)}. {said}".rstrip()
    if case.status is Status.FAILED:
        return f"The unban changed nothing: {said}"
    return f"{kind(case)}: {users} ({escape_mrkdwn(case.status.value)}). {said}".rstrip()
