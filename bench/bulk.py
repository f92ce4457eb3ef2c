"""Raid benchmark: 200 viewers kicked through the bot versus the usual script, a shell loop of
`aws ivschat disconnect-user`, both against the same local IVS Chat (which enforces 100 TPS).

    python bench/bulk.py [--users 200] [--aws PATH-TO-aws]

Needs the AWS CLI (`pip install awscli` in a separate virtualenv is enough; pass its path with --aws).
Nothing leaves this machine: the bot, Slack and IVS Chat all run on loopback.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.e2e.harness import (  # noqa: E402
    AUDIT_CHANNEL,
    INVOKED_IN,
    MODERATOR,
    ROOM,
    BotProcess,
    HttpDriver,
    bot_env,
    command_payload,
    free_port,
    submission_payload,
    wait_until_serving,
)
from tests.fakes.ivschat import FakeIvsChat  # noqa: E402
from tests.fakes.slack import FakeSlack  # noqa: E402


def through_the_bot(users: list[str], workdir: Path) -> tuple[float, int]:
    with FakeSlack() as slack, FakeIvsChat() as ivs:
        slack.add_channel(AUDIT_CHANNEL)
        slack.add_channel(INVOKED_IN)
        ivs.add_room(ROOM)
        port = free_port()
        bot = BotProcess(bot_env(slack, ivs, mode="http", port=port), workdir).start()
        try:
            wait_until_serving(bot, port)
            driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events")
            trigger_id, response_url = slack.new_trigger_id(), slack.new_response_url()
            driver.command(command_payload(f"{ROOM} {','.join(users)} raid", user_id=MODERATOR, trigger_id=trigger_id,
                                           response_url=response_url))  # fmt: skip
            slack.wait_for(lambda: any(c.params.get("trigger_id") == trigger_id for c in slack.calls_to("views.open")))
            view = next(c.response["view"] for c in slack.calls_to("views.open"))
            started = time.monotonic()
            driver.interaction(submission_payload(view, user_id=MODERATOR, reason="raid"))
            slack.wait_for(lambda: any("Case #" in p.body.get("text", "") for p in slack.posted_responses), timeout=300)
            return time.monotonic() - started, len(ivs.disconnects())
        finally:
            bot.stop()


def shell_loop(users: list[str], aws: str) -> tuple[float, int]:
    with FakeIvsChat() as ivs:
        ivs.add_room(ROOM)
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
