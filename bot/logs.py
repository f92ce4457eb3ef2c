"""Structured logging: one JSON object per line on stderr, with every configured secret, Slack response_url,
trigger ID and Socket Mode connection ticket redacted."""

from __future__ import annotations

import atexit
import json
import logging
import logging.handlers
import os
import queue
import re
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import TextIO

REDACTED = "[redacted]"

# A response_url is a bearer link for 30 minutes, and a trigger ID opens a modal as the user for 3 s: neither
# may reach a log. They are found in every form a line can carry them: raw, URL-encoded (a form body, as
# slack_bolt logs a request whose signature is wrong), JSON-escaped (`https:\/\/`), or both, and inside the
# line's own JSON, where a quote is `\"` and a backslash `\\`.
_SLASH = r"(?:\\*/|(?:%5[Cc])*%2[Ff])"
_QUOTE = r"(?:\\*[\"']|(?:%5[Cc])*%2[27])"
_SPACE = r"(?:\s|\+|%20)*"
# a value ends at a quote, & , ] } (raw or %-encoded), a backslash other than in \/, or a space
_VALUE = r"(?:[\w.~:-]|\\*/|%(?!2[267Cc]|5[CcDd]|7[Dd])[0-9A-Fa-f]{2}|%5[Cc](?=%2[Ff]))+"
# anything under Slack's webhook hosts (response URLs, incoming webhooks), with or without its scheme
_WEBHOOK_URL = re.compile(rf"(?:https?(?::|%3A){_SLASH}{_SLASH})?hooks\.slack(?:-gov)?\.com(?:{_SLASH}[\w.~-]+)*", re.I)
# a response_url's path on any host: /commands|actions|app/<team>/<number>/<secret>
_RESPONSE_PATH = re.compile(rf"(?:commands|actions|app){_SLASH}[A-Z0-9]+{_SLASH}[0-9]+{_SLASH}[\w-]+")
# the value given to a key named response_url or trigger_id: in JSON, a Python repr or a form field
_KEYED = re.compile(rf"((?:response_url|trigger_id){_QUOTE}?{_SPACE}(?:[:=]|%3A|%3D){_SPACE}{_QUOTE}?){_VALUE}", re.I)
# Socket Mode's WebSocket URL (apps.connections.open) carries a ticket that opens the app's connection
_TICKET = re.compile(r"(\bticket(?:=|%3D))[\w.~%-]+", re.I)
# a trigger ID anywhere: <digits>.<digits>.<hex>, looked for only where a cheap search finds its tail
_TRIGGER_ID = re.compile(r"(?<![0-9.])[0-9]+\.[0-9]+\.[0-9a-fA-F]{8,}(?![\w.])")
_TRIGGER_TAIL = re.compile(r"\.[0-9]+\.[0-9a-fA-F]{8}")


def redact_slack_links(line: str) -> str:
    """`line` with every Slack response_url, trigger ID and Socket Mode connection ticket replaced by REDACTED (a
    key before one is kept)."""
    lowered = line.lower()
    if "hooks.slack" in lowered:
        line = _WEBHOOK_URL.sub(REDACTED, line)
    line = _RESPONSE_PATH.sub(REDACTED, line)
    if "response_url" in lowered or "trigger_id" in lowered:
        line = _KEYED.sub(lambda match: match.group(1) + REDACTED, line)
    if "ticket" in lowered:
        line = _TICKET.sub(lambda match: match.group(1) + REDACTED, line)
    if _TRIGGER_TAIL.search(line):
        line = _TRIGGER_ID.sub(REDACTED, line)
    return line


class JsonLines(logging.Formatter):
    """Formats records as JSON; `extra={"fields": {...}}` adds fields. Response URLs, trigger IDs and secrets are
    replaced in the finished line, so they cannot leak through a message, a field or a traceback."""

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
        line = redact_slack_links(line)
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
