"""create_bot(): the Bolt app with its listeners and what they run on, built from Settings (no globals).

The Bot it returns also answers health checks and shuts down cleanly: on SIGTERM the entry point stops
taking new work and calls shutdown(), which lets in-flight kicks and their audit posts finish.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import boto3
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.error import BoltError
from slack_sdk.errors import SlackClientError

from . import __version__, listeners
from .delivery import (
    audit_retry_handlers,
    confirmed_token,
    find_posted,
    group_fetcher,
    post_message,
    unavailable,
    web_client,
)
from .kick.ivs import IvsChatGateway
from .kick.moderators import ModeratorDirectory
from .kick.rooms import RoomDirectory
from .listeners.installation import Installation, only_from
from .listeners.services import Services
from .outbox import AuditOutbox
from .settings import Settings
from .store import open_store

# Every in-flight command or submission holds a listener thread, mostly waiting on Slack or AWS;
# 64 lets a raid's burst of commands from many moderators run side by side.
LISTENER_THREADS = 64
# Follow-up work that must not hold a listener thread (filling a modal in once AWS has answered about the room).
BACKGROUND_THREADS = 16
# Within gunicorn's graceful_timeout (30 s), so the worker is never killed while it waits.
SHUTDOWN_SECONDS = 25.0

log = logging.getLogger(__name__)


class _RedundantBoltLines(logging.Filter):
    """Bolt lines that only repeat what is already said. It reads SLACK_BOT_TOKEN and warns that it goes unused
    beside our client, which carries that very token. It reports a bad signature with the whole request body
    (a response_url is a bearer link), where our own `request` line already records the 401."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "`token` will be unused" not in message and not message.startswith("Invalid request signature")


def _configured_region(session: boto3.session.Session | None) -> tuple[str, ...]:
    """Where to look for rooms by name when IVS_KICK_REGIONS is unset: the AWS configuration's region."""
    region = (session or boto3.session.Session()).region_name
    return (region,) if region else ()


def _kind(body: dict[str, Any]) -> str:
    """What a request is, for its log line; any shape (a signed body Slack would never send included)."""
    event = body.get("event")
    if body.get("type") == "event_callback":
        return f"event:{event.get('type') if isinstance(event, dict) else 'unknown'}"
    return str(body.get("command") or body.get("type") or "unknown")[:100]


class LoggedApp(App):
    """Bolt's App with one structured line per request from Slack, timed to its acknowledgement, naming the
    process (one of several gunicorn workers). Both the WSGI and the Socket Mode adapter come through
    dispatch(), so both modes log alike."""

    def dispatch(self, req: BoltRequest) -> BoltResponse:
        started = time.monotonic()
        response = super().dispatch(req)
        log.info(
            "request",
            extra={"fields": {"kind": _kind(req.body), "mode": req.mode, "status": response.status,
                              "ms": round((time.monotonic() - started) * 1000, 1), "pid": os.getpid()}},
        )  # fmt: skip
        return response


HTTP, SOCKET = "http", "socket"


@dataclass
class Bot:
    app: App
    services: Services
    executors: tuple[ThreadPoolExecutor, ...]  # where acked work goes on: it must finish before exit
    mode: str  # HTTP or SOCKET: how Slack reaches this process

    def health(self) -> tuple[bool, dict[str, Any]]:
        """For GET /healthz: no secrets, just whether the case store answers."""
        try:
            self.services.store.ping()
            store = "ok"
        except Exception as error:  # any failure means unhealthy; the reason goes to the log, not the caller
            log.warning("health check: case store failed", extra={"fields": {"error": type(error).__name__}})
            store = "error"
        return store == "ok", {"version": __version__, "mode": self.mode, "store": store}

    def shutdown(self, timeout: float = SHUTDOWN_SECONDS) -> None:
        """Let in-flight kicks and their audit posts finish (at most `timeout` seconds), then stop."""
        started = time.monotonic()
        log.info("shutting down: finishing in-flight work")
        finished = _join_executors(self.executors, timeout)
        self.services.outbox.stop(max(1.0, timeout - (time.monotonic() - started)))
        self.services.moderators.close()
        self.services.rooms.close()
        log.info("stopped", extra={"fields": {"finished": finished, "ms": round((time.monotonic() - started) * 1000)}})


def _join_executors(executors: tuple[ThreadPoolExecutor, ...], timeout: float) -> bool:
    """Refuse new work and wait for what is running, but no longer than `timeout` (shutdown() has no bound)."""

    def join_all() -> None:
        for executor in executors:
            executor.shutdown(wait=True)

    waiter = threading.Thread(target=join_all, name="shutdown", daemon=True)
    waiter.start()
    waiter.join(timeout)
    return not waiter.is_alive()


def create_bot(settings: Settings, *, mode: str, aws_session: boto3.session.Session | None = None) -> Bot:
    """The bot for one process. `mode` is HTTP (every request's signature is verified, so a signing secret is
    required whatever else is set) or SOCKET (Slack's authenticated WebSocket; Bolt skips verification there).

    Slack is asked first (auth.test), then the case store is opened, so that each failure is told apart: raises
    ValueError for HTTP without a signing secret; SlackUnavailable when Slack refuses the bot token, cannot be
    reached or does not answer; the store's errors (bot.store.STORE_ERRORS) when the case store cannot be opened.
    """
    if mode not in {HTTP, SOCKET}:
        raise ValueError(f"mode must be {HTTP!r} or {SOCKET!r}; got {mode!r}")
    if mode == HTTP and not settings.signing_secret:
        raise ValueError("serving Slack over HTTP needs SLACK_SIGNING_SECRET to verify every request")
    client = web_client(settings.bot_token, settings.api_url)
    # Bolt keeps its own auth.test answer to itself; this one also says whether the install is org-wide.
    installation = Installation.from_auth_test(confirmed_token(client))
    bolt_logger = logging.getLogger("slack_bolt")
    bolt_logger.addFilter(_RedundantBoltLines())
    listener_pool = ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener")
    try:
        app = LoggedApp(
            client=client,
            signing_secret=settings.signing_secret or "",
            # Always on: Bolt skips it only for Socket Mode envelopes, never for a request that came over HTTP.
            request_verification_enabled=True,
            listener_executor=listener_pool,
            logger=bolt_logger,
        )
    except (BoltError, SlackClientError, OSError) as error:  # Bolt's own auth.test, moments after ours
        slack_said = error.__context__ if isinstance(error, BoltError) else None  # Bolt wraps SlackApiError
        raise unavailable(client, "auth.test", slack_said if isinstance(slack_said, Exception) else error) from error
    store = open_store(settings.store)
    moderators = ModeratorDirectory(
        users=settings.moderators,
        group_id=settings.moderator_group,
        fetch_group=group_fetcher(client) if settings.moderator_group else None,
        max_age=settings.moderator_cache_seconds,
        changes=store,  # a removal one process hears of is honoured by all at their next decisive check
    )
    gateway = IvsChatGateway(
        aws_session, role_arn=settings.role_arn, disconnects_per_second=settings.disconnects_per_second
    )
    rooms = RoomDirectory(gateway.reader, settings.regions or _configured_region(aws_session), settings.room_aliases)
    audit_client = web_client(settings.bot_token, settings.api_url, audit_retry_handlers())
    outbox = AuditOutbox(
        store,
        settings.audit_channel,
        post=lambda record: post_message(audit_client, settings.audit_channel, record),
        find=lambda case: find_posted(audit_client, settings.audit_channel, case.number, case.created_at),
    )
    background = ThreadPoolExecutor(max_workers=BACKGROUND_THREADS, thread_name_prefix="background")
    services = Services(settings, moderators, gateway, store, outbox, rooms, background)
    app.use(only_from(installation))
    listeners.register(app, services)
    if not moderators.configured:
        log.warning(
            "no moderators configured: set IVS_KICK_MODERATOR_GROUP (a user group ID) and/or IVS_KICK_MODERATORS "
            "(user IDs); until then every kick is refused"
        )
    moderators.warm()
    rooms.refresh()  # the form's picker and name look-ups start from a listing, not from an empty cache
    outbox.start()
    return Bot(app, services, (listener_pool, background), mode)
