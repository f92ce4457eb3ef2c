"""gunicorn settings shared by the Procfile's `web:` line and `python -m bot` in HTTP mode."""

import os

bind = f"0.0.0.0:{os.environ.get('PORT', '3000')}"
# Threads, not processes: listeners mostly wait on Slack and AWS, and one process keeps one moderator cache.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "1"))
threads = 32
timeout = 60
graceful_timeout = 30
accesslog = None
