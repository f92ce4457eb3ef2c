"""Memory benchmark: the bot's RSS before and after thousands of /ivs-kick commands naming made-up regions.

    python bench/memory.py [--commands 5000] [--source DIR]

Each command names a room in its own made-up region (arn:aws:ivschat:xx-fake-N:…); as a control, as many
commands refused for another reason (a control character in the user ID), which cost the same case and audit
post each. Runs the real bot process (HTTP under gunicorn, and Socket Mode) against the local fakes and prints
the resident memory of its process tree, and how many IVS Chat requests named a made-up region. `--source`
runs the bot from another checkout (say an earlier commit, `git archive <commit> | tar -x -C DIR`) to compare.
Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import (  # noqa: E402
    AUDIT_CHANNEL,
    INVOKED_IN,
    MODERATOR,
    ROOM,
    BotProcess,
    HttpDriver,
    SocketDriver,
    bot_env,
    command_payload,
    free_port,
    wait_until_serving,
)
from tests.fakes.ivschat import FakeIvsChat  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402

WARM_UP = 50
QUIET_SECONDS = 3.0
SETTLE_LIMIT_SECONDS = 300.0


KINDS = {
    "made-up regions": lambda n: f"arn:aws:ivschat:xx-fake-{n}:123456789012:room/abc viewer{n}",
    "control: bad user ID": lambda n: f"{ROOM} viewer\x07{n}",
}


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (gunicorn's master and workers), in MB."""
    total_kb, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except FileNotFoundError:
            continue  # exited meanwhile
        total_kb += next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:"))
    return total_kb / 1024


def settle(slack: FakeSlack, ivs: FakeIvsChat) -> None:
    """Wait until neither fake has heard from the bot for a few seconds: the work the commands caused is done."""
    deadline, last, quiet_since = time.monotonic() + SETTLE_LIMIT_SECONDS, (-1, -1), time.monotonic()
    while time.monotonic() < deadline:
        seen = (len(slack.calls), len(ivs.requests))
        if seen != last:
            last, quiet_since = seen, time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_SECONDS:
            return
        time.sleep(0.2)


def run(mode: str, kind: str, commands: int, source: Path | None, workdir: Path) -> dict:
    with FakeSlack() as slack, FakeIvsChat() as ivs:
        slack.add_channel(AUDIT_CHANNEL)
        slack.add_channel(INVOKED_IN)
        ivs.add_room(ROOM)
        port = free_port()
        env = bot_env(slack, ivs, mode=mode, port=port)
        if source is not None:
            env["PYTHONPATH"] = str(source)
        run_dir = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=workdir))
        process = BotProcess(env, run_dir).start()
        try:
            if mode == "http":
                wait_until_serving(process, port)
                driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events")
            else:
                slack.wait_for_socket_client(timeout=20)
                driver = SocketDriver(slack)

            def send(n: int) -> None:
                form = command_payload(
                    KINDS[kind](n),
                    user_id=MODERATOR,
                    trigger_id=slack.new_trigger_id(),
                    response_url=slack.new_response_url(),
                )
                driver.command(form)

            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(send, range(WARM_UP)))
                settle(slack, ivs)
                before = tree_rss_mb(process.process.pid)
                started = time.monotonic()
                list(pool.map(send, range(WARM_UP, WARM_UP + commands)))
                sent_in = time.monotonic() - started
            settle(slack, ivs)
            after = tree_rss_mb(process.process.pid)
            made_up = sum(1 for call in ivs.requests if call.region.startswith("xx-fake-"))
        finally:
            process.stop()
    return {"before": before, "after": after, "made_up_requests": made_up, "sent_in": sent_in}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=5000)
    parser.add_argument("--source", type=Path, help="run the bot from this checkout instead of this one")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ivs-kick-bench-"))
    print(f"{args.commands} refused commands of each kind, after {WARM_UP} of that kind to warm up\n")
    print("| mode | commands | RSS before (MB) | after (MB) | growth (MB) | requests in made-up regions | sent (s) |")
    print("|---|---|---|---|---|---|---|")
    for mode in ("http", "socket"):
        for kind in KINDS:
            r = run(mode, kind, args.commands, args.source, workdir)
            print(
                f"| {mode} | {kind} | {r['before']:.1f} | {r['after']:.1f} | {r['after'] - r['before']:+.1f} "
                f"| {r['made_up_requests']} | {r['sent_in']:.1f} |"
            )


if __name__ == "__main__":
    main()
