"""`python -m bot`: Socket Mode when SLACK_APP_TOKEN is set, otherwise HTTP on $PORT under gunicorn.

`python -m bot audit …` reads the case store instead (see bot/cli.py), and `python -m bot bans check …` tells a
chat-token service whether a viewer is banned (bot/bans_cli.py). Neither loads Slack's libraries: the bot's own
imports come only when it runs, so a check run per token request starts fast.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading

# Socket Mode hands each envelope to a thread; a burst of commands must not queue behind slow kicks.
SOCKET_MODE_CONCURRENCY = 32
USAGE = """usage: python -m bot                run the bot: Socket Mode with SLACK_APP_TOKEN, else HTTP on $PORT
       python -m bot audit pending  audit posts still waiting, and why
       python -m bot audit export   every case, oldest first (python -m bot audit export --help)
       python -m bot bans check --room ARN --user ID
                                    exit 0 if the viewer may get a chat token, 1 if banned (--help for more)

Settings come from the environment and .env in the working directory (see README.md, Settings)."""
GUNICORN = ["-m", "gunicorn", "--config", "python:bot.gunicorn_conf", "bot.wsgi:application"]

log = logging.getLogger("bot")


def main() -> None:
    if sys.argv[1:2] == ["audit"]:
        from .cli import main as audit

        raise SystemExit(audit(sys.argv[2:]))
    if sys.argv[1:2] == ["bans"]:
        from .bans_cli import main as bans

        raise SystemExit(bans(sys.argv[2:]))
    if sys.argv[1:] in (["-h"], ["--help"]):
        print(USAGE)
        raise SystemExit(0)
    if sys.argv[1:]:
        print(f"{USAGE}\npython -m bot: unknown arguments: {' '.join(sys.argv[1:])}", file=sys.stderr)
        raise SystemExit(2)
    serve()


def serve() -> None:
    """Run the bot until SIGTERM or SIGINT (Socket Mode), or exec gunicorn (HTTP)."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.errors import SlackClientError

    from .app import SOCKET
    from .delivery import unavailable
    from .logs import flush_logs
    from .startup import prepared_bot, prepared_settings, slack_refused

    settings = prepared_settings()
    if not settings.socket_mode:
        log.info("starting", extra={"fields": {"mode": "http", "port": settings.port}})
        flush_logs()  # exec replaces the process: queued lines would be lost
        os.execv(sys.executable, [sys.executable, *GUNICORN])  # the same server as the Procfile's web: line
    bot = prepared_bot(settings, SOCKET)  # serves nothing over HTTP
    log.info("starting", extra={"fields": {"mode": "socket"}})
    stop = threading.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda *_: stop.set())
    handler = SocketModeHandler(bot.app, settings.app_token, concurrency=SOCKET_MODE_CONCURRENCY)
    try:
        handler.connect()
    except (SlackClientError, OSError) as error:  # OSError: a timeout or refused connection, from urllib
        raise slack_refused(unavailable(bot.app.client, "apps.connections.open", error)) from None
    stop.wait()
    # No new envelopes: no reconnect, and the connection dropped. Closing it waits for the client's reader to
    # time out of recv() (seconds), so that happens on the side while acked work finishes.
    handler.client.auto_reconnect_enabled = False
    handler.client.closed = True
    threading.Thread(target=handler.client.disconnect, name="socket-close", daemon=True).start()
    bot.shutdown()  # what was acked is still carried out
    # Everything is finished and flushed; the Socket Mode client's reader threads hold no work, so do not wait
    # for them to notice the closed connection.
    flush_logs()
    os._exit(0)


if __name__ == "__main__":
    main()
