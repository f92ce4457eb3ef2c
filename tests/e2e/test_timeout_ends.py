"""A timeout's end is posted exactly once: by whichever instance sweeps first when several share one DynamoDB
table, and by a restarted bot when the one that set it was killed before it ran out."""

from __future__ import annotations

import re
import time
from collections import Counter

from rig.world import ROOM, Bot

from .test_bans import ban_on
from .test_dynamodb_store import dynamodb_env  # noqa: F401  (the fixture: a fresh table on moto's server)

SHORT = {"IVS_KICK_SHORTEST_TIMEOUT": "1s"}
ENDED = re.compile(r"Case #(\d+) · Timeout ended: `([^`]+)`")
# After the last end post, long enough for every instance's outbox to sweep twice more (it sweeps every 5 s):
# a second post of any end would come within it.
SETTLE_SECONDS = 12


def _ends(bot: Bot) -> Counter[tuple[int, str]]:
    """(case, viewer) of every "Timeout ended" post Slack took, counted."""
    return Counter(m.group(1, 2) for post in bot.audit_posts() if (m := ENDED.search(post["text"])))


def test_two_instances_post_each_timeouts_end_once(start_bot, dynamodb_env):  # noqa: F811
    env = {**dynamodb_env, **SHORT}
    http, socket = start_bot("http", **env), start_bot("socket", **env)
    for n, bot in enumerate([http, socket, http, socket]):
        bot.kick(f"timeout {ROOM} viewer-{n} 3s spam")

    http.slack.wait_for(lambda: len(_ends(http)) == 4, timeout=60)
    time.sleep(SETTLE_SECONDS)
    ends = _ends(http)
    assert sorted(viewer for _, viewer in ends) == [f"viewer-{n}" for n in range(4)]
    assert set(ends.values()) == {1}, ends


def test_a_timeout_that_runs_out_while_the_bot_is_down_is_posted_once_after_the_restart(start_bot, mode):
    bot = start_bot(mode, **SHORT)
    bot.kick(f"timeout {ROOM} viewer-1 2s spam")
    bot.process.kill()
    bot.slack.wait_for(lambda: ban_on(bot, ROOM, "viewer-1") is None, timeout=30)  # it runs out while nothing runs

    restarted = start_bot(mode, workdir=bot.process.workdir, **SHORT)
    restarted.slack.wait_for(lambda: len(_ends(restarted)) == 1, timeout=60)
    time.sleep(SETTLE_SECONDS)
    assert _ends(restarted) == Counter({("2", "viewer-1"): 1})
