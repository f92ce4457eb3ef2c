"""The floor for `python -m bench.compare`: a bare Bolt app that acks `/ivs-kick` and opens a trivial modal.

Served by the same stack as the bot (gunicorn with bot/gunicorn_conf.py over HTTP, Bolt's SocketModeHandler in
Socket Mode) with the same listener pool, so whatever it measures is the best any Bolt app could do here; the
bot's figures are read against it.

    gunicorn --config python:bot.gunicorn_conf bench.floor_app:application     # HTTP, like the Procfile's web:
    python -m bench.floor_app                                                  # Socket Mode

Configured from the bot's own variables: SLACK_BOT_TOKEN, SLACK_API_URL, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN
(Socket Mode when set) and PORT (read by the gunicorn config). FLOOR_LISTENER_THREADS and
FLOOR_SOCKET_CONCURRENCY let the benchmark pass the bot's pool sizes without importing the bot (and boto3).
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import Ack, App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

# The bot's sizes (bot/app.py LISTENER_THREADS, bot/__main__.py SOCKET_MODE_CONCURRENCY), so both queue alike.
LISTENER_THREADS = int(os.environ.get("FLOOR_LISTENER_THREADS", "64"))
SOCKET_MODE_CONCURRENCY = int(os.environ.get("FLOOR_SOCKET_CONCURRENCY", "32"))
COMMAND = "/ivs-kick"

# The smallest modal Slack accepts: what opening any dialog at all costs.
TRIVIAL_MODAL: dict[str, Any] = {
    "type": "modal",
    "title": {"type": "plain_text", "text": "Floor"},
    "blocks": [{"type": "section", "text": {"type": "plain_text", "text": "ok"}}],
}


def create_app() -> App:
    """The bare app: one command listener, acked at once, then views.open; the same executor size as the bot."""
    socket_mode = bool(os.environ.get("SLACK_APP_TOKEN"))
    client = WebClient(
        token=os.environ["SLACK_BOT_TOKEN"],
        base_url=os.environ.get("SLACK_API_URL", "https://slack.com/api/"),
        timeout=10,
    )
    app = App(
        client=client,
        signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
        request_verification_enabled=not socket_mode,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
    )

    @app.command(COMMAND)
    def open_modal(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=TRIVIAL_MODAL)

    return app


def _wsgi_application() -> SlackRequestHandler | None:
    """Built when gunicorn imports the module (which runs it over HTTP), not when Socket Mode or a tool does."""
    if __name__ == "__main__" or os.environ.get("SLACK_APP_TOKEN") or "SLACK_BOT_TOKEN" not in os.environ:
        return None
    return SlackRequestHandler(create_app())


application = _wsgi_application()


def main() -> None:
    SocketModeHandler(create_app(), os.environ["SLACK_APP_TOKEN"], concurrency=SOCKET_MODE_CONCURRENCY).start()


if __name__ == "__main__":
    main()
