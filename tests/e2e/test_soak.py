"""A short soak: 40 kicks while Slack and IVS Chat misbehave, with the bot SIGKILLed once in the middle.

Every submission must be exactly one case, every case exactly one audit post, nothing left pending, and no
viewer kicked twice. The kill lands right after a kick's outcome is recorded, while the audit channel
refuses posts, so the README's one documented duplicate (Slack accepted a post, the bot died before noting
it) cannot happen and no duplicate is tolerated. Faults that cost a full client timeout (10 s) are left to
`python -m bench.soak`, which also kills the bot mid-kick.
"""

from __future__ import annotations

from pathlib import Path

from rig.soak import Chaos, Plan, Soak, render

KICKS = 40
CHAOS = Chaos(
    slack_rate=0.2,
    slack_kinds=("ratelimited", "server_error", "drop"),
    aws_rate=0.2,
    aws_kinds=("throttling", "server_error", "slow", "drop"),
    slow=(0.2, 0.8),
    response_urls=True,
)


def test_kicks_survive_faults_and_a_kill_with_one_case_one_post_and_no_double_kick(tmp_path: Path) -> None:
    plan = Plan(
        KICKS, seed=20261126, mode="http", concurrency=4, kill_after=(KICKS // 2,), quiet_kills=True,
        chaos=CHAOS, drain_seconds=30, budget_seconds=60,
    )  # fmt: skip
    report = Soak(plan, tmp_path).run()
    summary = render(report)

    assert report.ok, summary
    assert not report.window_duplicates, summary
    [crash] = report.crashes
    assert crash.pivot_case is not None, summary
    acked = [s for s in report.submissions if s.acked]
    assert len(acked) == KICKS + 1 == len(report.cases), summary  # the kill-point kick is one more
    assert all(len(report.posts.get(c["number"], [])) == 1 for c in report.cases), summary
    assert sum(report.slack_tally.values()) > 0 and sum(report.aws_tally.values()) > 0, summary
