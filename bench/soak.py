"""Fault-injection soak: hundreds of kicks while Slack and IVS Chat misbehave and the bot is SIGKILLed now and
then; afterwards every submission must be one case, every case one audit post, and no viewer kicked twice.

    python -m bench.soak [--kicks 500] [--seed N] [--mode http|socket]

The real bot process runs against the local fakes with random faults on (Slack: 429, 500/503, dropped
connections, answers held past the client's timeout; IVS Chat: throttling, 500, slow answers, dropped
connections and timeouts after the disconnect took effect). Every ~100 kicks the bot's process group is
killed and started again on the same SQLite store; every second kill is aimed at the moment Slack has
accepted an audit post the bot has not yet recorded (the README's one documented duplicate). At the end the
fakes are calmed, `python -m bot audit pending` is polled until nothing waits, and the invariants are checked
against `python -m bot audit export` and what the fakes saw. Exit status 1 when an invariant fails.
Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rig.soak import AWS_KINDS, SLACK_KINDS, Chaos, Plan, Soak, kill_points, render


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kicks", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--mode", choices=("http", "socket"), default="http")
    parser.add_argument("--concurrency", type=int, default=4, help="kicks in flight at a time (default 4)")
    parser.add_argument("--kill-every", type=int, default=100, help="kill the bot every N kicks; 0: never")
    parser.add_argument("--slack-kinds", default=",".join(SLACK_KINDS), help="Slack faults to inject")
    parser.add_argument("--aws-kinds", default=",".join(AWS_KINDS), help="IVS Chat faults to inject")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="ivs-kick-soak-"))
    chaos = Chaos(slack_kinds=tuple(args.slack_kinds.split(",")), aws_kinds=tuple(args.aws_kinds.split(",")))
    plan = Plan(
        args.kicks, args.seed, args.mode, args.concurrency, kill_points(args.kicks, args.kill_every), chaos=chaos
    )
    report = Soak(plan, workdir, progress=lambda line: print(line, file=sys.stderr, flush=True)).run()
    print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
