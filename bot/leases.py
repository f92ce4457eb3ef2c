"""Leases kept alive while work runs: a claim on an audit post, a kick's pending case.

A lease is a time written in the case store after which any process sharing the store may take the work for
abandoned. The process doing the work renews it every few seconds from one background thread for as long as
the work goes on, however long that is; a process that dies stops renewing, so its leases lapse within their
own short length instead of at the end of the longest the work could ever take.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

log = logging.getLogger(__name__)

# Renews one lease: True while it is still this process's (renewed), False once it is not (finished, or lapsed
# and taken by another process), which ends its renewals.
Renew = Callable[[], bool]


class LeaseKeeper:
    """Renews every lease held in this process, every `every` seconds, from one daemon thread started on first use."""

    def __init__(self, every: float) -> None:
        self._every = every
        self._held: dict[int, Renew] = {}
        self._keys = itertools.count()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @contextmanager
    def hold(self, renew: Renew) -> Iterator[None]:
        """Renew a lease while the `with` block runs (its first renewal `every` seconds after entry)."""
        key = next(self._keys)
        with self._lock:
            self._held[key] = renew
            if self._thread is None and not self._stopping.is_set():
                self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.pop(key, None)

    def renew_all(self) -> None:
        """One round: renew each held lease once; a lease the store no longer gives this process is dropped. A
        failed renewal (the store unreachable for a moment) is logged and tried again next round."""
        with self._lock:
            held = list(self._held.items())
        for key, renew in held:
            try:
                kept = renew()
            except Exception as error:  # a store hiccup must not end the thread that keeps every lease
                log.warning("lease renewal failed", extra={"fields": {"error": type(error).__name__}})
                continue
            if not kept:
                with self._lock:
                    self._held.pop(key, None)

    def stop(self) -> None:
        self._stopping.set()

    def _run(self) -> None:
        while not self._stopping.wait(self._every):
            self.renew_all()
