"""Structured logging: one JSON object per line on stderr, with every configured secret redacted."""

from __future__ import annotations

import json
import logging
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


def configure_logging(secrets: Iterable[str], level: str = "INFO", stream: TextIO = sys.stderr) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The AWS SDK's own chatter at INFO (credential discovery, retries) is noise next to our one line per kick.
    for noisy in ("botocore", "boto3", "urllib3"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
