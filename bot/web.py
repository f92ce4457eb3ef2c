"""web_application(bot): the WSGI callable for a bot served over HTTP. Bolt's own WSGI adapter at POST
/slack/events (Bolt verifies every signature), plus GET /healthz for load balancers (no auth, no secrets).

Before Bolt sees a request, this module answers what Slack never sends, cheapest check first, each with one
`request refused` log line and no traceback: a body without a Content-Length (411: chunked framing costs
gunicorn CPU per chunk), one declared larger than MAX_BODY_BYTES (413), or one that has not fully arrived
within BODY_SECONDS (408), none of them read further and their connection's read side shut; a body that is
not UTF-8 (400), one whose Slack signature is missing, wrong or older
than 5 minutes (401, checked over the raw bytes with slack_sdk's SignatureVerifier, so an outsider's body is
never parsed; Slack's unsigned `ssl_check` of a few bytes is answered 200 here), and a signed one that Bolt's
own parser would choke on (400). Anything else: 404.
"""

from __future__ import annotations

import io
import json
import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from gevent import Timeout
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request.internals import parse_body
from slack_sdk.signature import SignatureVerifier

from .app import Bot

# Slack's requests are a few kB; the largest this app can be sent is a click on an audit post, which echoes the
# message (at most 50 blocks of at most 3000 characters, URL-encoded). 1 MiB, nginx's default
# client_max_body_size, leaves room for that and refuses anything larger before reading a byte of it.
MAX_BODY_BYTES = 1024 * 1024
SLACK_PATH = "/slack/events"
TOO_LARGE = f"the body is over {MAX_BODY_BYTES} bytes, far more than any request from Slack"
# Slack sends its few kB at once, and an answer later than 3 s is lost anyway. gunicorn bounds the wait for a
# request's headers (keepalive); this bounds the wait for its body, so slow senders cannot hold the worker's
# connections (worker_connections) for ever.
BODY_SECONDS = 5.0
TOO_SLOW = f"the body did not arrive within {BODY_SECONDS:g} s"
NO_LENGTH = "the request has no Content-Length, which every request from Slack has"
# A Unix time in seconds has 10 digits until the year 2286: anything much longer is not Slack's.
TIMESTAMP_DIGITS = 12
# Slack checks a command's Request URL certificate with an unsigned `ssl_check=1&token=…` form of a few bytes.
SSL_CHECK_BYTES = 1024
UNSIGNED = (
    "the Slack signature is missing, wrong or older than 5 minutes; if Slack sent it, SLACK_SIGNING_SECRET is "
    "not this app's Signing Secret"
)

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _answer(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Cache-Control", "no-store")]
    start_response(status, headers)
    return [data]


def _refuse(
    start_response: StartResponse, status: str, reason: str, level: int = logging.WARNING, **fields: Any
) -> list[bytes]:
    log.log(level, "request refused", extra={"fields": {"status": int(status[:3]), "reason": reason, **fields}})
    return _answer(start_response, status, {"error": reason})


def _refuse_body(
    environ: dict[str, Any], start_response: StartResponse, status: str, reason: str, **fields: Any
) -> list[bytes]:
    """Refuse a request whose body will not be read (too large, too slow, unframed), and shut the connection's
    read side: gunicorn's gevent worker would otherwise read and discard whatever the client goes on sending,
    for as long as it sends, before closing. The answer still goes out; the server then finds the body's end."""
    answer = _refuse(start_response, status, reason, **fields)
    connection = environ.get("gunicorn.socket")
    if connection is not None:
        try:
            connection.shutdown(socket.SHUT_RD)
        except OSError:  # the client has gone already
            pass
    return answer


def _health(bot: Bot, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    healthy, report = bot.health()
    answer = _answer(start_response, "200 OK" if healthy else "503 Service Unavailable", report)
    return answer if environ["REQUEST_METHOD"] == "GET" else [b""]


def _read_body(environ: dict[str, Any], declared: int) -> bytes | None:
    """The body, read to its declared length; None if it did not arrive within BODY_SECONDS (the gevent
    worker's sockets yield while they wait, so the deadline interrupts a stalled read)."""
    deadline = Timeout(BODY_SECONDS)
    deadline.start()
    try:
        return environ["wsgi.input"].read(declared)
    except Timeout as expired:
        if expired is not deadline:
            raise
        return None
    finally:
        deadline.close()


def _signed(verifier: SignatureVerifier, environ: dict[str, Any], body: str) -> bool:
    timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or "")
    signature = str(environ.get("HTTP_X_SLACK_SIGNATURE") or "")
    # The verifier raises on what Slack never sends: a timestamp that is not a short number, a non-ASCII signature.
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= TIMESTAMP_DIGITS):
        return False
    return signature.isascii() and verifier.is_valid(body, timestamp, signature)


def _parses_as_bolt_does(text: str, content_type: str) -> bool:
    """Whether Bolt's own body parser (which runs before its listeners) reads `text` as a JSON object, as it
    does every request Slack sends; anything else would fail inside Bolt with HTTP 500."""
    try:
        return isinstance(parse_body(text, content_type.split(";")[0] or None), dict)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError; RecursionError: absurd nesting
        return False


def _slack_request(
    slack: WsgiApp, verifier: SignatureVerifier, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    declared = str(environ.get("CONTENT_LENGTH") or "").strip()  # the server has checked it is a number
    if not declared:  # chunked: gunicorn would parse every chunk, however tiny, before this could refuse it
        # Logged at debug: gunicorn still parses what it had buffered, and says so itself if that is malformed.
        return _refuse_body(environ, start_response, "411 Length Required", NO_LENGTH, level=logging.DEBUG)
    if int(declared) > MAX_BODY_BYTES:
        return _refuse_body(environ, start_response, "413 Content Too Large", TOO_LARGE, bytes=int(declared))
    body = _read_body(environ, int(declared))
    if body is None:
        return _refuse_body(environ, start_response, "408 Request Timeout", TOO_SLOW)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return _refuse(start_response, "400 Bad Request", "the body is not UTF-8")
    if not _signed(verifier, environ, text):
        if len(body) <= SSL_CHECK_BYTES and parse_qs(text).get("ssl_check") == ["1"]:
            return _answer(start_response, "200 OK", {})  # answered here: Bolt never sees an unsigned body
        return _refuse(start_response, "401 Unauthorized", UNSIGNED)
    if not _parses_as_bolt_does(text, str(environ.get("CONTENT_TYPE") or "")):
        return _refuse(start_response, "400 Bad Request", "the body is not shaped like a Slack request")
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
    return slack(environ, start_response)


def web_application(bot: Bot) -> WsgiApp:
    """The WSGI callable serving `bot` (built in HTTP mode, so Bolt verifies every request's signature)."""
    slack = SlackRequestHandler(bot.app, path=SLACK_PATH)
    verifier = SignatureVerifier(bot.services.settings.signing_secret or "")

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO"), environ.get("REQUEST_METHOD")
        if path == "/healthz" and method in {"GET", "HEAD"}:
            return _health(bot, environ, start_response)
        if path == SLACK_PATH and method == "POST":
            return _slack_request(slack, verifier, environ, start_response)
        answer = _answer(start_response, "404 Not Found", {"error": "not found"})
        return [b""] if method == "HEAD" else answer

    return application
