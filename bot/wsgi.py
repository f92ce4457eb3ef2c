"""The WSGI callable gunicorn serves (Procfile `web:`): Bolt's own WSGI adapter at POST /slack/events."""

from __future__ import annotations

from slack_bolt.adapter.wsgi import SlackRequestHandler

from .startup import prepared_app, prepared_settings

application = SlackRequestHandler(prepared_app(prepared_settings()))
