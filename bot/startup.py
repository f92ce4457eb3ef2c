"""Start-up shared by both entry points: .env, settings, logging; clear lines and exit 2 on bad settings."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from .logs import configure_logging
from .settings import Settings, SettingsError, load_settings

EXIT_BAD_SETTINGS = 2


def prepared_settings() -> Settings:
    """Load `.env` from the working directory (real environment variables win) and validate everything."""
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        settings = load_settings(os.environ)
    except SettingsError as error:
        print("ivs-kick cannot start:", file=sys.stderr)
        for line in error.problems:
            print(f"  - {line}", file=sys.stderr)
        raise SystemExit(EXIT_BAD_SETTINGS) from None
    configure_logging(settings.secrets, settings.log_level)
    return settings
