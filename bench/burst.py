"""Burst benchmark: 40 moderators run /ivs-kick within a second; prints ack and command→views.open latency
percentiles, then the Slack and AWS calls one kick costs in steady state.

    python bench/burst.py [--burst 40] [--kicks 10]

Runs the real bot process (HTTP under gunicorn, and Socket Mode) against the local fakes, also with AWS
answering in 2.5 s and with Slack's user group look-up rate limited. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import (  # noqa: E402
    AUDIT_CHANNEL,
    GROUP,
    INVOKED_IN,
    MODERATOR,
    ROOM,
    BotProcess,
    HttpDriver,
    SocketDriver,
    bot_env,
    command_payload,
    free_port,
    submission_payload,
    wait_until_serving,
)
from tests.fakes.ivschat import FakeIvsChat  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402

SCENARIOS = {
    "steady": {},
    "AWS answers in 2.5 s": {"aws_delay": 2.5},
    "user group look-up rate limited": {"group_rate_limited": True},
}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def start(mode: str, slack: FakeSlack, ivs: FakeIvsChat, workdir: Path):
    port = free_port()
    env = bot_env(slack, ivs, mode=mode, port=port, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)
    process = BotProcess(env, workdir).start()
    if mode == "http":
        wait_until_serving(process, port)
        driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events")
    else:
        slack.wait_for_socket_client(timeout=20)
        driver = SocketDriver(slack)
    return process, driver


def timed_command(driver, slack: FakeSlack, user: str) -> tuple[str, float, float]:
    trigger_id = slack.new_trigger_id()
    form = command_payload(
        f"{ROOM} viewer-{user}", user_id=user, trigger_id=trigger_id, response_url=slack.new_response_url()
    )
    sent = time.monotonic()
    driver.command(form)
    return trigger_id, sent, time.monotonic() - sent


def run_burst(mode: str, scenario: dict, burst: int, workdir: Path) -> dict:
    moderators = [f"U0MOD{i:03d}" for i in range(burst)]
    with FakeSlack() as slack, FakeIvsChat() as ivs:
        slack.add_channel(AUDIT_CHANNEL)
        slack.add_channel(INVOKED_IN)
        slack.set_group_members(GROUP, moderators)
        ivs.add_room(ROOM)
        if scenario.get("aws_delay"):
            ivs.set_delay(scenario["aws_delay"])
        if scenario.get("group_rate_limited"):
            slack.fail_next("usergroups.users.list", error="ratelimited", status=429, retry_after=5)
        process, driver = start(mode, slack, ivs, workdir)
        try:
            with ThreadPoolExecutor(max_workers=burst) as pool:
                results = list(pool.map(lambda u: timed_command(driver, slack, u), moderators))
            slack.wait_for(lambda: len(slack.calls_to("views.open")) >= burst, timeout=15)
            opened = {c.params.get("trigger_id"): c for c in slack.calls_to("views.open")}
            to_modal = [opened[t].at - sent for t, sent, _ in results if t in opened and opened[t].ok]
            acks = [a.latency for a in slack.acks] if mode == "socket" else [lat for _, _, lat in results]
        finally:
            process.stop()
    return {"acks": acks, "to_modal": to_modal, "opened": len(to_modal), "burst": burst}


def kick_once(driver, slack: FakeSlack, ivs: FakeIvsChat, user: str) -> tuple[float, float]:
    """One kick, command to private reply; returns (submit→DisconnectUser, submit→audit post) in seconds."""
    trigger_id, response_url = slack.new_trigger_id(), slack.new_response_url()
    driver.command(
        command_payload(f"{ROOM} {user}", user_id=MODERATOR, trigger_id=trigger_id, response_url=response_url)
    )
    slack.wait_for(lambda: any(c.params.get("trigger_id") == trigger_id for c in slack.calls_to("views.open")))
    view = next(c for c in slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id).response["view"]
    posts_before = len(slack.calls_to("chat.postMessage"))
    submitted = time.monotonic()
    driver.interaction(submission_payload(view, user_id=MODERATOR, reason="spam"))
    slack.wait_for(lambda: any(p.url == response_url for p in slack.posted_responses), timeout=15)
    return ivs.calls[-1].at - submitted, slack.calls_to("chat.postMessage")[posts_before].at - submitted


def run_kicks(mode: str, kicks: int, workdir: Path) -> dict:
    with FakeSlack() as slack, FakeIvsChat() as ivs:
        slack.add_channel(AUDIT_CHANNEL)
        slack.add_channel(INVOKED_IN)
        slack.set_group_members(GROUP, [MODERATOR])
        ivs.add_room(ROOM)
        process, driver = start(mode, slack, ivs, workdir)
        try:
            slack.wait_for_calls("usergroups.users.list", 1)  # the start-up warm-up is not a per-kick cost
            kick_once(driver, slack, ivs, "warm-up")  # the first kick in a room also looks the room up
            slack_before, replies_before, aws_before = len(slack.calls), len(slack.posted_responses), len(ivs.requests)
            timings = [kick_once(driver, slack, ivs, f"viewer{n}") for n in range(kicks)]
            web_api = len(slack.calls) - slack_before
            replies = len(slack.posted_responses) - replies_before
            aws = len(ivs.requests) - aws_before
        finally:
            process.stop()
    return {
        "slack_per_kick": (web_api + replies) / kicks,
        "web_api_per_kick": web_api / kicks,
        "aws_per_kick": aws / kicks,
        "submit_to_aws": [t[0] for t in timings],
        "submit_to_audit": [t[1] for t in timings],
    }


def ms(value: float) -> str:
    return f"{value * 1000:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=40)
    parser.add_argument("--kicks", type=int, default=10)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ivs-kick-bench-"))
    print(f"Burst of {args.burst} commands from {args.burst} moderators (times in ms)\n")
    print("| mode | scenario | modals opened | ack p50 | ack p95 | ack p99 | →views.open p50 | p95 | p99 |")
    print("|---|---|---|---|---|---|---|---|---|")
    for mode in ("http", "socket"):
        for name, scenario in SCENARIOS.items():
            r = run_burst(mode, scenario, args.burst, workdir)
            acks = " | ".join(ms(percentile(r["acks"], q)) for q in (50, 95, 99))
            to_modal = " | ".join(ms(percentile(r["to_modal"] or [float("nan")], q)) for q in (50, 95, 99))
            print(f"| {mode} | {name} | {r['opened']}/{r['burst']} | {acks} | {to_modal} |")
    print(f"\nPer kick, steady state (after one kick in the room), {args.kicks} kicks (times in ms)\n")
    print("| mode | Slack calls (Web API + response_url) | AWS calls | submit→DisconnectUser p50 | submit→audit p50 |")
    print("|---|---|---|---|---|")
    for mode in ("http", "socket"):
        k = run_kicks(mode, args.kicks, workdir)
        print(
            f"| {mode} | {k['slack_per_kick']:.1f} ({k['web_api_per_kick']:.1f} + 1) | {k['aws_per_kick']:.1f} "
            f"| {ms(statistics.median(k['submit_to_aws']))} | {ms(statistics.median(k['submit_to_audit']))} |"
        )


if __name__ == "__main__":
    main()
