"""Who may kick: members of a Slack user group plus an explicit list of user IDs.

Group membership comes from `usergroups.users.list`, which Slack allows only ~20 times a minute, so it is
cached. The cache is refreshed in the background when it grows old, overridden at once by
`subteam_members_changed` events (a revoke takes effect immediately), and its age is bounded so a missed
event cannot keep a revoked moderator in forever.

Slack retries events, may deliver one twice and several out of order, so each user's changes are ordered by
the time Slack gives them: an older change never overrides a newer one, and at the same time a removal wins.
Only one process receives an event, so changes are also written to a shared change log (the case store) that
every process reads at its decisive checks.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


class GroupUnavailable(Exception):
    """The group's members could not be read. `transient` problems (rate limits, timeouts) go away by themselves."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


FetchGroup = Callable[[str], Iterable[str]]
# A removal this recent outweighs a group listing read after it: Slack's listing may lag its events, and
# Slack's clock (the event's time) and ours (the listing's) may differ by a few seconds.
REMOVAL_OUTLIVES_LISTING = 60.0
# Event IDs remembered to drop a retried or duplicated delivery at once (Slack retries within minutes).
SEEN_EVENTS = 1000
BEFORE_MODAL_WAIT = 1.0
# An options request shares Slack's 3 s deadline with the room listing's own work: wait on Slack less.
BEFORE_OPTIONS_WAIT = 0.5
BEFORE_MODAL_MAX_AGE = 15 * 60.0
# How long a check waits on Slack for someone an outdated listing already refuses: only a grant needs fresh data,
# and anyone in the workspace may ask, so a burst of them while Slack is slow must not hold listener threads.
STALE_REFUSAL_WAIT = 1.0


class Standing(enum.Enum):
    MODERATOR = "moderator"
    NOT_MODERATOR = "not_moderator"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Verdict:
    standing: Standing
    reason: str = ""
    transient: bool = False

    @property
    def allowed(self) -> bool:
        return self.standing is Standing.MODERATOR

    @property
    def refused(self) -> bool:
        """Certainly not allowed: not a moderator, or the group cannot be read (as opposed to not yet read)."""
        return self.standing is Standing.NOT_MODERATOR or (self.standing is Standing.UNKNOWN and not self.transient)


@dataclass(frozen=True)
class GroupChange:
    """A user added to or removed from the moderator group at `at` (seconds since the epoch, Slack's clock)."""

    user_id: str
    added: bool
    at: float

    def supersedes(self, other: GroupChange | None) -> bool:
        """Whether this is newer news about the user than `other`; at the same time, a removal wins."""
        if other is None or self.at > other.at:
            return True
        return self.at == other.at and other.added and not self.added


class GroupChangeLog(Protocol):
    """Membership changes shared by every process (the case store), newest per group and user."""

    def record_group_change(self, group_id: str, change: GroupChange) -> None:
        """Keep `change` unless a change that supersedes it is already on record for that user."""

    def group_change(self, group_id: str, user_id: str) -> GroupChange | None:
        """The latest change on record for the user, if any."""


class ModeratorDirectory:
    """Answers "is this Slack user a moderator?" from the configured list and a cached user group."""

    def __init__(
        self,
        *,
        users: Iterable[str] = (),
        group_id: str | None = None,
        fetch_group: FetchGroup | None = None,
        max_age: float = 60.0,
        changes: GroupChangeLog | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        if group_id and fetch_group is None:
            raise ValueError("a moderator group needs a way to fetch its members")
        self._users = frozenset(users)
        self._group_id = group_id
        self._fetch_group = fetch_group
        self._max_age = max_age
        self._shared = changes
        self._clock, self._wall_clock = clock, wall_clock
        self._lock = threading.Lock()
        self._members: frozenset[str] | None = None  # the group as Slack listed it
        self._fetched_at = 0.0  # when that listing was asked for (clock)
        self._listed_at = 0.0  # the same moment on wall_clock, to compare with Slack's event times
        self._latest: dict[str, GroupChange] = {}  # per user, the newest change heard of since about that listing
        self._seen_events: OrderedDict[str, None] = OrderedDict()
        self._in_flight: Future[frozenset[str]] | None = None
        self._fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moderator-group")

    @property
    def configured(self) -> bool:
        """With neither a list nor a group nobody is a moderator: the bot fails closed."""
        return bool(self._users or self._group_id)

    def warm(self) -> None:
        """Start reading the group now so the first command does not wait for Slack."""
        if self._group_id:
            self._refresh()

    def check(self, user_id: str, *, max_age: float | None = None, wait: float | None = None) -> Verdict:
        """Decide from data no older than `max_age` seconds, waiting at most `wait` seconds for Slack.

        A cached answer older than the configured max age starts a background refresh, so the next caller
        gets fresh data without anyone waiting on Slack. A user whom an outdated listing refuses is waited on for
        at most STALE_REFUSAL_WAIT seconds, and refused if Slack has not answered by then.
        """
        if user_id in self._users:
            return Verdict(Standing.MODERATOR)
        if not self._group_id:
            return Verdict(Standing.NOT_MODERATOR)
        max_age = self._max_age if max_age is None else max_age
        with self._lock:
            members, age = self._members, self._clock() - self._fetched_at
        if members is not None:
            verdict = self._standing(user_id, members)
            if age <= max_age:
                if age > self._max_age:
                    self._refresh()
                return verdict
            if verdict.standing is Standing.NOT_MODERATOR:
                wait = STALE_REFUSAL_WAIT if wait is None else min(wait, STALE_REFUSAL_WAIT)
                try:
                    return self._standing(user_id, self._refresh(max_age).result(timeout=wait))
                except (FutureTimeout, GroupUnavailable):
                    return verdict  # the refusal stands; the listing refreshes behind it
        try:
            members = self._refresh(max_age).result(timeout=wait)
        except FutureTimeout:
            return Verdict(Standing.UNKNOWN, "Slack has not answered the user group look-up yet", transient=True)
        except GroupUnavailable as problem:
            return Verdict(Standing.UNKNOWN, problem.reason, transient=problem.transient)
        return self._standing(user_id, members)

    def check_decisive(self, user_id: str, *, wait: float) -> Verdict:
        """The check that lets a kick, an edit or a look at the record go ahead: as check(), after reading the
        shared change log for this user, so a removal another process heard of is honoured here too.

        One read of the case store; if it fails, the role is unconfirmed rather than trusted.
        """
        if self._group_id and user_id not in self._users and not self._read_shared(user_id):
            return Verdict(Standing.UNKNOWN, "the moderator group's recent changes could not be read", transient=True)
        return self.check(user_id, wait=wait)

    def check_before_modal(self, user_id: str) -> Verdict:
        """Before a modal opens, under Slack's 3 s trigger deadline: a stale cached answer will do (the decisive
        check comes at submission), and Slack is waited on for at most BEFORE_MODAL_WAIT seconds. Only a user
        this process has heard a change about is looked up in the shared change log, which may know newer."""
        self._read_shared_if_heard(user_id)
        return self.check(user_id, max_age=BEFORE_MODAL_MAX_AGE, wait=BEFORE_MODAL_WAIT)

    def check_before_options(self, user_id: str) -> Verdict:
        """Before a picker's options are listed (Slack's 3 s deadline): as check_before_modal, waiting on Slack at
        most BEFORE_OPTIONS_WAIT seconds."""
        self._read_shared_if_heard(user_id)
        return self.check(user_id, max_age=BEFORE_MODAL_MAX_AGE, wait=BEFORE_OPTIONS_WAIT)

    def apply_change(
        self, group_id: str, added: Iterable[str], removed: Iterable[str], *, at: float, event_id: str | None = None
    ) -> None:
        """Take in a `subteam_members_changed` event without asking Slack: users `added` to and `removed` from
        the group at `at` (seconds since the epoch, Slack's clock). A delivery of an `event_id` already seen, and
        any change older than one already known for that user, is ignored. Changes taken in are written to the
        shared change log, for the other processes."""
        if group_id != self._group_id:
            return
        changes = [GroupChange(user, True, at) for user in added] + [GroupChange(user, False, at) for user in removed]
        with self._lock:
            if event_id is not None:
                if event_id in self._seen_events:
                    log.info("moderator group change already seen", extra={"fields": {"event_id": event_id}})
                    return
                self._seen_events[event_id] = None
                if len(self._seen_events) > SEEN_EVENTS:
                    self._seen_events.popitem(last=False)
            taken = [change for change in changes if self._note(change)]
        if self._shared is not None:
            for change in taken:
                try:
                    self._shared.record_group_change(group_id, change)
                except Exception as problem:  # this process still honours it; the others after their next listing
                    log.error("moderator group change not shared", extra={"fields": {"error": type(problem).__name__}})
        log.info(
            "moderator group changed",
            extra={"fields": {"added": sum(c.added for c in taken), "removed": sum(not c.added for c in taken),
                              "stale": len(changes) - len(taken)}},
        )  # fmt: skip

    def close(self) -> None:
        self._fetcher.shutdown(wait=False, cancel_futures=True)

    def _read_shared(self, user_id: str) -> bool:
        """Take in the shared change log's latest change for the user; False if the log could not be read."""
        if self._shared is None or not self._group_id:
            return True
        try:
            change = self._shared.group_change(self._group_id, user_id)
        except Exception as problem:  # the store's own errors vary (SQLite, DynamoDB); the caller decides
            log.warning("moderator group change log unreadable", extra={"fields": {"error": type(problem).__name__}})
            return False
        if change is not None:
            with self._lock:
                self._note(change)
        return True

    def _read_shared_if_heard(self, user_id: str) -> None:
        """Before a modal or options: a removal heard here may since have been undone by an addition another
        process heard. Without news about the user, the listing stands until the decisive check."""
        with self._lock:
            heard = user_id in self._latest
        if heard:
            self._read_shared(user_id)

    def _note(self, change: GroupChange) -> bool:
        """Keep `change` if it is the newest news about its user (call with the lock held)."""
        if not change.supersedes(self._latest.get(change.user_id)):
            return False
        self._latest[change.user_id] = change
        return True

    def _standing(self, user_id: str, members: frozenset[str]) -> Verdict:
        """The listing, unless an event says otherwise: a removal heard of since shortly before the listing was
        asked for (REMOVAL_OUTLIVES_LISTING), or an addition made after it."""
        with self._lock:
            change, listed_at = self._latest.get(user_id), self._listed_at
        member = user_id in members
        if change is not None:
            if not change.added and change.at > listed_at - REMOVAL_OUTLIVES_LISTING:
                member = False
            elif change.added and change.at > listed_at:
                member = True
        return Verdict(Standing.MODERATOR if member else Standing.NOT_MODERATOR)

    def _refresh(self, fresh_within: float | None = None) -> Future[frozenset[str]]:
        """One fetch at a time: concurrent callers share the one in flight. With `fresh_within`, a listing that
        became that fresh since the caller looked is answer enough."""
        with self._lock:
            if self._in_flight is None:
                if fresh_within is not None and self._members is not None:
                    if self._clock() - self._fetched_at <= fresh_within:
                        done: Future[frozenset[str]] = Future()
                        done.set_result(self._members)
                        return done
                self._in_flight = self._fetcher.submit(self._fetch, self._clock(), self._wall_clock())
            return self._in_flight

    def _fetch(self, started: float, started_wall: float) -> frozenset[str]:
        assert self._group_id and self._fetch_group
        try:
            fetched = frozenset(self._fetch_group(self._group_id))
        except GroupUnavailable as problem:
            log.warning("moderator group unavailable", extra={"fields": {"reason": problem.reason}})
            with self._lock:
                self._in_flight = None
            raise
        except Exception as problem:  # an unexpected failure must not leave the fetch stuck "in flight"
            log.exception("moderator group fetch failed")
            with self._lock:
                self._in_flight = None
            raise GroupUnavailable(f"unexpected error: {type(problem).__name__}", transient=True) from problem
        with self._lock:
            self._members, self._fetched_at, self._listed_at = fetched, started, started_wall
            self._in_flight = None
            # Older news no longer overrides a listing (see _standing), so it need not be kept.
            self._latest = {
                user: change for user, change in self._latest.items()
                if change.at > started_wall - (0 if change.added else REMOVAL_OUTLIVES_LISTING)
            }  # fmt: skip
        return fetched
