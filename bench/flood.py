"""Flood benchmark: one member fires refused /ivs-kick commands as fast as they can while a moderator kicks.

    python -m bench.flood [--burst 100] [--mode http|socket]

Runs the real bot against the local fakes, with the fake Slack enforcing chat.postMessage's per-channel pace
(about one post a second, short bursts). Prints the flood's ack latency, how many cases were recorded and
how many posts reached the audit channel (individual and summary), and how long a moderator's kick, sent a
third of the way into the flood, took from Kick to its audit post, against the same kick with no flood.
Takes a little over a minute: the summary is posted when its minute ends. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from bench.burst import BY_GROUP, percentile, send_command, world
from rig.fakes.slack import FakeSlack
from rig.world import ROOM, Bot, launch

FLOODER = "U0FLOOD"


def posts(slack: FakeSlack) -> list:
    return [c for c in slack.calls_to("chat.postMessage") if c.ok]


def case_of(call) -> dict:
    return (call.params.get("metadata") or {}).get("event_payload") or {}


def kick(bot: Bot, viewer: str) -> tuple[int, float]:
    """A moderator's kick: its case number and the seconds from Kick to its audit post."""
    _, trigger_id, response_url = bot.command(f"{ROOM} {viewer}")
    view = bot.opened_view(trigger_id)
    submitted = time.monotonic()
    bot.submit(view, "spam")
    number = int(bot.wait_reply(response_url, timeout=30).split("#")[1].split(":")[0])
    bot.slack.wait_for(lambda: any(case_of(c).get("case") == number for c in posts(bot.slack)), timeout=30)
    posted = next(c for c in posts(bot.slack) if case_of(c).get("case") == number)
    return number, posted.at - submitted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--burst", type=int, default=100)
    parser.add_argument("--mode", choices=("http", "socket"), default="http")
    args = parser.parse_args()
    with world({}, []) as (slack, ivs), tempfile.TemporaryDirectory() as tmp:
        bot = launch(slack, ivs, args.mode, Path(tmp), **BY_GROUP)
        try:
            kick(bot, "first_viewer")  # the first kick also sets up the IVS Chat client: not timed
            _, quiet = kick(bot, "calm_viewer")
            time.sleep(3)  # the channel's burst allowance refills, as it would between two moderators' kicks
            acks, kicked = [], None
            started = time.monotonic()
            for i in range(args.burst):
                if i == args.burst // 3:
                    kicked = kick(bot, "troll_42")
                acks.append(send_command(bot, FLOODER, i).ack * 1000)
            sent_for = time.monotonic() - started
            slack.wait_for(lambda: any("summary_of" in case_of(c) for c in posts(slack)), timeout=120)
            assert kicked is not None
            number, during = kicked
            order = [case_of(c).get("case") for c in posts(slack)]
            _, out, _ = bot.process.run_to_exit("audit", "export")
            flood = [case for case in map(json.loads, out.splitlines()) if case["moderator_id"] == FLOODER]
            flood_numbers = {case["number"] for case in flood}
            flood_posts = [c for c in posts(slack) if case_of(c).get("case") in flood_numbers]
            summaries = [c for c in flood_posts if "summary_of" in case_of(c)]
            before_kick = sum(1 for n in order[: order.index(number)] if n in flood_numbers)
            limited = sum(1 for c in slack.calls_to("chat.postMessage") if c.status == 429)
        finally:
            bot.process.stop()
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
