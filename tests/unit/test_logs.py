import io
import json
import logging

import pytest

from bot.logs import REDACTED, configure_logging, flush_logs


@pytest.fixture(autouse=True)
def restore_root_logger():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:], root.level = handlers, level


def test_lines_are_json_with_fields_and_secrets_never_appear():
    stream = io.StringIO()
    configure_logging(["xoxb-very-secret-token"], "INFO", stream)
    log = logging.getLogger("test")
    log.info("calling with xoxb-very-secret-token", extra={"fields": {"token": "xoxb-very-secret-token", "n": 1}})
    try:
        raise RuntimeError("boom xoxb-very-secret-token")
    except RuntimeError:
        log.exception("failed")
    flush_logs()
    lines = stream.getvalue().splitlines()
    assert "xoxb-very-secret-token" not in stream.getvalue()
    first = json.loads(lines[0])
    assert first["msg"] == f"calling with {REDACTED}" and first["n"] == 1 and first["level"] == "info"
    assert "RuntimeError" in json.loads(lines[1])["error"]
