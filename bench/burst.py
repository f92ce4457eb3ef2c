"""Burst benchmark: 40 moderators run /ivs-kick within a second; prints ack and command→views.open latency
percentiles, then the Slack and AWS calls one kick costs in steady state.

    python -m bench.burst [--burst 40] [--kicks 10]

Runs the real bot process (HTTP under gunicorn, and Socket Mode) against the local fakes, also with AWS
answering in 2.5 s and with Slack's user group look-up rate limited. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rig.drive import command_payload
from rig.fakes.ivschat import FakeIvsChat
from rig.fakes.slack import FakeSlack
from rig.world import GROUP, MODERATOR, ROOM, Bot, ivs_world, launch, slack_world

SCENARIOS: dict[str, dict[str, Any]] = {
    "steady": {},
    "AWS answers in 2.5 s": {"aws_delay": 2.5},
    "user group look-up rate limited": {"group_rate_limited": True},
}
# Moderators only through the user group, so every command's role check reads Slack's listing (or its cache).
BY_GROUP: dict[str, str | None] = {"IVS_KICK_MODERATORS": None, "IVS_KICK_MODERATOR_GROUP": GROUP}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


@contextmanager
def world(scenario: dict[str, Any], moderators: list[str]) -> Iterator[tuple[FakeSlack, FakeIvsChat]]:
    """The test world with MODERATOR (who kicks) and `moderators` (who burst) in the group, then the scenario's
    trouble."""
    with slack_world() as slack, ivs_world() as ivs:
        slack.set_group_members(GROUP, [MODERATOR, *moderators])
        if scenario.get("aws_delay"):
            ivs.set_delay(scenario["aws_delay"])
        if scenario.get("group_rate_limited"):
            slack.fail_next("usergroups.users.list", error="ratelimited", status=429, retry_after=5)
        yield slack, ivs


@dataclass
class Sent:
    trigger_id: str
    at: float  # time.monotonic() just before sending
    ack: float  # seconds until the ack (HTTP: the answer to the POST)
    ok: bool


def send_command(bot: Bot, user: str, n: int) -> Sent:
    """One /ivs-kick as Slack sends it: a trigger issued now (it dies in 3 s) and a fresh response URL; only the
    sending is timed."""
    trigger_id = bot.slack.new_trigger_id()
    form = command_payload(
        f"{ROOM} viewer-{n}", user_id=user, trigger_id=trigger_id, response_url=bot.slack.new_response_url()
    )
    sent = time.monotonic()
    try:
        bot.driver.command(form)
        ok = True
    except Exception:  # a refused or unanswered command is a figure, not a crash of the benchmark
        ok = False
    return Sent(trigger_id, sent, time.monotonic() - sent, ok)


def run_burst(mode: str, scenario: dict, burst: int, workdir: Path) -> dict:
    moderators = [f"U0MOD{i:03d}" for i in range(burst)]
    with world(scenario, moderators) as (slack, ivs):
        bot = launch(slack, ivs, mode, workdir, **BY_GROUP)
        try:
            with ThreadPoolExecutor(max_workers=burst) as pool:
                sent = list(pool.map(lambda n: send_command(bot, moderators[n], n), range(burst)))
            slack.wait_for(lambda: len(slack.calls_to("views.open")) >= burst, timeout=15)
            opened = {c.params.get("trigger_id"): c for c in slack.calls_to("views.open")}
            to_modal = [
                opened[s.trigger_id].at - s.at for s in sent if s.trigger_id in opened and opened[s.trigger_id].ok
            ]
            acks = [a.latency for a in slack.acks] if mode == "socket" else [s.ack for s in sent if s.ok]
        finally:
            bot.process.stop()
    return {"acks": acks, "to_modal": to_modal, "opened": len(to_modal), "burst": burst}


def kick_once(bot: Bot, viewer: str) -> tuple[float, float]:
    """One kick by MODERATOR, command to private reply; returns (submit→DisconnectUser, submit→audit post) in
    seconds."""
    _, trigger_id, response_url = bot.command(f"{ROOM} {viewer}")
    view = bot.opened_view(trigger_id)
    posts_before = len(bot.slack.calls_to("chat.postMessage"))
    submitted = time.monotonic()
    bot.submit(view, "spam")
    bot.wait_reply(response_url)
    return bot.ivs.calls[-1].at - submitted, bot.slack.calls_to("chat.postMessage")[posts_before].at - submitted


@dataclass
class Kicks:
    """Steady-state cost of one kick, after a warm-up kick in the room. Calls Slack answered 429 (the audit
    channel's pace of about one post a second, when kicks come back to back) are counted apart: the kick's own
    cost is the calls that went through."""

    count: int
    slack_web_api: float
    slack_replies: float
    slack_limited: float
    aws: float
    submit_to_aws: list[float]
    submit_to_audit: list[float]

    @property
    def slack(self) -> float:
        return self.slack_web_api + self.slack_replies


def steady_kicks(bot: Bot, count: int) -> Kicks:
    """Command, Kick, reply, `count` times; the calls the fakes saw in between are the per-kick cost."""
    slack, ivs = bot.slack, bot.ivs
    slack.wait_for_calls("usergroups.users.list", 1, timeout=10)  # the start-up warm-up is not a per-kick cost
    kick_once(bot, "warm-up")  # the first kick in a room also looks the room up
    web_before, replies_before, aws_before = len(slack.calls), len(slack.posted_responses), len(ivs.requests)
    timings = [kick_once(bot, f"viewer{n}") for n in range(count)]
    web = slack.calls[web_before:]
    limited = sum(1 for call in web if call.status == 429)
    return Kicks(
        count,
        (len(web) - limited) / count,
        (len(slack.posted_responses) - replies_before) / count,
        limited / count,
        (len(ivs.requests) - aws_before) / count,
        [t[0] for t in timings],
        [t[1] for t in timings],
    )


def run_kicks(mode: str, kicks: int, workdir: Path) -> Kicks:
    with world({}, []) as (slack, ivs):
        bot = launch(slack, ivs, mode, workdir, **BY_GROUP)
        try:
            return steady_kicks(bot, kicks)
        finally:
            bot.process.stop()


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
    print(
        "| mode | Slack calls (Web API + response_url) | answered 429 | AWS calls | submit→DisconnectUser p50 "
        "| submit→audit p50 |"
    )
    print("|---|---|---|---|---|---|")
    for mode in ("http", "socket"):
        k = run_kicks(mode, args.kicks, workdir)
        print(
            f"| {mode} | {k.slack:.1f} ({k.slack_web_api:.1f} + {k.slack_replies:.1f}) | {k.slack_limited:.1f} "
            f"| {k.aws:.1f} | {ms(statistics.median(k.submit_to_aws))} | {ms(statistics.median(k.submit_to_audit))} |"
        )


if __name__ == "__main__":
    main()
