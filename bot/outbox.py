"""The audit outbox: every case's audit record reaches the moderation channel exactly once, eventually.

The thread that handled a kick posts at once. If that fails (Slack down, the bot not in the channel) or the
process dies first, the case stays undelivered in the store and this outbox posts it later, backing off
between tries; several instances sharing a store take turns through a claim with an expiry.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from .delivery import Posted
from .kick.audit import AuditRecord, audit_record
from .kick.cases import AuditPost, Case, CaseStore

log = logging.getLogger(__name__)

CLAIM = timedelta(seconds=60)
BACKOFF_SECONDS = (5, 15, 30, 60, 120, 300)
# Longer than any kick can take (role check 20 s, DisconnectUser with retries ~40 s): a case still pending
# after this belonged to a process that died before AWS answered.
STALE_AFTER = timedelta(minutes=2)
INTERRUPTED = (
    "The bot stopped while IVS Chat was handling this kick, so its outcome is unknown; disconnecting again is harmless."
)
SWEEP_SECONDS = 5.0

Post = Callable[[AuditRecord], Posted]
# Given a case, the ts of its audit post if Slack already has one.
Find = Callable[[Case], str | None]


def _now() -> datetime:
    return datetime.now(timezone.utc)


class AuditOutbox:
    def __init__(
        self, store: CaseStore, channel: str, post: Post, find: Find, clock: Callable[[], datetime] = _now
    ) -> None:
        self._store, self._channel, self._post, self._find, self._clock = store, channel, post, find, clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def deliver(self, case: Case) -> str | None:
        """Post the case's audit record now; None when Slack has it, else why not (it stays queued)."""
        now = self._clock()
        claimed = self._store.claim_delivery(case.number, now, now + CLAIM)
        if claimed is None:
            return None  # already posted, or another thread or instance is posting it
        earlier = self._find(claimed) if claimed.audit_tries > 1 else None
        if earlier:  # an earlier try reached Slack though its answer never came back: record it, don't repost
            self._store.mark_delivered(case.number, AuditPost(self._channel, earlier))
            log.info("audit post found", extra={"fields": {"case": case.number, "message_ts": earlier}})
            return None
        posted = self._post(audit_record(claimed))
        if posted.ts:
            self._store.mark_delivered(case.number, AuditPost(self._channel, posted.ts))
            log.info("audit posted", extra={"fields": {"case": case.number, "message_ts": posted.ts}})
            return None
        # The store counts the tries (claims), so no per-case count is kept here for cases anyone can open.
        retry_in = BACKOFF_SECONDS[min(claimed.audit_tries, len(BACKOFF_SECONDS)) - 1]
        error = posted.error or "Slack did not accept the post."
        self._store.note_delivery_failure(case.number, error, now + timedelta(seconds=retry_in))
        log.warning("audit post queued", extra={"fields": {"case": case.number, "error": error, "retry_in": retry_in}})
        return error

    def deliver_due(self) -> int:
        """One sweep: mark dead attempts interrupted, post what is due. Returns how many were posted."""
        now = self._clock()
        self._store.interrupt_stale(now - STALE_AFTER, INTERRUPTED)
        return sum(1 for case in self._store.due_deliveries(now) if self.deliver(case) is None)

    def start(self) -> None:
        """Deliver what an earlier run left behind, then keep sweeping in the background."""
        self._thread = threading.Thread(target=self._run, name="audit-outbox", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stopping.set()
        if self._thread:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.deliver_due()
            except Exception:  # the outbox must outlive a store or Slack hiccup
                log.exception("audit outbox sweep failed")
            self._stopping.wait(SWEEP_SECONDS)
