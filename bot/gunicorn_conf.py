"""gunicorn settings shared by the Procfile's `web:` line and `python -m bot` in HTTP mode.

Why gevent workers: a thread-per-request worker (gthread) gives each connection a thread as soon as its first
byte arrives, so sixty clients sending their headers a byte a second hold every thread and Slack's requests wait
past their 3 s deadline. gunicorn's documentation recommends an async worker for a server that faces clients
directly; under gevent a slow client costs a greenlet, not a thread (`python -m bench.hostile_http` measures both).
"""

import os
import subprocess
import sys
from pathlib import Path

from dotenv import load_dotenv

# The same .env the workers read (real environment variables win), so PORT and WEB_CONCURRENCY set there count.
load_dotenv(Path.cwd() / ".env", override=False)


def _whole(name: str, default: int) -> int:
    """A bad value is reported, with the other settings' problems, by the checks in on_starting (exit 2)."""
    value = os.environ.get(name, "").strip()
    return int(value) if value.isascii() and value.isdigit() and int(value) > 0 else default


bind = f"0.0.0.0:{_whole('PORT', 3000)}"
# One process keeps one moderator cache and one room cache; WEB_CONCURRENCY adds processes, each with its own.
worker_class = "gevent"
workers = _whole("WEB_CONCURRENCY", 1)
# Connections one worker holds at once, slow ones included; beyond it the kernel's backlog queues them.
worker_connections = 1000
# Each worker builds its own bot: its threads (audit outbox, caches, log writer) must start after the fork,
# and after gevent has patched the worker.
preload_app = False
timeout = 60
# SIGTERM: gunicorn stops accepting and finishes requests; worker_exit then lets kicks that outlive their
# request (acked at once, carried out after) finish within this bound.
graceful_timeout = 30
accesslog = None
# Request line and headers: gunicorn's own limits (bytes, count) answer 400 before the app sees anything.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# No run-time control socket: nothing manages this server but its signals.
control_socket_disable = True

SERVED_APP = "bot.wsgi:application"


def on_starting(server):
    """Before any worker starts: settings, case store and bot token, so that a bad setting or a token Slack
    rejects stops the server with the README's exit code instead of a worker respawning in a loop. The checks run
    in a child process: the master must not import what gevent has yet to patch in each worker."""
    if (getattr(server.app, "app_uri", None) or server.cfg.wsgi_app) == SERVED_APP:
        checked = subprocess.run([sys.executable, "-c", "from bot.startup import preflight_http; preflight_http()"])
        if checked.returncode:
            sys.exit(checked.returncode)


def worker_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    served = sys.modules.get("bot.wsgi")
    if served is not None and hasattr(served, "bot"):
        served.bot.shutdown()
