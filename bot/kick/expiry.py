"""When a timeout runs out: one case, and so one audit post, saying so, however many processes notice.

Every outbox sweep (every few seconds, in every process) asks the store for timeouts that have run out and are
not yet marked ended. The bans one case made end together, so each such case gets one BAN_ENDED case, opened
under the submission key `ban-ended:<case>`: the store opens it once, whichever process asks first, and hands
the others the same case. Only then are the bans marked ended, each on condition that it is still the ban that
case made, so a process that dies in between leaves the work to the next sweep, and a ban replaced or lifted
meanwhile is left alone.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime

from .bans import EXPIRED, Ban, describe_length
from .cases import Action, Case, CaseStore, NewCase, Status

log = logging.getLogger(__name__)


def ended_key(case_number: int) -> str:
    """The submission key of the case that ends the timeouts of case `case_number`."""
    return f"ban-ended:{case_number}"


def end_lapsed(store: CaseStore, now: datetime) -> list[Case]:
    """Open the BAN_ENDED case of every timeout that ran out by `now`, then mark its bans ended; returns the cases
    this call opened (an empty list when another process got there first). Raises the store's errors."""
    by_case: dict[int, list[Ban]] = defaultdict(list)
    for ban in store.lapsed_bans(now):
        by_case[ban.case_number].append(ban)
    opened = []
    for number, bans in sorted(by_case.items()):
        case, created = store.open_case(_ended_case(store.get(number), bans))
        if created:
            opened.append(case)
            log.info("timeout ended", extra={"fields": {"case": case.number, "ban_case": number, "users": len(bans)}})
        for ban in bans:
            store.end_ban(ban.room, ban.user_id, now, EXPIRED, case_number=number)
    return opened


def _ended_case(ban_case: Case | None, bans: list[Ban]) -> NewCase:
    first = bans[0]
    assert first.expires_at is not None, "only a timeout runs out"
    length = describe_length(first.expires_at - first.created_at)
    return NewCase(
        created_at=first.expires_at,
        moderator_id=first.created_by,
        team_id=ban_case.team_id if ban_case else None,
        channel_id=ban_case.channel_id if ban_case else None,
        status=Status.DONE,
        room_arn=first.room,
        room_name=ban_case.room_name if ban_case else None,
        reason=ban_case.reason if ban_case else None,
        user_ids=tuple(ban.user_id for ban in bans),
        detail=f"The timeout set in case #{first.case_number} ({length}) ran out.",
        submission_key=ended_key(first.case_number),
        audit_due_at=first.expires_at,
        action=Action.BAN_ENDED,
        banned_until=first.expires_at,
    )
