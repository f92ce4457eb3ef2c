"""Flood control for the audit channel: one member's refused and invalid attempts cannot drown it.

Anyone in the workspace can type `/ivs-kick`, and every attempt is a case with an audit record. Attempts that
change nothing (refused: not a moderator; invalid: bad input) are posted one by one only up to
INDIVIDUAL_POSTS per member in any WINDOW; the rest of that member's attempts are gathered into one summary
post per WINDOW, posted when the window ends. Every case stays in the store with its full record either way.

The state is one small AuditGate per member, kept in the case store (so every process and instance sharing the
store counts together) and changed only through `admit`, a pure function of the gate, the case and the time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from .cases import Status

# Attempts any member can make as often as they like, and that change nothing: paced and capped.
FLOOD_PRONE = frozenset({Status.REFUSED, Status.INVALID})
WINDOW = timedelta(minutes=1)
INDIVIDUAL_POSTS = 10  # per member in any WINDOW; beyond that, one summary post per WINDOW
# A case admitted at a window's last instant is written to the store well within this, before its summary posts.
SUMMARY_GRACE = timedelta(seconds=2)


@dataclass(frozen=True)
class AuditGate:
    """One member's recent flood-prone audit posts.

    posted: when each individual post of the last WINDOW was admitted (at most INDIVIDUAL_POSTS, oldest first);
    summary: the case number leading the summary being gathered, and summary_ends: when its window closes.
    """

    posted: tuple[datetime, ...] = ()
    summary: int | None = None
    summary_ends: datetime | None = None


@dataclass(frozen=True)
class PostAlone:
    """Post this case's own audit record."""


@dataclass(frozen=True)
class Summarised:
    """Leave this case to the summary led by case `lead` (possibly this one), posted at `due_at`."""

    lead: int
    due_at: datetime


Placement = PostAlone | Summarised


def admit(gate: AuditGate | None, number: int, now: datetime) -> tuple[AuditGate, Placement]:
    """Place flood-prone case `number` of this gate's member, admitted at `now` (timezone-aware).

    Individual posts follow a sliding window: the case is posted alone when fewer than INDIVIDUAL_POSTS were
    admitted in the WINDOW before `now` and no summary is being gathered. Otherwise it joins the open summary,
    or, if none is open, leads a new one whose window runs WINDOW from `now`. A lead admitted again (its first
    try did not finish) keeps its summary.
    """
    gate = gate or AuditGate()
    if gate.summary is not None and gate.summary_ends is not None:
        if gate.summary == number or now < gate.summary_ends:
            return gate, Summarised(gate.summary, gate.summary_ends + SUMMARY_GRACE)
    recent = tuple(at for at in gate.posted if now - at < WINDOW)
    if len(recent) < INDIVIDUAL_POSTS:
        return AuditGate(recent + (now,)), PostAlone()
    ends = now + WINDOW
    return AuditGate(recent, number, ends), Summarised(number, ends + SUMMARY_GRACE)
