"""Memory benchmark: the bot's RSS before and after thousands of /ivs-kick commands naming made-up regions.

    python -m bench.memory [--commands 5000] [--source DIR]

Each command names a room in its own made-up region (arn:aws:ivschat:xx-fake-N:…); as a control, as many
commands refused for another reason (a control character in the user ID), which cost the same case and audit
post each. Runs the real bot process (HTTP under gunicorn, and Socket Mode) against the local fakes and prints
the resident memory of its process tree, and how many IVS Chat requests named a made-up region. `--source`
runs the bot from another checkout (say an earlier commit, `git archive <commit> | tar -x -C DIR`) to compare.
Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.compare import process_tree, status_kb
from rig.fakes.ivschat import FakeIvsChat
from rig.fakes.slack import FakeSlack
from rig.world import ROOM, ivs_world, launch, slack_world

WARM_UP = 50
QUIET_SECONDS = 3.0
SETTLE_LIMIT_SECONDS = 300.0


KINDS = {
    "made-up regions": lambda n: f"arn:aws:ivschat:xx-fake-{n}:123456789012:room/abc viewer{n}",
    "control: bad user ID": lambda n: f"{ROOM} viewer\x07{n}",
}


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (gunicorn's master and workers), in MB."""
    return sum(status_kb(member, "VmRSS") for member in process_tree(pid)) / 1024


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
    with slack_world() as slack, ivs_world() as ivs:
        run_dir = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=workdir))
        elsewhere = {"PYTHONPATH": str(source)} if source is not None else {}
        bot = launch(slack, ivs, mode, run_dir, **elsewhere)
        assert bot.process.process is not None
        pid = bot.process.process.pid

        def send(n: int) -> None:
            bot.command(KINDS[kind](n))

        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(send, range(WARM_UP)))
                settle(slack, ivs)
                before = tree_rss_mb(pid)
                started = time.monotonic()
                list(pool.map(send, range(WARM_UP, WARM_UP + commands)))
                sent_in = time.monotonic() - started
            settle(slack, ivs)
            after = tree_rss_mb(pid)
            made_up = sum(1 for call in ivs.requests if call.region.startswith("xx-fake-"))
        finally:
            bot.process.stop()
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
