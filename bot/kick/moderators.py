"""Who may kick: members of a Slack user group plus an explicit list of user IDs.

Group membership comes from `usergroups.users.list`, which Slack allows only ~20 times a minute, so it is
cached. The cache is refreshed in the background when it grows old, patched at once by
`subteam_members_changed` events (a revoke takes effect immediately), and its age is bounded so a missed
event cannot keep a revoked moderator in forever.
"""

from __future__ import annotations

import enum
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass

log = logging.getLogger(__name__)


class GroupUnavailable(Exception):
    """The group's members could not be read. `transient` problems (rate limits, timeouts) go away by themselves."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


FetchGroup = Callable[[str], Iterable[str]]
BEFORE_MODAL_WAIT = 1.0
# An options request shares Slack's 3 s deadline with the room listing's own work: wait on Slack less.
BEFORE_OPTIONS_WAIT = 0.5
BEFORE_MODAL_MAX_AGE = 15 * 60.0


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


class ModeratorDirectory:
    """Answers "is this Slack user a moderator?" from the configured list and a cached user group."""

    def __init__(
        self,
        *,
        users: Iterable[str] = (),
        group_id: str | None = None,
        fetch_group: FetchGroup | None = None,
        max_age: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if group_id and fetch_group is None:
            raise ValueError("a moderator group needs a way to fetch its members")
        self._users = frozenset(users)
        self._group_id = group_id
        self._fetch_group = fetch_group
        self._max_age = max_age
        self._clock = clock
        self._lock = threading.Lock()
        self._members: frozenset[str] | None = None
        self._fetched_at = 0.0
        self._in_flight: Future[frozenset[str]] | None = None
        self._changes_during_fetch: list[tuple[frozenset[str], frozenset[str]]] = []
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
        gets fresh data without anyone waiting on Slack.
        """
        if user_id in self._users:
            return Verdict(Standing.MODERATOR)
        if not self._group_id:
            return Verdict(Standing.NOT_MODERATOR)
        max_age = self._max_age if max_age is None else max_age
        with self._lock:
            members, age = self._members, self._clock() - self._fetched_at
        if members is not None and age <= max_age:
            if age > self._max_age:
                self._refresh()
            return self._standing(user_id, members)
        try:
            members = self._refresh().result(timeout=wait)
        except FutureTimeout:
            return Verdict(Standing.UNKNOWN, "Slack has not answered the user group look-up yet", transient=True)
        except GroupUnavailable as problem:
            return Verdict(Standing.UNKNOWN, problem.reason, transient=problem.transient)
        return self._standing(user_id, members)

    def check_before_modal(self, user_id: str) -> Verdict:
        """Before a modal opens, under Slack's 3 s trigger deadline: a stale cached answer will do (the decisive
        check comes at submission), and Slack is waited on for at most BEFORE_MODAL_WAIT seconds."""
        return self.check(user_id, max_age=BEFORE_MODAL_MAX_AGE, wait=BEFORE_MODAL_WAIT)

    def check_before_options(self, user_id: str) -> Verdict:
        """Before a picker's options are listed (Slack's 3 s deadline): as check_before_modal, waiting on Slack at
        most BEFORE_OPTIONS_WAIT seconds."""
        return self.check(user_id, max_age=BEFORE_MODAL_MAX_AGE, wait=BEFORE_OPTIONS_WAIT)

    def apply_change(self, group_id: str, added: Iterable[str], removed: Iterable[str]) -> None:
        """Patch the cached members from a `subteam_members_changed` event, without asking Slack."""
        if group_id != self._group_id:
            return
        change = (frozenset(added), frozenset(removed))
        with self._lock:
            if self._in_flight is not None:
                self._changes_during_fetch.append(change)
            if self._members is not None:
                self._members = (self._members | change[0]) - change[1]
        log.info("moderator group changed", extra={"fields": {"added": len(change[0]), "removed": len(change[1])}})

    def close(self) -> None:
        self._fetcher.shutdown(wait=False, cancel_futures=True)

    def _standing(self, user_id: str, members: frozenset[str]) -> Verdict:
        return Verdict(Standing.MODERATOR if user_id in members else Standing.NOT_MODERATOR)

    def _refresh(self) -> Future[frozenset[str]]:
        """One fetch at a time: concurrent callers share the one in flight."""
        with self._lock:
            if self._in_flight is None:
                self._changes_during_fetch = []
                self._in_flight = self._fetcher.submit(self._fetch)
            return self._in_flight

    def _fetch(self) -> frozenset[str]:
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
            for added, removed in self._changes_during_fetch:
                fetched = (fetched | added) - removed
            self._members, self._fetched_at = fetched, self._clock()
            self._in_flight = None
        return fetched
