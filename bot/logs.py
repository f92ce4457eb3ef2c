"""Structured logging: one JSON object per line on stderr, with every configured secret redacted."""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import os
import queue
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TextIO

REDACTED = "[redacted]"


class JsonLines(logging.Formatter):
    """Formats records as JSON; `extra={"fields": {...}}` adds fields. Secrets are replaced last, so they
    cannot leak through a message, a field or a traceback."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        entry = dict(getattr(record, "fields", None) or {})
        entry.update(  # the line's own keys win over a field of the same name
            ts=datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            level=record.levelname.lower(),
            logger=record.name,
            msg=record.getMessage(),
        )
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        for secret in self._secrets:
            line = line.replace(secret, REDACTED)
        return line


class _Enqueue(logging.handlers.QueueHandler):
    """Hands each record to the writer thread as it is. Within one process nothing needs pickling, and
    QueueHandler.prepare() would flatten a traceback into the message, losing the line's "error" field."""

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        record.msg, record.args = record.getMessage(), None  # fix the text now, not when it is written
        return record


_writer: logging.handlers.QueueListener | None = None


def configure_logging(secrets: Iterable[str], level: str = "INFO", stream: TextIO = sys.stderr) -> None:
    """JSON lines on `stream`, formatted and written by one thread of their own: a thread acking a request
    only queues its line, instead of waiting for the stream's lock and a write under a burst."""
    global _writer
    flush_logs()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines(secrets))
    records: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    _writer = logging.handlers.QueueListener(records, handler)
    _writer.start()
    root = logging.getLogger()
    root.handlers[:] = [_Enqueue(records)]
    root.setLevel(level)
    # Where and on which thread a line was logged is never written, so do not work it out for every record.
    # The process ID stays: gunicorn's own lines print it.
    logging._srcfile = None  # type: ignore[attr-defined]  # the logging HOWTO's "Optimization" switch
    logging.logThreads = logging.logMultiprocessing = False
    # The AWS SDK's own chatter at INFO (credential discovery, retries) is noise next to our one line per kick.
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # Slack's SDK builds its debug lines unless its logger has a level of its own (see delivery.SDK_LOG).
    logging.getLogger("slack_sdk").setLevel(root.level)


def flush_logs() -> None:
    """Write every queued line and stop the writer: before the process execs, exits or is torn down."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None


def _writer_for_child() -> None:
    """A forked child (gunicorn with --preload) inherits the queue but not the thread that empties it."""
    global _writer
    if _writer is not None:
        _writer = logging.handlers.QueueListener(_writer.queue, *_writer.handlers)
        _writer.start()


atexit.register(flush_logs)
os.register_at_fork(after_in_child=_writer_for_child)
