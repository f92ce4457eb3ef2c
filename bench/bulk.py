"""Raid benchmark: 200 viewers kicked through the bot versus the usual script, a shell loop of
`aws ivschat disconnect-user`, both against the same local IVS Chat (which enforces 100 TPS).

    python -m bench.bulk [--users 200] [--aws PATH-TO-aws]

Needs the AWS CLI (`pip install awscli` in a separate virtualenv is enough; pass its path with --aws).
Nothing leaves this machine: the bot, Slack and IVS Chat all run on loopback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from rig.world import ROOM, ivs_world, launch, slack_world


def through_the_bot(users: list[str], workdir: Path) -> tuple[float, int]:
    with slack_world() as slack, ivs_world() as ivs:
        bot = launch(slack, ivs, "http", workdir)
        try:
            _, trigger_id, response_url = bot.command(f"{ROOM} {','.join(users)} raid")
            view = bot.opened_view(trigger_id)
            started = time.monotonic()
            bot.submit(view, "raid")
            slack.wait_for(lambda: any("Case #" in text for text in bot.replies(response_url)), timeout=300)
            return time.monotonic() - started, len(ivs.disconnects())
        finally:
            bot.process.stop()


def shell_loop(users: list[str], aws: str) -> tuple[float, int]:
    with ivs_world() as ivs:
        env = {**os.environ, "AWS_ACCESS_KEY_ID": ivs.access_key, "AWS_SECRET_ACCESS_KEY": ivs.secret_key,
               "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull}  # fmt: skip
        script = (
            'for u in "$@"; do "$AWS" ivschat disconnect-user --region us-west-2 --endpoint-url "$URL" '
            '--room-identifier "$ROOM" --user-id "$u" --reason raid >/dev/null; done'
        )
        started = time.monotonic()
        subprocess.run(["bash", "-c", script, "loop", *users], check=True,
                       env={**env, "AWS": aws, "URL": ivs.url, "ROOM": ROOM})  # fmt: skip
        return time.monotonic() - started, len(ivs.disconnects())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--aws", default=shutil.which("aws"), help="the AWS CLI to compare with")
    args = parser.parse_args()
    if not args.aws:
        raise SystemExit("No AWS CLI found: pip install awscli (any virtualenv) and pass --aws PATH")
    users = [f"raider-{i:04d}" for i in range(args.users)]
    bot_seconds, bot_kicked = through_the_bot(users, Path(tempfile.mkdtemp(prefix="ivs-kick-bulk-")))
    loop_seconds, loop_kicked = shell_loop(users, args.aws)
    print(f"{args.users} viewers kicked in one room against the local IVS Chat (100 TPS enforced)\n")
    print("| how | viewers disconnected | seconds | per viewer (ms) |")
    print("|---|---|---|---|")
    per_viewer = bot_seconds / args.users * 1000
    print(f"| ivs-kick bulk (submit → final reply) | {bot_kicked} | {bot_seconds:.1f} | {per_viewer:.0f} |")
    print(f"| shell loop of `aws ivschat disconnect-user` | {loop_kicked} | {loop_seconds:.1f} | "
          f"{loop_seconds / args.users * 1000:.0f} |")  # fmt: skip
    print(f"\nivs-kick is {loop_seconds / bot_seconds:.1f}× faster.")


if __name__ == "__main__":
    main()
