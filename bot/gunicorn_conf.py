"""gunicorn settings shared by the Procfile's `web:` line and `python -m bot` in HTTP mode."""

import os
import sys

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
# Threads, not processes: listeners mostly wait on Slack and AWS, and one process keeps one moderator cache.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = 32
# Each worker builds its own bot: its threads (audit outbox, caches, log writer) must start after the fork.
preload_app = False
timeout = 60
# SIGTERM: gunicorn stops accepting and finishes requests; worker_exit then lets kicks that outlive their
# request (acked at once, carried out after) finish within this bound.
graceful_timeout = 30
accesslog = None


def worker_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    served = sys.modules.get("bot.wsgi")
    if served is not None:
        served.bot.shutdown()
