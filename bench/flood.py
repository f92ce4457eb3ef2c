"""Flood benchmark: one member fires refused /ivs-kick commands as fast as they can while a moderator kicks.

    python bench/flood.py [--burst 100] [--mode http|socket]

Runs the real bot against the local fakes, with the fake Slack enforcing chat.postMessage's per-channel pace
(about one post a second, short bursts). Prints the flood's ack latency, how many cases were recorded and
how many posts reached the audit channel (individual and summary), and how long a moderator's kick, sent a
third of the way into the flood, took from Kick to its audit post, against the same kick with no flood.
Takes a little over a minute: the summary is posted when its minute ends. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.burst import percentile, start  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    AUDIT_CHANNEL,
    GROUP,
    INVOKED_IN,
    ROOM,
    BotProcess,
    command_payload,
    submission_payload,
)
from tests.fakes.ivschat import FakeIvsChat  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402

FLOODER, MODERATOR = "U0FLOOD", "U0MOD000"


def posts(slack: FakeSlack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.ok]


def case_of(call) -> dict:
    return (call.params.get("metadata") or {}).get("event_payload") or {}


def kick(driver, slack: FakeSlack, viewer: str) -> tuple[int, float]:
    """A moderator's kick: its case number and the seconds from Kick to its audit post."""
    trigger_id, url = slack.new_trigger_id(), slack.new_response_url()
    driver.command(command_payload(f"{ROOM} {viewer}", user_id=MODERATOR, trigger_id=trigger_id, response_url=url))
    slack.wait_for(lambda: any(c.params.get("trigger_id") == trigger_id for c in slack.calls_to("views.open")))
    view = next(c for c in slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id).response["view"]
    submitted = time.monotonic()
    driver.interaction(submission_payload(view, user_id=MODERATOR, reason="spam"))
    slack.wait_for(lambda: any(p.url == url for p in slack.posted_responses), timeout=30)
    number = int(next(p.body["text"] for p in slack.posted_responses if p.url == url).split("#")[1].split(":")[0])
    slack.wait_for(lambda: any(case_of(c).get("case") == number for c in posts(slack)), timeout=30)
    posted = next(c for c in posts(slack) if case_of(c).get("case") == number)
    return number, posted.at - submitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--mode", choices=("http", "socket"), default="http")
    args = parser.parse_args()
    with FakeSlack() as slack, FakeIvsChat() as ivs, tempfile.TemporaryDirectory() as tmp:
        slack.add_channel(AUDIT_CHANNEL)
        slack.add_channel(INVOKED_IN)
        slack.set_group_members(GROUP, [MODERATOR])
        ivs.add_room(ROOM)
        process, driver = start(args.mode, slack, ivs, Path(tmp))
        try:
            kick(driver, slack, "first_viewer")  # the first kick also sets up the IVS Chat client: not timed
            _, quiet = kick(driver, slack, "calm_viewer")
            time.sleep(3)  # the channel's burst allowance refills, as it would between two moderators' kicks
            acks, kicked = [], None
            started = time.monotonic()
            for i in range(args.burst):
                if i == args.burst // 3:
                    kicked = kick(driver, slack, "troll_42")
                form = command_payload(
                    f"{ROOM} viewer{i}", user_id=FLOODER, trigger_id=slack.new_trigger_id(),
                    response_url=slack.new_response_url(),
                )  # fmt: skip
                sent = time.monotonic()
                driver.command(form)
                acks.append((time.monotonic() - sent) * 1000)
            sent_for = time.monotonic() - started
            slack.wait_for(lambda: any("summary_of" in case_of(c) for c in posts(slack)), timeout=120)
            assert kicked is not None
            number, during = kicked
            order = [case_of(c).get("case") for c in posts(slack)]
            code, out, _ = BotProcess(process.env, process.workdir).run_to_exit("audit", "export")
            flood = [case for case in map(json.loads, out.splitlines()) if case["moderator_id"] == FLOODER]
            flood_numbers = {case["number"] for case in flood}
            flood_posts = [c for c in posts(slack) if case_of(c).get("case") in flood_numbers]
            summaries = [c for c in flood_posts if "summary_of" in case_of(c)]
            before_kick = sum(1 for n in order[: order.index(number)] if n in flood_numbers)
            limited = sum(1 for c in slack.calls_to("chat.postMessage") if c.status == 429)
        finally:
            process.stop()
    print(f"mode {args.mode}: {args.burst} refused commands from one member in {sent_for:.1f} s")
    print(f"  flood ack p50 {percentile(acks, 50):.0f} ms, p99 {percentile(acks, 99):.0f} ms")
    print(f"  cases recorded: {len(flood)} of {args.burst}")
    print(
        f"  audit posts for them: {len(flood_posts) - len(summaries)} individual + {len(summaries)} summary "
        f"(covering {sum(case_of(c)['summary_of'] for c in summaries)})"
    )
    print(f"  chat.postMessage answered 429 by Slack's per-channel pace: {limited}")
    print(f"  moderator's kick, Kick → audit post: {quiet * 1000:.0f} ms alone, {during * 1000:.0f} ms mid-flood")
    print(f"  flood posts ahead of the kick's post: {before_kick}")


if __name__ == "__main__":
    main()
