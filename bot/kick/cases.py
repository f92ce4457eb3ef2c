"""Case records: every kick, ban, timeout and unban attempt (and every timeout's end), numbered, with who, whom,
where, why, what happened and where it was posted.

The store is an outbox too: a case is written before DisconnectUser is called, its outcome after, and its
audit post is delivered from the store until Slack accepts it, so a crash or a Slack outage loses nothing.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol, TypeVar

from .bans import ALL_ROOMS, Ban
from .moderators import GroupChange
from .request import region_of

if TYPE_CHECKING:
    from .flood import AuditGate

R = TypeVar("R")


class Status(enum.Enum):
    PENDING = "pending"  # written, DisconnectUser not yet answered
    KICKED = "kicked"
    PARTIAL = "partial"  # some of the users were disconnected, some not
    FAILED = "failed"
    REFUSED = "refused"  # not a moderator
    INVALID = "invalid"  # the command could not be understood
    INTERRUPTED = "interrupted"  # the bot stopped before AWS answered: outcome unknown
    DONE = "done"  # an unban, or a timeout's end, took effect (nothing is asked of AWS)


class Action(enum.Enum):
    """What a case does. A ban (or timeout) disconnects as a kick does, then keeps the viewer out."""

    KICK = "kick"
    BAN = "ban"  # banned_until None: permanently; else a timeout
    UNBAN = "unban"
    BAN_ENDED = "ban_ended"  # a timeout ran out (opened by the bot, not a moderator)


@dataclass(frozen=True)
class Target:
    """One IVS user in a case and what happened to them."""

    user_id: str
    result: str | None = None
    message: str | None = None
    request_id: str | None = None


@dataclass(frozen=True)
class Amendment:
    at: datetime
    by: str
    old_reason: str | None
    new_reason: str | None


@dataclass(frozen=True)
class AuditPost:
    channel: str
    ts: str


@dataclass(frozen=True)
class NewCase:
    """What is known when an attempt starts."""

    created_at: datetime
    moderator_id: str
    team_id: str | None
    channel_id: str | None
    status: Status
    room_arn: str | None = None
    room_name: str | None = None
    reason: str | None = None
    user_ids: tuple[str, ...] = ()
    detail: str | None = None
    command_text: str | None = None
    submission_key: str | None = None  # the modal's view ID: the same submission is one case, kicked once
    audit_due_at: datetime | None = None  # when the outbox posts it if nobody has yet (default: created_at)
    action: Action = Action.KICK
    banned_until: datetime | None = None  # a timeout's end (Action.BAN); for BAN_ENDED, the end it marks


@dataclass(frozen=True)
class Case:
    number: int
    created_at: datetime
    moderator_id: str
    team_id: str | None
    channel_id: str | None
    status: Status
    room_arn: str | None = None
    room_name: str | None = None
    reason: str | None = None
    targets: tuple[Target, ...] = ()
    detail: str | None = None
    command_text: str | None = None
    submission_key: str | None = None
    audit_post: AuditPost | None = None
    audit_error: str | None = None
    amendments: tuple[Amendment, ...] = field(default=())
    action: Action = Action.KICK
    banned_until: datetime | None = None
    audit_tries: int = 0  # claims taken to post it; above 1, an earlier try may have reached Slack
    # The case whose summary post covers this one instead of an audit post of its own (see kick.flood); itself
    # for the case that leads the summary.
    summarised_in: int | None = None

    @property
    def region(self) -> str | None:
        return region_of(self.room_arn) if self.room_arn and self.room_arn != ALL_ROOMS else None

    @property
    def user_ids(self) -> tuple[str, ...]:
        return tuple(t.user_id for t in self.targets)

    @property
    def request_ids(self) -> tuple[str, ...]:
        return tuple(t.request_id for t in self.targets if t.request_id)


class CaseNotFound(LookupError):
    pass


class CaseStore(Protocol):
    """Where cases live. Case numbers are unique across every instance sharing the store."""

    def open_case(self, new: NewCase) -> tuple[Case, bool]:
        """Write a case; with a submission_key already on record, return that case and False."""

    def record_outcome(
        self,
        number: int,
        status: Status,
        targets: Sequence[Target],
        detail: str | None,
        audit_due_at: datetime,
        room: tuple[str, str | None] | None = None,
    ) -> Case:
        """Settle a case; `room` (ARN, name) when the room was found only after the case was opened."""

    def get(self, number: int) -> Case | None: ...

    def claim_delivery(self, number: int, now: datetime, until: datetime) -> Case | None:
        """Take the right to post this case's audit record until `until`, counting the try; None if posted or
        claimed elsewhere."""

    def renew_claim(self, number: int, held_until: datetime, until: datetime) -> bool:
        """Extend a claim this process holds (its expiry is still `held_until`) to `until`; False, changing
        nothing, when the claim is no longer this process's (released, posted, or lapsed and taken by another)."""

    def mark_delivered(self, number: int, post: AuditPost) -> None: ...

    def note_delivery_failure(self, number: int, error: str, retry_at: datetime) -> None: ...

    def due_deliveries(self, now: datetime) -> list[Case]:
        """Cases with an outcome whose audit record is not yet posted and whose retry time has come: kicks
        (every status but refused and invalid) first, then by number. A case left to another's summary is not
        due: its summary's lead is."""

    def undelivered(self) -> list[Case]:
        """Every case whose audit record is not yet posted, by number; a case left to another's summary is
        listed under that summary's lead."""

    def change_gate(self, moderator_id: str, change: Callable[[AuditGate | None], tuple[AuditGate, R]]) -> R:
        """Replace the member's audit gate (None before the first) with change(gate)[0], atomically across every
        process sharing the store, and return change(gate)[1]. `change` must be pure: it may run more than once."""

    def summarise(self, number: int, lead: int, due_at: datetime) -> bool:
        """Leave a claimed case to the summary led by case `lead`; for the lead itself, the summary is due at
        `due_at`. Releases the claim, uncounted in audit_tries since it did not try to post. False, changing
        nothing, when that summary was already posted."""

    def summarised(self, lead: int) -> list[Case]:
        """The cases the summary led by `lead` covers, the lead included, by number."""

    def keep_alive(self, number: int, at: datetime) -> bool:
        """Note that the kick of a pending case is still running at `at` (its heartbeat); False once the case is
        no longer pending."""

    def interrupt_stale(self, silent_since: datetime, detail: str) -> list[Case]:
        """Mark interrupted, and return, the pending cases with no sign of life (heartbeat, else creation) since
        `silent_since`: their process died mid-kick. A case whose kick still beats is never touched."""

    def history(self, *, user_id: str | None = None, room_arn: str | None = None, limit: int = 10) -> list[Case]:
        """Newest first."""

    def export(self, since: datetime | None = None) -> Iterator[Case]:
        """Oldest first."""

    def amend_reason(self, number: int, amendment: Amendment) -> Case: ...

    def save_draft(self, key: str, payload: str, expires_at: datetime) -> None:
        """Keep what a confirmation modal cannot carry (a raid's list of user IDs) until it is submitted."""

    def load_draft(self, key: str, now: datetime) -> str | None:
        """The draft's payload, or None when unknown or expired."""

    def record_group_change(self, group_id: str, change: GroupChange) -> None:
        """Keep the moderator group's latest change for `change.user_id`, unless one superseding it is on record
        (GroupChange.supersedes): a retried or late event never overwrites newer news."""

    def group_change(self, group_id: str, user_id: str) -> GroupChange | None:
        """The latest change on record for the user in the group (read consistently: a change any instance
        recorded before is seen)."""

    def put_ban(self, ban: Ban) -> Ban | None:
        """Keep `ban` as the one ban of its (room, user), replacing any earlier record; return the replaced ban if
        it still held at `ban.created_at`."""

    def end_ban(self, room: str, user_id: str, at: datetime, by: str, case_number: int | None = None) -> Ban | None:
        """End the ban of (room, user) at `at`, by a moderator's user ID or bans.EXPIRED; with `case_number`, only
        the ban that case made. Returns the ban as it was if it was ended now (store.bans.ending says when), else
        None, changing nothing. A ban that ran out ends at its expiry, whatever `at` is."""

    def ban_on(self, room_arn: str, user_id: str, now: datetime) -> Ban | None:
        """The ban keeping the user out of the room at `now` (on that room or on every room), or None."""

    def active_bans(self, now: datetime, room: str | None = None) -> list[Ban]:
        """Bans holding at `now`, newest first; with `room` (an ARN or bans.ALL_ROOMS), only that room's."""

    def lapsed_bans(self, now: datetime) -> list[Ban]:
        """Timeouts that ran out by `now` and are not yet marked ended, earliest end first."""

    def ping(self) -> None:
        """Raise if the store cannot be reached (for health checks)."""

    def close(self) -> None: ...
