"""A moderator's removal across gunicorn workers: how soon every worker refuses their Kick, and what the
decisive check's read of the shared change log costs.

    python bench/removal.py [--rounds 20]

Each round re-adds the group moderator, opens a confirmation for them, sends Slack's removal event once (to
whichever of two workers the kernel picks) and submits at once; it times the event's acknowledgement to the
refusal reaching the moderator, and counts which worker refused. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.kick.moderators import GroupChange  # noqa: E402
from bot.store.sqlite import SqliteCaseStore  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    AUDIT_CHANNEL,
    GROUP,
    INVOKED_IN,
    ROOM,
    BotProcess,
    HttpDriver,
    bot_env,
    command_payload,
    event_payload,
    free_port,
    submission_payload,
    wait_until_serving,
)
from tests.fakes.ivschat import FakeIvsChat  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402

MEMBER = "U0GROUPMOD"


def _change(added: bool, n: int) -> dict:
    users = {"added_users": [MEMBER] if added else [], "removed_users": [] if added else [MEMBER]}
    event = {"type": "subteam_members_changed", "subteam_id": GROUP, "event_ts": f"{time.time():.6f}", **users}
    return event_payload(event) | {"event_id": f"Ev{n}{'add' if added else 'remove'}"}


def across_workers(rounds: int, workdir: Path) -> tuple[list[float], int, set[int]]:
    with FakeSlack() as slack, FakeIvsChat() as ivs:
        slack.add_channel(AUDIT_CHANNEL)
        slack.add_channel(INVOKED_IN)
        slack.set_group_members(GROUP, [MEMBER])  # Slack's listing keeps naming them: only the events tell
        ivs.add_room(ROOM)
        port = free_port()
        env = bot_env(slack, ivs, mode="http", port=port, WEB_CONCURRENCY="2", IVS_KICK_MODERATORS=None,
                      IVS_KICK_MODERATOR_GROUP=GROUP)  # fmt: skip
        bot = BotProcess(env, workdir).start()
        try:
            wait_until_serving(bot, port)
            driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events")
            slack.wait_for(lambda: len(slack.calls_to("usergroups.users.list")) == 2, timeout=20)
            latencies, refused = [], 0
            for n in range(rounds):
                driver.event(_change(True, n))  # taken in after its ack: wait, as a person re-added would
                slack.wait_for(lambda: bot.logs().count("moderator group changed") == 2 * n + 1)
                trigger_id, response_url = slack.new_trigger_id(), slack.new_response_url()
                form = command_payload(f"{ROOM} viewer42", user_id=MEMBER, trigger_id=trigger_id,
                                       response_url=response_url)  # fmt: skip
                driver.command(form)
                slack.wait_for(
                    lambda: any(c.params.get("trigger_id") == trigger_id for c in slack.calls_to("views.open"))
                )
                view = next(
                    c.response["view"] for c in slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id
                )
                started = time.monotonic()
                driver.event(_change(False, n))
                driver.interaction(submission_payload(view, user_id=MEMBER, reason="spam"))
                slack.wait_for(lambda: any(p.url == response_url for p in slack.posted_responses), timeout=30)
                latencies.append(time.monotonic() - started)
                reply = next(p.body.get("text", "") for p in slack.posted_responses if p.url == response_url)
                refused += "not an IVS Chat moderator" in reply
            lines = [json.loads(line) for line in bot.logs().splitlines() if '"msg": "request"' in line]
            pids = {line["pid"] for line in lines if line["kind"] == "view_submission"}
            return latencies, refused, pids
        finally:
            bot.stop()


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
