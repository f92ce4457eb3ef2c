"""Start-up shared by both entry points: .env, settings, logging, the app; clear lines instead of tracebacks."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from .app import Bot, create_bot
from .delivery import SlackUnavailable, confirmed_token, web_client
from .logs import configure_logging
from .settings import Settings, SettingsError, load_settings
from .store import STORE_ERRORS, open_store, unavailable_store

EXIT_SLACK_REFUSED = 1
EXIT_BAD_SETTINGS = 2
EXIT_STORE_UNAVAILABLE = 3
# gunicorn's own "worker failed to boot" code: its master stops the whole server instead of respawning the worker.
EXIT_WORKER_BOOT = 3


def cannot_start(lines: list[str], code: int) -> SystemExit:
    print("ivs-kick cannot start:", file=sys.stderr)
    for line in lines:
        print(f"  - {line}", file=sys.stderr)
    return SystemExit(code)


def prepared_settings(*, serves_http: bool | None = None) -> Settings:
    """Load `.env` from the working directory (real environment variables win) and validate everything.
    `serves_http=True` (the WSGI entry point) requires SLACK_SIGNING_SECRET whatever else is set."""
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        settings = load_settings(os.environ, serves_http=serves_http)
    except SettingsError as error:
        raise cannot_start(error.problems, EXIT_BAD_SETTINGS) from None
    configure_logging(settings.secrets, settings.log_level)
    return settings


def slack_refused(problem: SlackUnavailable) -> SystemExit:
    return cannot_start([str(problem)], EXIT_SLACK_REFUSED)


def _store_unavailable(settings: Settings, error: Exception) -> SystemExit:
    return cannot_start([unavailable_store(settings.store, error)], EXIT_STORE_UNAVAILABLE)


def prepared_bot(settings: Settings, mode: str) -> Bot:
    """The bot, after Slack confirmed the bot token (auth.test) and the case store opened."""
    try:
        return create_bot(settings, mode=mode)
    except SlackUnavailable as problem:
        raise slack_refused(problem) from None
    except STORE_ERRORS as error:
        raise _store_unavailable(settings, error) from None


def preflight_http() -> None:
    """What the HTTP server's master process checks before it starts any worker, exiting with the codes above:
    the settings (a signing secret included), the bot token (auth.test) and the case store. A worker that then
    fails anyway exits with EXIT_WORKER_BOOT, which stops gunicorn rather than respawning it in a loop."""
    settings = prepared_settings(serves_http=True)
    try:
        confirmed_token(web_client(settings.bot_token, settings.api_url))
    except SlackUnavailable as problem:
        raise slack_refused(problem) from None
    try:
        open_store(settings.store).close()
    except STORE_ERRORS as error:
        raise _store_unavailable(settings, error) from None
