"""A moderator's removal across gunicorn workers: how soon every worker refuses their Kick, and what the
decisive check's read of the shared change log costs.

    python -m bench.removal [--rounds 20]

Each round re-adds the group moderator, opens a confirmation for them, sends Slack's removal event once (to
whichever of two workers the kernel picks) and submits at once; it times the event's acknowledgement to the
refusal reaching the moderator, and counts which worker refused. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from bench.burst import BY_GROUP
from bot.kick.moderators import GroupChange
from bot.store.sqlite import SqliteCaseStore
from rig.drive import event_payload
from rig.world import GROUP, GROUP_MODERATOR, ROOM, ivs_world, launch, slack_world

# slack_world() lists them in GROUP, and Slack's listing keeps naming them: only the events tell.
MEMBER = GROUP_MODERATOR


def _change(added: bool, n: int) -> dict:
    users = {"added_users": [MEMBER] if added else [], "removed_users": [] if added else [MEMBER]}
    event = {"type": "subteam_members_changed", "subteam_id": GROUP, "event_ts": f"{time.time():.6f}", **users}
    return event_payload(event) | {"event_id": f"Ev{n}{'add' if added else 'remove'}"}


def across_workers(rounds: int, workdir: Path) -> tuple[list[float], int, set[int]]:
    with slack_world() as slack, ivs_world() as ivs:
        bot = launch(slack, ivs, "http", workdir, WEB_CONCURRENCY="2", **BY_GROUP)
        try:
            slack.wait_for(lambda: len(slack.calls_to("usergroups.users.list")) == 2, timeout=20)
            latencies, refused = [], 0
            for n in range(rounds):
                bot.driver.event(_change(True, n))  # taken in after its ack: wait, as a person re-added would
                slack.wait_for(lambda: bot.process.logs().count("moderator group changed") == 2 * n + 1)
                _, trigger_id, response_url = bot.command(f"{ROOM} viewer42", user=MEMBER)
                view = bot.opened_view(trigger_id)
                started = time.monotonic()
                bot.driver.event(_change(False, n))
                bot.submit(view, "spam", user=MEMBER)
                reply = bot.wait_reply(response_url, timeout=30)
                latencies.append(time.monotonic() - started)
                refused += "not an IVS Chat moderator" in reply
            lines = [json.loads(line) for line in bot.process.logs().splitlines() if '"msg": "request"' in line]
            pids = {line["pid"] for line in lines if line["kind"] == "view_submission"}
            return latencies, refused, pids
        finally:
            bot.process.stop()


def store_reads(reads: int, workdir: Path) -> list[float]:
    store = SqliteCaseStore(workdir / "reads.db")
    for i in range(1000):
        store.record_group_change(GROUP, GroupChange(f"U{i:05d}", i % 2 == 0, 1700000000.0 + i))
    timings = []
    for i in range(reads):
        started = time.perf_counter()
        store.group_change(GROUP, f"U{i % 1000:05d}")
        timings.append(time.perf_counter() - started)
    store.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ivs-kick-removal-"))
    latencies, refused, pids = across_workers(args.rounds, workdir)
    print(f"{args.rounds} removals, each sent once to one of 2 workers, then Kick submitted at once\n")
    print("| Kicks refused | workers that took a Kick | removal → refusal p50 (ms) | max (ms) |")
    print("|---|---|---|---|")
    print(f"| {refused}/{args.rounds} | {len(pids)} | {statistics.median(latencies) * 1000:.0f} | "
          f"{max(latencies) * 1000:.0f} |")  # fmt: skip
    reads = sorted(store_reads(5000, workdir))
    print(f"\nSQLite change-log read at each decisive check (5000 reads, 1000 users on record): "
          f"p50 {reads[len(reads) // 2] * 1e6:.0f} µs, p99 {reads[int(len(reads) * 0.99)] * 1e6:.0f} µs")  # fmt: skip


if __name__ == "__main__":
    main()
