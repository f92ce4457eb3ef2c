import io
import json
import logging
import os

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


def test_a_forked_child_still_writes_its_lines(tmp_path):
    path = tmp_path / "bot.log"
    with open(path, "w") as stream:
        configure_logging([], "INFO", stream)
        pid = os.fork()
        if pid == 0:  # the child, as a gunicorn worker forked from a --preload master
            logging.getLogger("child").info("from the child")
            flush_logs()
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        flush_logs()
    assert status == 0
    assert [json.loads(line)["msg"] for line in path.read_text().splitlines()] == ["from the child"]
