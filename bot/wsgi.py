"""The WSGI callable gunicorn serves (Procfile `web:`): Bolt's own WSGI adapter at POST /slack/events,
plus GET /healthz for load balancers and platform health checks (no auth, no secrets)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler

from .startup import prepared_bot, prepared_settings

bot = prepared_bot(prepared_settings())
_slack = SlackRequestHandler(bot.app)


def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in {"GET", "HEAD"}:
        healthy, report = bot.health()
        body = json.dumps(report).encode()
        start_response(
            "200 OK" if healthy else "503 Service Unavailable",
            [("Content-Type", "application/json"), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
        )
        return [body] if environ["REQUEST_METHOD"] == "GET" else [b""]
    return _slack(environ, start_response)
