"""The WSGI callable gunicorn serves (Procfile `web:`, `gunicorn bot.wsgi:application`): one bot per worker.

This entry point always serves Slack over HTTP, so Bolt verifies every request's signature whatever else is set
(SLACK_APP_TOKEN included), and it refuses to start without SLACK_SIGNING_SECRET. See bot/web.py for what is
answered before Bolt sees a request.
"""

from __future__ import annotations

from .app import HTTP
from .startup import EXIT_WORKER_BOOT, prepared_bot, prepared_settings
from .web import web_application

try:
    bot = prepared_bot(prepared_settings(serves_http=True), HTTP)
except SystemExit as stop:  # the lines saying why are printed; a server restarting this worker would loop
    raise SystemExit(EXIT_WORKER_BOOT if stop.code else 0) from None
application = web_application(bot)
