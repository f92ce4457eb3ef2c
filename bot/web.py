"""web_application(bot): the WSGI callable for a bot served over HTTP. Bolt's own WSGI adapter at POST
/slack/events (Bolt verifies every signature), plus GET /healthz for load balancers (no auth, no secrets).

Before Bolt sees a request, bodies that no Slack request has are answered here: one declared larger than
MAX_BODY_BYTES (413, without reading it; the server then drains at most 64 KiB of it and drops the connection),
one that is not UTF-8, or not a JSON object / a form whose `payload` is one (400), each with one `request refused`
log line and no traceback. Anything else: 404.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from slack_bolt.adapter.wsgi import SlackRequestHandler

from .app import Bot

# Slack's requests are a few kB; the largest this app can be sent is a click on an audit post, which echoes the
# message (at most 50 blocks of at most 3000 characters, URL-encoded). 1 MiB, nginx's default
# client_max_body_size, leaves room for that and refuses anything larger before reading a byte of it.
MAX_BODY_BYTES = 1024 * 1024
SLACK_PATH = "/slack/events"
TOO_LARGE = f"the body is over {MAX_BODY_BYTES} bytes, far more than any request from Slack"

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _answer(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Cache-Control", "no-store")]
    start_response(status, headers)
    return [data]


def _refuse(start_response: StartResponse, status: str, reason: str, **fields: Any) -> list[bytes]:
    log.warning("request refused", extra={"fields": {"status": int(status[:3]), "reason": reason, **fields}})
    return _answer(start_response, status, {"error": reason})


def _health(bot: Bot, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    healthy, report = bot.health()
    answer = _answer(start_response, "200 OK" if healthy else "503 Service Unavailable", report)
    return answer if environ["REQUEST_METHOD"] == "GET" else [b""]


def _slack_request(slack: WsgiApp, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()  # the server has checked it is a number
    if declared and int(declared) > MAX_BODY_BYTES:
        return _refuse(start_response, "413 Content Too Large", TOO_LARGE, bytes=int(declared))
    # Slack always sends a Content-Length; a chunked body is read no further than one byte past the cap.
    body = environ["wsgi.input"].read(int(declared) if declared else MAX_BODY_BYTES + 1)
    if len(body) > MAX_BODY_BYTES:
        return _refuse(start_response, "413 Content Too Large", TOO_LARGE, bytes=f">{MAX_BODY_BYTES}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(start_response, "400 Bad Request", "the body is not UTF-8")
    if not _slack_shaped(text, str(environ.get("CONTENT_TYPE") or "")):
        return _refuse(start_response, "400 Bad Request", "the body is not shaped like a Slack request")
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    return slack(environ, start_response)


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


def web_application(bot: Bot) -> WsgiApp:
    """The WSGI callable serving `bot` (built in HTTP mode, so Bolt verifies every request's signature)."""
    slack = SlackRequestHandler(bot.app, path=SLACK_PATH)

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in {"GET", "HEAD"}:
            return _health(bot, environ, start_response)
        if path == SLACK_PATH and method == "POST":
            return _slack_request(slack, environ, start_response)
        return _answer(start_response, "404 Not Found", {"error": "not found"})

    return application
