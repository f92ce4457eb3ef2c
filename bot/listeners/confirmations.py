"""What every surface that asks for a confirmation shares: a refusal put on record and told, the modal opened
within the trigger's 3 s, and the rooms a ban on every room disconnects from."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackClientError

from ..delivery import reply_privately, slack_error
from ..kick.banning import unchecked_note
from ..kick.bans import ALL_ROOMS
from ..kick.flow import Attempt, record_refusal
from ..kick.moderators import Verdict
from ..kick.rooms import Room
from ..messages import moderator_reply
from .services import Services

log = logging.getLogger(__name__)

# A ban on every room disconnects in each room the room directory lists across IVS_KICK_REGIONS (it keeps at most
# 2,000 a region); right after start-up it waits this long for the first listing.
EVERY_ROOM_LIMIT = 100_000
FIRST_LISTING_WAIT = 5.0


def refuse(services: Services, attempt: Attempt, verdict: Verdict, response_url: str | None) -> None:
    """Someone who may not act tried to: a case on record (posted by the outbox's thread, so a burst never holds
    listener threads), and a private answer saying why."""
    case = record_refusal(services.store, attempt, verdict)
    services.outbox.deliver(case)
    reply_privately(response_url, moderator_reply(case, services.settings.audit_channel, None))


def open_confirmation(
    client: WebClient, trigger_id: str | None, view: dict[str, Any], response_url: str | None
) -> dict[str, Any] | None:
    """views.open; the view as Slack opened it, or None after telling the moderator why it could not be."""
    try:
        return client.views_open(trigger_id=trigger_id, view=view)["view"]
    except (SlackClientError, OSError) as error:
        code = slack_error(error)
        log.error("views.open failed", extra={"fields": {"error": code}})
        reply_privately(
            response_url,
            f":warning: The confirmation dialog could not be opened (Slack said {code}). "
            "Nothing was done; run the command again.",
        )
        return None


def every_room(services: Services) -> list[Room]:
    """Every room the bot knows, for a ban on every room (`*`)."""
    return services.rooms.rooms(limit=EVERY_ROOM_LIMIT, wait=FIRST_LISTING_WAIT)


def review_note(services: Services, reference: str, room: Room | None) -> str | None:
    """For a confirmation: where IVS Chat would not check a ban, from the room directory's cache only (no AWS
    call before the ack). `room` is the room as known so far, None while it is looked up; `reference` `*` means
    every room the bot knows."""
    if reference == ALL_ROOMS:
        return unchecked_note(ALL_ROOMS, services.rooms.rooms(limit=EVERY_ROOM_LIMIT, refresh=False))
    return unchecked_note(room.arn, [room]) if room is not None else None
