"""The HTTP server faces hostile clients: oversized bodies, slow clients, malformed requests.

Each gets a 4xx and at most one log line, never a traceback, and none of them stops Slack's own requests.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import urllib.request
from urllib.parse import urlsplit

import pytest

from bot.web import BODY_SECONDS, MAX_BODY_BYTES
from rig.drive import HttpDriver, sign
from rig.fakes.ivschat import FakeIvsChat
from rig.fakes.slack import ACK_DEADLINE, FakeSlack
from rig.world import AUDIT_CHANNEL, ROOM, Bot, BotProcess, bot_env, free_port, wait_until_serving

_markers = itertools.count(1000)  # sizes no other test sends


def _port(bot) -> int:
    return urlsplit(bot.driver.url).port


def _status(bot, raw: bytes) -> int:
    """Send raw bytes as one request; the status code of the answer."""
    with socket.create_connection(("127.0.0.1", _port(bot)), timeout=10) as conn:
        try:
            conn.sendall(raw)
        except OSError:  # the server answered and closed before taking everything
            pass
        head = conn.recv(64)
    return int(head.split(b" ")[1])


def _declared(length: int, path: bytes = b"/slack/events") -> bytes:
    """A request that declares a body of `length` bytes and sends none of it."""
    return (
        b"POST " + path + b" HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(length).encode() + b"\r\n\r\n"
    )


@pytest.fixture(scope="module")
def http_bot(tmp_path_factory):
    """One bot for the whole module: each case here is refused before any listener runs."""
    with FakeSlack() as slack, FakeIvsChat() as ivs:
        slack.add_channel(AUDIT_CHANNEL)
        port = free_port()
        process = BotProcess(bot_env(slack, ivs, mode="http", port=port), tmp_path_factory.mktemp("hostile")).start()
        try:
            wait_until_serving(process, port)
            yield Bot(process, HttpDriver(f"http://127.0.0.1:{port}/slack/events"), slack, ivs)
        finally:
            process.stop()


def test_a_body_over_the_cap_is_refused_before_it_is_sent(http_bot):
    # Not a byte of the body is sent: the answer can only come from the declared length.
    assert _status(http_bot, _declared(20 * 1024 * 1024)) == 413
    assert _status(http_bot, _declared(MAX_BODY_BYTES + 1)) == 413


def test_a_body_at_the_cap_is_read_and_verified(http_bot):
    body = b"text=" + b"a" * (MAX_BODY_BYTES - 5)
    assert _status(http_bot, _declared(len(body)) + body) == 401  # read, then refused by signature


def _body_request(
    body: bytes, content_type: bytes = b"application/x-www-form-urlencoded", signed=False, timestamp: bytes = b""
) -> bytes:
    headers = b"".join(f"{k}: {v}\r\n".encode() for k, v in sign(body).items()) if signed else b""
    if timestamp:
        headers += b"X-Slack-Request-Timestamp: " + timestamp + b"\r\nX-Slack-Signature: v0=00\r\n"
    return (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: " + content_type + b"\r\n" + headers
        + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


MALFORMED = {
    "Content-Length and Transfer-Encoding (smuggling)": (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"0\r\n\r\nGET /healthz HTTP/1.1\r\nHost: bot\r\n\r\n"
    ),
    "two Content-Lengths": (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
    ),
    "a negative Content-Length": b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: -1\r\n\r\n",
    "Transfer-Encoding with a bad chunk size": (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n"
    ),
    "a chunked body over the cap": (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"%x\r\n" % (MAX_BODY_BYTES + 1)
        + b"a" * (MAX_BODY_BYTES + 1)
        + b"\r\n0\r\n\r\n"
    ),
    "Transfer-Encoding other than chunked": (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"
    ),
    "a request line that is not HTTP": b"NOT AN HTTP REQUEST\r\n\r\n",
    "a header without a colon": b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nBroken header\r\n\r\n",
    "a folded header line": b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-A: a\r\n b\r\nContent-Length: 0\r\n\r\n",
    "a NUL in a header": b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-A: a\x00b\r\nContent-Length: 0\r\n\r\n",
    "a header over 8190 bytes": b"GET /healthz HTTP/1.1\r\nHost: bot\r\nX-A: " + b"a" * 9000 + b"\r\n\r\n",
    "over 100 headers": b"GET /healthz HTTP/1.1\r\nHost: bot\r\n" + b"X-A: a\r\n" * 120 + b"\r\n",
    "a request line over 4094 bytes": b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: bot\r\n\r\n",
    "an unsigned payload that is not JSON": _body_request(b"payload=notjson"),
    "a signed payload that is not JSON": _body_request(b"payload=notjson", signed=True),
    "a payload that is a JSON list": _body_request(b"payload=%5B1%5D"),
    "a JSON body that is not an object": _body_request(b"[1, 2]", b"application/json"),
    "a JSON body that does not parse": _body_request(b'{"type": ', b"application/json"),
    "a body that is not UTF-8": _body_request(b"text=\xff\xfe\xfd"),
    # Bodies Bolt's parser reads otherwise than a first look would: signed, so only the shape check stands
    # between them and a 500 (an outsider's, unsigned, are refused before anything parses them).
    "a signed form whose last payload is not JSON": _body_request(b"payload={}&payload=x", signed=True),
    "a signed form whose payload is blank": _body_request(b"payload=", signed=True),
    "a signed form whose last payload is a list": _body_request(b"payload={}&payload=[1]", signed=True),
    "a chunked body, which Slack never sends": (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\n\r\n"
        + b"1\r\na\r\n" * 1000
        + b"0\r\n\r\n"
    ),
    "a timestamp of 5,000 digits": _body_request(b"payload={}", timestamp=b"9" * 5000),
    "a signature that is not ASCII": _body_request(b"payload={}", signed=True).replace(
        b"X-Slack-Signature: v0=", "X-Slack-Signature: v0=\u00e9".encode("latin-1")
    ),
    "a signed JSON body nested 200,000 deep": _body_request(
        b'{"a":' + b"[" * 200_000, b"application/json", signed=True
    ),
    "a signed payload nested 200,000 deep": _body_request(b"payload=" + b"%5B" * 200_000, signed=True),
    "a signed body under a JSON-like content type": _body_request(
        b' {"a":"&payload=x"}', b"application/json-x", signed=True
    ),
    "an unsigned JSON body nested 200,000 deep": _body_request(b'{"a":' + b"[" * 200_000, b"application/json"),
    "a timestamp that is not a number": _body_request(b"payload={}", timestamp=b"abc"),
    "a timestamp in another script's digits": _body_request(b"payload={}", timestamp="١٢٣".encode()),
}


def _mark(bot) -> int:
    """Log a line no other request logs (a refused body of a unique size) and wait for it: its index."""
    marker = f'"bytes": {MAX_BODY_BYTES + next(_markers)}'
    assert _status(bot, _declared(int(marker.split(": ")[1]))) == 413
    bot.slack.wait_for(lambda: marker in bot.process.logs(), 10)
    return next(i for i, line in enumerate(bot.process.logs().splitlines()) if marker in line)


@pytest.mark.parametrize("raw", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_request_gets_a_4xx_and_at_most_one_log_line(http_bot, raw):
    start = _mark(http_bot)
    assert 400 <= _status(http_bot, raw) < 500
    end = _mark(http_bot)  # one worker, and its lines in order: between the two markers, this request's lines
    ours = http_bot.process.logs().splitlines()[start + 1 : end]
    assert len(ours) <= 1, ours
    assert "Traceback" not in http_bot.process.logs() and "Logging error" not in http_bot.process.logs()
    assert not http_bot.ivs.calls and not http_bot.slack.posted_responses


def test_slow_clients_do_not_delay_slacks_requests_or_the_health_check(start_bot):
    """Sixty clients sending their headers a byte every half second hold connections, not the server."""
    http_bot = start_bot("http")
    stop, sent = threading.Event(), threading.Semaphore(0)

    def dribble() -> None:
        with socket.create_connection(("127.0.0.1", _port(http_bot)), timeout=10) as conn:
            for index, byte in enumerate(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: " + b"a" * 100):
                if stop.wait(0 if index == 0 else 0.5):
                    return
                conn.send(bytes([byte]))
                if index == 1:
                    sent.release()

    clients = [threading.Thread(target=dribble, daemon=True) for _ in range(60)]
    for client in clients:
        client.start()
    try:
        for _ in clients:  # every slow client is connected and has sent two bytes
            assert sent.acquire(timeout=30)
        with urllib.request.urlopen(f"http://127.0.0.1:{_port(http_bot)}/healthz", timeout=ACK_DEADLINE) as health:
            assert json.load(health)["store"] == "ok"
        # Slack's own request: the driver gives up after Slack's deadline, the fake's trigger expires with it.
        ack, trigger_id, _ = http_bot.command(f"{ROOM} viewer42")
        assert http_bot.opened_view(trigger_id)["type"] == "modal"
    finally:
        stop.set()
        for client in clients:
            client.join(10)


def test_a_body_that_dribbles_in_is_cut_off_and_its_connection_freed(http_bot):
    """A sender that declares a body and sends it a byte at a time is answered 408 at BODY_SECONDS, so such
    senders cannot keep the worker's connections for ever (gunicorn bounds only the wait for headers)."""
    stop = threading.Event()
    answers: list[bytes] = []

    def dribble() -> None:
        with socket.create_connection(("127.0.0.1", _port(http_bot)), timeout=60) as conn:
            conn.sendall(_declared(1000))
            conn.settimeout(0.5)
            while not stop.is_set():
                try:
                    answers.append(conn.recv(64))
                    return
                except TimeoutError:
                    conn.send(b"a")  # half a second a byte: the body would take over eight minutes

    clients = [threading.Thread(target=dribble, daemon=True) for _ in range(20)]
    for client in clients:
        client.start()
    try:
        http_bot.slack.wait_for(lambda: len(answers) == len(clients), timeout=60)
    finally:
        stop.set()
        for client in clients:
            client.join(10)
    assert all(answer.startswith(b"HTTP/1.1 408") for answer in answers), answers
    refused = [line for line in http_bot.process.logs().splitlines() if f"{BODY_SECONDS:g} s" in line]
    assert len(refused) == len(clients) and all('"status": 408' in line for line in refused)
    assert "Traceback" not in http_bot.process.logs()


def test_a_body_declared_over_the_cap_is_not_drained_however_fast_it_comes(http_bot):
    """The 413 is sent and the connection's read side shut: the worker does not read on while the client sends
    (gunicorn's gevent worker would otherwise read and discard all of it), so the sender is cut off early."""
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", _port(http_bot)), timeout=30) as conn:
        conn.sendall(_declared(10 * 1024**3))
        chunk = b"a" * 65536
        try:
            while sent < 256 * 1024**2:  # as fast as the socket takes it
                conn.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass  # the server stopped taking it
        try:
            answer = conn.recv(64)
        except OSError:
            pass  # reset: the answer may be lost with the rest
    assert sent < 256 * 1024**2, "the server kept reading the body it had refused"
    assert answer in (b"",) or answer.startswith(b"HTTP/1.1 413")
    http_bot.slack.wait_for(lambda: '"bytes": 10737418240' in http_bot.process.logs(), 20)
    assert "Traceback" not in http_bot.process.logs()
