"""The WSGI callable gunicorn serves (Procfile `web:`): Bolt's own WSGI adapter at POST /slack/events,
plus GET /healthz for load balancers and platform health checks (no auth, no secrets).

This entry point always serves Slack over HTTP, so it verifies every request's signature whatever else is set,
and refuses to start without SLACK_SIGNING_SECRET. Before Bolt sees a request, bodies that no Slack request has
are answered here without being read or parsed: no Content-Length (411), more than MAX_BODY_BYTES (413), not
UTF-8 or a `payload` that is not JSON (400), each with one log line and no traceback.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.wsgi import SlackRequestHandler

from .app import HTTP
from .startup import EXIT_WORKER_BOOT, prepared_bot, prepared_settings

# Slack's requests are a few kB; the largest this app can be sent is a click on an audit post, which echoes the
# message (at most 50 blocks of at most 3000 characters, URL-encoded). 1 MiB, nginx's default
# client_max_body_size, leaves room for that and refuses anything larger before reading a byte of it.
MAX_BODY_BYTES = 1024 * 1024
SLACK_PATH = "/slack/events"

log = logging.getLogger(__name__)

try:
    bot = prepared_bot(prepared_settings(serves_http=True), HTTP)
except SystemExit as stop:  # the lines saying why are printed; a server restarting this worker would loop
    raise SystemExit(EXIT_WORKER_BOOT if stop.code else 0) from None
_slack = SlackRequestHandler(bot.app, path=SLACK_PATH)

StartResponse = Callable[..., Any]


def _answer(start_response: StartResponse, status: str, body: dict[str, Any], *, close: bool = False) -> list[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Cache-Control", "no-store")]
    if close:  # the unread body is never drained: the connection goes with it
        headers.append(("Connection", "close"))
    start_response(status, headers)
    return [data]


def _refuse(start_response: StartResponse, status: str, reason: str, **fields: Any) -> list[bytes]:
    log.warning("request refused", extra={"fields": {"status": int(status[:3]), "reason": reason, **fields}})
    return _answer(start_response, status, {"error": reason}, close=True)


def _health(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    healthy, report = bot.health()
    answer = _answer(start_response, "200 OK" if healthy else "503 Service Unavailable", report)
    return answer if environ["REQUEST_METHOD"] == "GET" else [b""]


def _slack_request(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()
    if not (declared.isascii() and declared.isdigit()):  # chunked or missing: Slack always sends a Content-Length
        return _refuse(start_response, "411 Length Required", "a request to Slack's endpoint needs a Content-Length")
    length = int(declared)
    if length > MAX_BODY_BYTES:
        return _refuse(
            start_response, "413 Content Too Large", f"the body is over {MAX_BODY_BYTES} bytes", bytes=length
        )
    body = environ["wsgi.input"].read(length)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(start_response, "400 Bad Request", "the body is not UTF-8")
    if not _slack_shaped(text, str(environ.get("CONTENT_TYPE") or "")):
        return _refuse(start_response, "400 Bad Request", "the body is not shaped like a Slack request")
    environ["wsgi.input"] = io.BytesIO(body)
    return _slack(environ, start_response)


def _json_object(text: str) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _slack_shaped(text: str, content_type: str) -> bool:
    """What Bolt will parse (before it verifies the signature) is what Slack sends: a JSON object, or a form
    whose `payload`, if any, is one. Anything else would fail inside Bolt's parser with HTTP 500."""
    if content_type.startswith("application/json") or text.startswith("{"):
        return _json_object(text)
    payload = parse_qs(text).get("payload")
    return payload is None or _json_object(payload[0])


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
    if path == "/healthz" and method in {"GET", "HEAD"}:
        return _health(environ, start_response)
    if path == SLACK_PATH and method == "POST":
        return _slack_request(environ, start_response)
    return _answer(start_response, "404 Not Found", {"error": "not found"})
