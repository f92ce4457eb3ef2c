"""Hostile HTTP clients against the Procfile's web: server, with gunicorn's gthread and gevent workers.

    python -m bench.hostile_http [--slow 60] [--bodies 4] [--body-mb 20] [--slow-bodies 200] [--floods 4]

For each worker class: `--slow` clients send their headers a byte a second while a signed slash command and
GET /healthz are timed (Slack gives up after 3 s), then `--bodies` clients each send a `--body-mb` MB body at
once, and the server's process tree's peak resident memory is compared before and after. Then `--slow-bodies`
clients declare a 1000-byte body and send a byte every 2 s while the same two are timed, and last `--floods`
clients post unsigned bodies of just under 1 MiB (`a&a&…`, costly to parse) back to back while five signed
commands are timed, and the same with two clients posting bodies of one-byte chunks and two declaring a
10 GiB body and sending it as fast as they can. gthread is the worker the bot used before; gevent is what
bot/gunicorn_conf.py sets now. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.compare import peak_rss_kb, process_tree
from rig.drive import HttpDriver, command_payload
from rig.fakes.slack import AckTimedOut, FakeSlack
from rig.world import MODERATOR, ROOM, ivs_world, launch, procfile_command, slack_world

WORKERS = {
    "gthread, 32 threads (before)": "--worker-class gthread --threads 32",
    "gevent (bot/gunicorn_conf.py)": "",
}
WAIT = 10.0  # how long this benchmark waits for an answer; Slack waits 3 s


def _tree_peak_mb(root: int) -> float:
    return sum(peak_rss_kb(pid) for pid in process_tree(root)) / 1024


def _timed(call) -> tuple[float | None, str]:
    started = time.monotonic()
    try:
        result = call()
    except (OSError, AckTimedOut) as error:  # no answer within WAIT
        return None, type(error).__name__
    return (time.monotonic() - started) * 1000, str(result)


def _slow_clients(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    connected = threading.Semaphore(0)

    def dribble() -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
            for index, byte in enumerate(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: " + b"a" * 60):
                if stop.wait(0 if index == 0 else 1.0):
                    return
                try:
                    conn.send(bytes([byte]))
                except OSError:
                    return
                if index == 1:
                    connected.release()

    return _started(dribble, count, connected)


def _started(target, count: int, connected: threading.Semaphore | None = None) -> list[threading.Thread]:
    """`count` threads running `target`; with `connected`, once each has released it (or 30 s passed)."""
    clients = [threading.Thread(target=target, daemon=True) for _ in range(count)]
    for client in clients:
        client.start()
    for _ in clients if connected else ():
        connected.acquire(timeout=30)
    return clients


def _send_body(port: int, megabytes: int) -> str:
    head = (
        b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(megabytes * 1024 * 1024).encode() + b"\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
        try:
            conn.sendall(head)
            chunk = b"a" * (1024 * 1024)
            for _ in range(megabytes):
                conn.sendall(chunk)
        except OSError:
            pass  # answered and dropped before the whole body arrived
        try:
            return conn.recv(64).split(b"\r\n")[0].decode()
        except OSError as error:
            return type(error).__name__


def _slow_bodies(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    """Clients that send whole headers declaring a 1000-byte body, then a byte of it every 2 s."""
    connected = threading.Semaphore(0)
    head = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 1000\r\n\r\n"

    def dribble() -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
                conn.sendall(head)
                connected.release()
                while not stop.wait(2.0):
                    conn.send(b"a")
        except OSError:
            connected.release()  # refused, or answered and dropped

    return _started(dribble, count, connected)


def _unsigned_floods(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    body = b"a&" * (512 * 1024 - 1)  # just under the 1 MiB cap: each is read, then refused

    def flood() -> None:
        while not stop.is_set():
            _raw_post(port, body)

    return _started(flood, count)


def _chunked_floods(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    """Clients posting unsigned bodies of one-byte chunks (about 1 MiB of them), back to back."""
    raw = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw += b"1\r\na\r\n" * (1024 * 1024 - 1) + b"0\r\n\r\n"

    def flood() -> None:
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
                    conn.sendall(raw)
                    conn.recv(64)
            except OSError:
                pass

    return _started(flood, count)


def _endless_bodies(port: int, count: int, stop: threading.Event) -> list[threading.Thread]:
    """Clients declaring a 10 GiB body and sending it as fast as the connection takes it."""
    chunk = b"a" * 65536

    def flood() -> None:
        while not stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
                    conn.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: 10737418240\r\n\r\n")
                    while not stop.is_set():
                        conn.sendall(chunk)
            except OSError:
                pass

    return _started(flood, count)


def _raw_post(port: int, body: bytes) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as conn:
            conn.sendall(head + body)
            conn.recv(64)
    except OSError:
        pass


def _signed_commands(port: int, slack: FakeSlack, count: int) -> tuple[float | None, int]:
    """Send `count` signed commands one after another: the slowest ack (None if one got none in WAIT) and how
    many of their modals opened (each trigger lives 3 s)."""
    driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events", deadline=WAIT)
    slowest: float | None = 0.0
    triggers = []
    for n in range(count):
        trigger_id = slack.new_trigger_id()
        triggers.append(trigger_id)
        form = command_payload(
            f"{ROOM} viewer{n}", user_id=MODERATOR, trigger_id=trigger_id, response_url=slack.new_response_url()
        )
        ack_ms, _ = _timed(lambda: driver.command(form))
        slowest = None if ack_ms is None or slowest is None else max(slowest, ack_ms)
    time.sleep(1)  # a modal still being opened has its trigger's 3 s to finish
    opened = sum(
        1 for c in slack.calls_to("views.open") if c.params.get("trigger_id") in triggers and c.response.get("ok")
    )
    return slowest, opened


def _ms(value: float | None, what: str) -> str:
    return f"{value:.0f}" if value is not None else f"no {what} in {WAIT:.0f} s"


def measure(worker: str, args: argparse.Namespace) -> dict[str, str]:
    with slack_world() as slack, ivs_world() as ivs, tempfile.TemporaryDirectory() as workdir:
        bot = launch(
            slack, ivs, "http", Path(workdir), procfile_command("web"), GUNICORN_CMD_ARGS=WORKERS[worker] or None
        ).process
        port = int(bot.env["PORT"])
        try:
            row: dict[str, str] = {}
            stop = threading.Event()
            clients = _slow_clients(port, args.slow, stop)
            health_ms, _ = _timed(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=WAIT))
            driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events", deadline=WAIT)
            trigger_id = slack.new_trigger_id()
            form = command_payload(
                f"{ROOM} viewer42", user_id=MODERATOR, trigger_id=trigger_id, response_url=slack.new_response_url()
            )
            ack_ms, _ = _timed(lambda: driver.command(form))
            try:
                slack.wait_for(
                    lambda: any(c.params.get("trigger_id") == trigger_id for c in slack.calls_to("views.open")), 5
                )
                opened = [c.response.get("ok") for c in slack.calls_to("views.open")][-1]
            except AssertionError:
                opened = False
            stop.set()
            for client in clients:
                client.join(WAIT)
            row["/healthz with slow clients, ms"] = f"{health_ms:.0f}" if health_ms else f"no answer in {WAIT:.0f} s"
            row["signed command ack with slow clients, ms"] = f"{ack_ms:.0f}" if ack_ms else f"no ack in {WAIT:.0f} s"
            row["its modal opened (trigger valid 3 s)"] = "yes" if opened else "no"
            before = _tree_peak_mb(bot.process.pid)
            with ThreadPoolExecutor(args.bodies) as pool:
                answers = list(pool.map(lambda _: _send_body(port, args.body_mb), range(args.bodies)))
            after = _tree_peak_mb(bot.process.pid)
            row[f"{args.bodies} × {args.body_mb} MB bodies: answers"] = ", ".join(sorted(set(answers)))
            row["peak RSS of the server before → after, MB"] = f"{before:.0f} → {after:.0f} (+{after - before:.0f})"
            stop = threading.Event()
            clients = _slow_bodies(port, args.slow_bodies, stop)
            health_ms, _ = _timed(lambda: urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=WAIT))
            ack_ms, opened = _signed_commands(port, slack, 1)
            stop.set()
            row[f"/healthz with {args.slow_bodies} slow bodies, ms"] = _ms(health_ms, "answer")
            row[f"signed command ack with {args.slow_bodies} slow bodies, ms; modal"] = (
                f"{_ms(ack_ms, 'ack')}; {'yes' if opened else 'no'}"
            )
            stop = threading.Event()
            floods = _unsigned_floods(port, args.floods, stop)
            time.sleep(1)  # the floods are under way
            ack_ms, opened = _signed_commands(port, slack, 5)
            stop.set()
            row[f"{args.floods} clients posting unsigned ~1 MiB bodies: slowest of 5 acks, ms; modals"] = (
                f"{_ms(ack_ms, 'ack')}; {opened}/5"
            )
            for name, start_floods in (
                ("posting unsigned bodies of one-byte chunks", _chunked_floods),
                ("sending an endless declared body", _endless_bodies),
            ):
                stop = threading.Event()
                floods += start_floods(port, 2, stop)
                time.sleep(1)  # the floods are under way
                ack_ms, opened = _signed_commands(port, slack, 5)
                stop.set()
                row[f"2 clients {name}: slowest of 5 acks, ms; modals"] = f"{_ms(ack_ms, 'ack')}; {opened}/5"
            for client in clients + floods:
                client.join(WAIT)
            return row
        finally:
            bot.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--slow", type=int, default=60, help="clients dribbling their headers (default 60)")
    parser.add_argument("--bodies", type=int, default=4, help="concurrent large bodies (default 4)")
    parser.add_argument("--body-mb", type=int, default=20, help="size of each large body in MB (default 20)")
    parser.add_argument("--slow-bodies", type=int, default=200, help="clients dribbling a body (default 200)")
    parser.add_argument("--floods", type=int, default=4, help="clients posting unsigned 1 MiB bodies (default 4)")
    args = parser.parse_args()
    rows = {worker: measure(worker, args) for worker in WORKERS}
    figures = list(next(iter(rows.values())))
    print("| figure | " + " | ".join(rows) + " |")
    print("|---|" + "---|" * len(rows))
    for figure in figures:
        print(f"| {figure} | " + " | ".join(row[figure] for row in rows.values()) + " |")


if __name__ == "__main__":
    main()
