"""create_app(): the Bolt app with its listeners, built from Settings (no globals, one per process)."""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import boto3
from slack_bolt import App

from . import listeners
from .delivery import group_fetcher, post_message, web_client
from .kick.ivs import IvsChatGateway
from .kick.moderators import ModeratorDirectory
from .kick.rooms import RoomDirectory
from .listeners.services import Services
from .outbox import AuditOutbox
from .settings import Settings
from .store import open_store

# Every in-flight command or submission holds a listener thread, mostly waiting on Slack or AWS;
# 64 lets a raid's burst of commands from many moderators run side by side.
LISTENER_THREADS = 64

log = logging.getLogger(__name__)


class _SameTokenNotice(logging.Filter):
    """Bolt also reads SLACK_BOT_TOKEN and warns that it goes unused beside our client, which carries that very
    token; the warning would only confuse whoever reads the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _configured_region(session: boto3.session.Session | None) -> tuple[str, ...]:
    """Where to look for rooms by name when IVS_KICK_REGIONS is unset: the AWS configuration's region."""
    region = (session or boto3.session.Session()).region_name
    return (region,) if region else ()


def create_app(settings: Settings, *, aws_session: boto3.session.Session | None = None) -> App:
    client = web_client(settings.bot_token, settings.api_url)
    moderators = ModeratorDirectory(
        users=settings.moderators,
        group_id=settings.moderator_group,
        fetch_group=group_fetcher(client) if settings.moderator_group else None,
        max_age=settings.moderator_cache_seconds,
    )
    bolt_logger = logging.getLogger("slack_bolt")
    bolt_logger.addFilter(_SameTokenNotice())
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        request_verification_enabled=not settings.socket_mode,
        listener_executor=ThreadPoolExecutor(max_workers=LISTENER_THREADS, thread_name_prefix="listener"),
        logger=bolt_logger,
    )
    store = open_store(settings.store)
    gateway = IvsChatGateway(
        aws_session, role_arn=settings.role_arn, disconnects_per_second=settings.disconnects_per_second
    )
    rooms = RoomDirectory(gateway.reader, settings.regions or _configured_region(aws_session), settings.room_aliases)
    outbox = AuditOutbox(
        store, settings.audit_channel, lambda record: post_message(client, settings.audit_channel, record)
    )
    listeners.register(app, Services(settings, moderators, gateway, store, outbox, rooms))
    if not moderators.configured:
        log.warning(
            "no moderators configured: set IVS_KICK_MODERATOR_GROUP (a user group ID) and/or IVS_KICK_MODERATORS "
            "(user IDs); until then every kick is refused"
        )
    moderators.warm()
    rooms.refresh()  # the form's picker and name look-ups start from a listing, not from an empty cache
    outbox.start()
    return app
