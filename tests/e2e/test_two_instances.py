"""Two bot processes, one over HTTP and one over Socket Mode, sharing one DynamoDB table (moto's server): the
guarantees one instance gives hold across both."""

from __future__ import annotations

import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from rig.world import ROOM, Bot, BotProcess

from .test_dynamodb_store import dynamodb_env  # noqa: F401  (the fixture: a fresh table on moto's server)

KICKS_EACH = 4


def _case_of(reply: str) -> int:
    found = re.search(r"Case #(\d+)", reply)
    assert found, f"no case number in the reply: {reply!r}"
    return int(found.group(1))


def _posted_cases(bot: Bot) -> Counter[int]:
    """How many times each case's audit post reached the channel (Slack took it), by the case in its metadata."""
    return Counter(post["metadata"]["event_payload"]["case"] for post in bot.audit_posts())


def _pending(bot: Bot) -> str:
    code, out, err = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "pending")
    assert code == 0, err
    return out


def _two_instances(start_bot, env) -> tuple[Bot, Bot]:
    return start_bot("http", **env), start_bot("socket", **env)


def _kick_from_both_at_once(instances: tuple[Bot, Bot]) -> list[int]:
    """KICKS_EACH kicks through each instance, all at the same time; the case numbers their replies give."""
    jobs = [(bot, f"{ROOM} viewer-{n}-{bot.mode} spam") for n in range(KICKS_EACH) for bot in instances]
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        kicks = list(pool.map(lambda job: job[0].kick(job[1]), jobs))
    return [_case_of(kick.reply) for kick in kicks]


def test_kicks_through_both_instances_at_once_get_distinct_case_numbers(start_bot, dynamodb_env):  # noqa: F811
    http, socket = _two_instances(start_bot, dynamodb_env)

    numbers = _kick_from_both_at_once((http, socket))

    assert sorted(numbers) == list(range(1, 2 * KICKS_EACH + 1))
    http.slack.wait_for(lambda: len(_posted_cases(http)) == 2 * KICKS_EACH, timeout=30)
    assert _posted_cases(http) == Counter(range(1, 2 * KICKS_EACH + 1))


def test_posts_both_outboxes_find_due_are_delivered_once_each(start_bot, dynamodb_env):  # noqa: F811
    http, socket = _two_instances(start_bot, dynamodb_env)
    http.slack.fail_next("chat.postMessage", error="internal_error", status=500, times=2 * KICKS_EACH)

    _kick_from_both_at_once((http, socket))
    http.slack.wait_for(lambda: http.process.logs().count('"msg": "audit post queued"') >= 1, timeout=15)
    http.slack.wait_for(lambda: "No audit posts are waiting" in _pending(http), timeout=90)

    assert _posted_cases(http) == Counter(range(1, 2 * KICKS_EACH + 1))  # each once, whoever swept it
    queued = http.process.logs().count('"msg": "audit post queued"') + socket.process.logs().count(
        '"msg": "audit post queued"'
    )
    assert queued >= 2 * KICKS_EACH  # every first try failed and was left to the outboxes


def test_killing_one_instance_mid_post_leaves_nothing_pending_for_the_other(start_bot, dynamodb_env):  # noqa: F811
    doomed, survivor = _two_instances(start_bot, dynamodb_env)
    doomed.slack.set_delay("chat.postMessage", 60)  # Slack takes the post and holds its answer
    _, trigger_id, _ = doomed.command(f"{ROOM} viewer42 spam")
    doomed.submit(doomed.opened_view(trigger_id), "spam")
    doomed.slack.wait_for_calls("chat.postMessage", 1, timeout=15)

    doomed.process.kill()
    doomed.slack.set_delay("chat.postMessage", 0)

    survivor.slack.wait_for(lambda: "No audit posts are waiting" in _pending(survivor), timeout=30)
    assert '"msg": "audit post found"' in survivor.process.logs()  # found in the channel, not posted again
    assert _posted_cases(survivor) == Counter({1: 1})
    assert len(survivor.ivs.disconnects()) == 1
