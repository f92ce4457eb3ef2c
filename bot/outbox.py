"""The audit outbox: every case's audit record reaches the moderation channel exactly once, eventually.

The thread that handled a kick posts at once. If that fails (Slack down, the bot not in the channel) or the
process dies first, the case stays undelivered in the store and this outbox posts it later, backing off
between tries; several instances sharing a store take turns through a claim with an expiry. The claim is short
and renewed for as long as its post is in flight (bot.leases), so a process killed in mid-post leaves a claim
that lapses within CLAIM, and a restart posts the record (or finds it in the channel) within seconds.

Each sweep also ends the timeouts that have run out (kick.expiry), so a timeout's end is posted within
SWEEP_SECONDS of it, once, however many processes sweep.

A kick's case stays pending while DisconnectUser runs, however long a raid takes; its thread beats on the case
(running()), and only a pending case silent for STALE_AFTER is taken for the work of a dead process and posted
as interrupted.

Refused and invalid attempts, which any member can make as fast as they can type, are never posted by the
thread that handled them: the outbox's own thread posts them, after every kick that is due (a sweep gives way to
kicks every SWEEP_SECONDS), no faster than one per PACE_SECONDS, and only as many as kick.flood admits; the rest
of a member's burst becomes one summary.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

from .delivery import Posted
from .kick.audit import AuditRecord, audit_record, summary_record
from .kick.cases import AuditPost, Case, CaseStore
from .kick.expiry import end_lapsed
from .kick.flood import FLOOD_PRONE, PostAlone, admit
from .leases import LeaseKeeper

log = logging.getLogger(__name__)

# Claims and heartbeats are renewed this often while their work runs.
RENEW_SECONDS = 4.0
# A claim outlives two missed renewals; a dead process's claim lapses within this, so with a sweep every
# SWEEP_SECONDS a restart posts (or finds) the record within CLAIM + SWEEP_SECONDS of the kill.
CLAIM = timedelta(seconds=12)
BACKOFF_SECONDS = (5, 15, 30, 60, 120, 300)
# A pending case whose kick has not beaten for this long (15 missed heartbeats: a store that stops answering
# for a while is not a dead process) belonged to a process that died before AWS answered.
STALE_AFTER = timedelta(minutes=1)
INTERRUPTED = (
    "The bot stopped while IVS Chat was handling this kick, so its outcome is unknown; disconnecting again is harmless."
)
SWEEP_SECONDS = 5.0
# Slack posts about one message a second per channel (chat.postMessage's special rate limit). Refused and invalid
# attempts' posts take at most half of that, so a kick's own post always finds room in the channel.
PACE_SECONDS = 2.0

Post = Callable[[AuditRecord], Posted]
# Given a case, the ts of its audit post if Slack already has one.
Find = Callable[[Case], str | None]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AuditOutbox:
    def __init__(
        self,
        store: CaseStore,
        channel: str,
        post: Post,
        find: Find,
        clock: Callable[[], datetime] = _now,
        sleep: Callable[[float], object] | None = None,
        *,
        leases: LeaseKeeper | None = None,
        claim: timedelta = CLAIM,
        stale_after: timedelta = STALE_AFTER,
    ) -> None:
        self._store, self._channel, self._post, self._find, self._clock = store, channel, post, find, clock
        self._leases = leases or LeaseKeeper(RENEW_SECONDS)
        self._claim, self._stale_after = claim, stale_after
        self._stopping = threading.Event()
        self._wake = threading.Event()
        self._sleep = sleep or self._stopping.wait
        self._paced_at: datetime | None = None
        self._thread: threading.Thread | None = None

    def deliver(self, case: Case) -> str | None:
        """Post a kick's audit record now, on the caller's thread; None when Slack has it, else why not (it stays
        queued). A refused or invalid case is left to the outbox's own thread, woken now, and None is returned."""
        if case.status in FLOOD_PRONE:
            self._wake.set()
            return None
        outcome = self._deliver(case)
        return outcome if isinstance(outcome, str) else None

    @contextmanager
    def running(self, case: Case) -> Iterator[None]:
        """Beat on a pending case while its kick runs in the `with` block, so no sweep in any process sharing the
        store takes it for dead, however long the raid takes. The beats end with the block or the outcome."""
        with self._leases.hold(lambda: self._store.keep_alive(case.number, self._clock())):
            yield

    def _deliver(self, case: Case) -> bool | str:
        """True when this call posted the record (or found it posted), False when it had nothing to post, else
        why Slack did not take it."""
        now = self._clock()
        until = now + self._claim
        claimed = self._store.claim_delivery(case.number, now, until)
        if claimed is None:
            return False  # already posted, or another thread or instance is posting it
        with self._leases.hold(self._renewal(case.number, until)):
            return self._post_claimed(claimed, now)

    def _renewal(self, number: int, until: datetime) -> Callable[[], bool]:
        """Extends the claim taken until `until` while it is still this process's."""
        held = [until]

        def renew() -> bool:
            longer = self._clock() + self._claim
            if not self._store.renew_claim(number, held[0], longer):
                return False
            held[0] = longer
            return True

        return renew

    def _post_claimed(self, claimed: Case, now: datetime) -> bool | str:
        """_deliver's work once the claim is held (and kept alive)."""
        earlier = self._find(claimed) if claimed.audit_tries > 1 else None
        if earlier:  # an earlier try reached Slack though its answer never came back: record it, don't repost
            self._mark_delivered(claimed, earlier)
            log.info("audit post found", extra={"fields": {"case": claimed.number, "message_ts": earlier}})
            return True
        covered = [claimed]
        if claimed.summarised_in == claimed.number:
            covered = self._store.summarised(claimed.number)
            record = summary_record(covered)
            self._pace()
        elif claimed.status in FLOOD_PRONE:
            if self._left_to_summary(claimed, now):
                return False
            record = audit_record(claimed)
            self._pace()
        else:
            record = audit_record(claimed)
        posted = self._post(record)
        if posted.ts:
            for each in covered:
                self._store.mark_delivered(each.number, AuditPost(self._channel, posted.ts))
            log.info("audit posted", extra={"fields": {"case": claimed.number, "message_ts": posted.ts,
                                                       "covers": len(covered)}})  # fmt: skip
            return True
        # The store counts the tries (claims), so no per-case count is kept here for cases anyone can open.
        retry_in = BACKOFF_SECONDS[min(claimed.audit_tries, len(BACKOFF_SECONDS)) - 1]
        error = posted.error or "Slack did not accept the post."
        self._store.note_delivery_failure(claimed.number, error, now + timedelta(seconds=retry_in))
        log.warning(
            "audit post queued", extra={"fields": {"case": claimed.number, "error": error, "retry_in": retry_in}}
        )
        return error

    def _mark_delivered(self, case: Case, ts: str) -> None:
        covered = self._store.summarised(case.number) if case.summarised_in == case.number else [case]
        for each in covered:
            self._store.mark_delivered(each.number, AuditPost(self._channel, ts))

    def _left_to_summary(self, case: Case, now: datetime) -> bool:
        """Admit a refused or invalid case through its member's audit gate: True when a summary covers it."""
        placement = self._store.change_gate(case.moderator_id, lambda gate: admit(gate, case.number, now))
        if isinstance(placement, PostAlone):
            return False
        if not self._store.summarise(case.number, placement.lead, placement.due_at):
            return False  # its summary was posted already: this one goes alone
        log.info("audit post left to a summary", extra={"fields": {"case": case.number, "summary": placement.lead}})
        return True

    def _pace(self) -> None:
        """Keep refused and invalid attempts' posts PACE_SECONDS apart."""
        if self._paced_at is not None:
            wait = PACE_SECONDS - (self._clock() - self._paced_at).total_seconds()
            if wait > 0:
                self._sleep(wait)
        self._paced_at = self._clock()

    def deliver_due(self) -> int:
        """One sweep: mark dead attempts interrupted, open a case for each timeout that ran out, post what is due,
        kicks first. Returns how many were posted (a summary counts once)."""
        now = self._clock()
        self._store.interrupt_stale(now - self._stale_after, INTERRUPTED)
        end_lapsed(self._store, now)
        posted = 0
        for case in self._store.due_deliveries(now):
            if case.status in FLOOD_PRONE or case.summarised_in:
                if self._stopping.is_set():
                    break  # shutting down: the next start posts these
                if (self._clock() - now).total_seconds() >= SWEEP_SECONDS:
                    self._wake.set()  # sweep again at once, taking up any kick that came due meanwhile first
                    break
            posted += self._deliver(case) is True
        return posted

    def start(self) -> None:
        """Deliver what an earlier run left behind, then keep sweeping in the background."""
        self._thread = threading.Thread(target=self._run, name="audit-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout)
        self._leases.stop()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.deliver_due()
            except Exception:  # the outbox must outlive a store or Slack hiccup
                log.exception("audit outbox sweep failed")
            self._wake.wait(SWEEP_SECONDS)  # or sooner, when a refused or invalid case is handed over
            self._wake.clear()
