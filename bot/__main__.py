"""`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on $PORT under gunicorn."""

from __future__ import annotations

import logging
import os
import sys

from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from .app import create_app
from .startup import prepared_settings

# Socket Mode hands each envelope to a thread; a burst of commands must not queue behind slow kicks.
SOCKET_MODE_CONCURRENCY = 32
EXIT_SLACK_UNREACHABLE = 1

log = logging.getLogger("bot")


def main() -> int:
    settings = prepared_settings()
    if not settings.socket_mode:
        log.info("starting", extra={"fields": {"mode": "http", "port": settings.port}})
        gunicorn = [sys.executable, "-m", "gunicorn", "--config", "python:bot.gunicorn_conf", "bot.wsgi:application"]
        os.execv(sys.executable, gunicorn)
    try:
        app = create_app(settings)
        handler = SocketModeHandler(app, settings.app_token, concurrency=SOCKET_MODE_CONCURRENCY)
        log.info("starting", extra={"fields": {"mode": "socket"}})
        handler.start()
    except (BoltError, SlackClientError) as error:
        print(f"ivs-kick cannot start: Slack refused or could not be reached at {settings.api_url}: {error}", file=sys.stderr)
        return EXIT_SLACK_UNREACHABLE
    return 0


if __name__ == "__main__":
    sys.exit(main())
