import io
import json
import logging
import os
import sys
from urllib.parse import urlencode

import pytest

from bot.logs import REDACTED, JsonLines, configure_logging, flush_logs


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


# A response_url's last segment and a trigger ID's last part are what make them secret.
SECRET_PART = "AbCdEf0123456789abcdef01"
HOOK = f"https://hooks.slack.com/commands/T0123ABCD/1234567890123/{SECRET_PART}"
TRIGGER = "13345224609.738474920.8088930838d88f008e0"
BODY = {"text": "x y", "response_url": HOOK, "trigger_id": TRIGGER, "user_id": "U0MOD"}
LEAKS = {
    "bolt's bad-signature line, form-encoded": f"Invalid request signature detected (signature: v0=abc, "
    f"timestamp: 1, body: {urlencode(BODY)})",
    "a JSON body": json.dumps(BODY),
    "JSON with escaped slashes": json.dumps(BODY).replace("/", "\\/"),
    "an interaction's form-encoded JSON payload": urlencode(
        {"payload": json.dumps({"trigger_id": TRIGGER, "response_urls": [{"response_url": HOOK}]}).replace("/", "\\/")}
    ),
    "a Python repr": repr(BODY),
    "a URL alone": f"Sending a request - url: {HOOK}, body: {{}}",
    "a GovSlack URL": f"posting to {HOOK.replace('slack.com', 'slack-gov.com')}",
    "an incoming webhook": f"posting to https://hooks.slack.com/services/T0123ABCD/B0123/{SECRET_PART}",
    "an actions URL on another host": f"url=http://127.0.0.1:45678/actions/T0000TEST/5/{SECRET_PART}",
    "a URL without its scheme": f"hooks.slack.com/app/T0123ABCD/1234567890123/{SECRET_PART}",
    "a trigger ID alone": f"opening a view for {TRIGGER}",
    "a trigger ID of another shape": json.dumps({"trigger_id": "99999.11111.8088930838d88f008e0"}),
    "the test fakes' trigger ID": "trigger 12.1796323266.0123456789abcdef0123456789abcdef expired",
    "a Socket Mode connection URL (slack_sdk at DEBUG)": (
        f"Connecting to a new session (url: wss://wss-primary.slack.com/link/?ticket={SECRET_PART}&app_id=A0123)"
    ),
}


def _line(msg: str = "", **kwargs) -> str:
    record = logging.LogRecord("slack_bolt.App", logging.INFO, "", 0, msg, None, None)
    for key, value in kwargs.items():
        setattr(record, key, value)
    return JsonLines().format(record)


@pytest.mark.parametrize("text", LEAKS.values(), ids=LEAKS.keys())
def test_response_urls_and_trigger_ids_are_redacted_in_every_form(text):
    for line in (_line(text), _line("m", fields={"body": text})):
        assert json.loads(line)  # still one JSON object
        assert REDACTED in line
        for part in (SECRET_PART, "8088930838d88f008e0", "0123456789abcdef0123456789abcdef"):
            assert part not in line, line


def test_a_response_url_in_a_traceback_is_redacted():
    try:
        raise RuntimeError(f"POST {HOOK} failed")
    except RuntimeError:
        line = _line("failed", exc_info=sys.exc_info())
    assert SECRET_PART not in line and "RuntimeError" in json.loads(line)["error"]


@pytest.mark.parametrize(
    "text",
    [
        "no response_url to reply to the moderator",
        "audit post 1796323266.591520 in C0AUDIT",
        "bind 127.0.0.1:3000, version 3.11.4",
        "trigger_id is missing",
        "a ticket to the stream",
    ],
)
def test_lines_without_one_are_left_alone(text):
    assert json.loads(_line(text))["msg"] == text
