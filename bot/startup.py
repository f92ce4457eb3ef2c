"""Start-up shared by both entry points: .env, settings, logging, the app; clear lines instead of tracebacks."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from urllib.error import URLError

from dotenv import load_dotenv
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from .app import Bot, create_bot
from .logs import configure_logging
from .settings import Settings, SettingsError, load_settings
from .store import STORE_ERRORS

EXIT_SLACK_REFUSED = 1
EXIT_BAD_SETTINGS = 2
EXIT_STORE_UNAVAILABLE = 3


def cannot_start(lines: list[str], code: int) -> SystemExit:
    print("ivs-kick cannot start:", file=sys.stderr)
    for line in lines:
        print(f"  - {line}", file=sys.stderr)
    return SystemExit(code)


def prepared_settings() -> Settings:
    """Load `.env` from the working directory (real environment variables win) and validate everything."""
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        settings = load_settings(os.environ)
    except SettingsError as error:
        raise cannot_start(error.problems, EXIT_BAD_SETTINGS) from None
    configure_logging(settings.secrets, settings.log_level)
    return settings


def slack_refused(settings: Settings, error: Exception) -> SystemExit:
    return cannot_start(
        [
            f"Slack at {settings.api_url} refused the bot or could not be reached: {error}. "
            "Check SLACK_BOT_TOKEN, SLACK_APP_TOKEN and SLACK_API_URL."
        ],
        EXIT_SLACK_REFUSED,
    )


def prepared_bot(settings: Settings) -> Bot:
    """The bot, after the case store opened and Slack confirmed the bot token (auth.test)."""
    try:
        return create_bot(settings)
    except (BoltError, SlackClientError, URLError) as error:  # URLError: Slack's API could not be reached
        raise slack_refused(settings, error) from None
    except STORE_ERRORS as error:
        raise cannot_start(
            [
                f"The case store {settings.store.describe()} cannot be opened: {error}. Check IVS_KICK_STORE / "
                "IVS_KICK_DB, and for DynamoDB the table, its region (AWS_DEFAULT_REGION) and the bot's permissions."
            ],
            EXIT_STORE_UNAVAILABLE,
        ) from None
