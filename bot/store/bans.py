"""Ban records as each store keeps them, and the one read every enforcer makes: is this viewer banned in this room?

This module is the whole read path of the message review handler (bot/review.py) and of `python -m bot bans check`,
so it imports the standard library, boto3 and bot.kick.bans only (and the light bot.store package it sits in).

DynamoDB: one item per room (or `*`) and viewer, in the case table:

    pk = "BAN#<room ARN or *>#<user id>", sk = 0
    room, user_id, case_number, created_by, created_at, expires_at (absent: permanent), ended_at, ended_by
    banned = "Y" while the ban has not ended, and ends_at = expires_at or "permanent": the sparse `bans` index
    expires_epoch: the TTL, KEPT_AFTER_END after the ban ends (absent while a permanent ban holds)

A token service checks a viewer with one BatchGetItem of the two keys (the room's and `*`'s): banned when either
item has no `ended_at` and no `expires_at`, or an `expires_at` later than now. Times are ISO-8601 UTC with
microseconds (`2026-12-04T16:00:00.000000+00:00`), which compare as text.

SQLite: table `bans`, one row per (room, user_id), with the same fields.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any, Protocol

from ..kick.bans import ALL_ROOMS, EXPIRED, KEPT_AFTER_END, Ban
from . import StoreChoice, StoreThrottled, TableOutdated

BANS_INDEX = "bans"
BANNED = "Y"  # the `bans` index's key while a ban has not ended
PERMANENT_END = "permanent"  # ends_at of a permanent ban: sorts after every ISO time
TTL_ATTRIBUTE = "expires_epoch"
_UNPROCESSED_TRIES = 5


def iso(value: datetime) -> str:
    """How every time is stored, in both stores: ISO-8601 UTC with microseconds, which sorts as text (token
    services compare `expires_at` with now written the same way)."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def ban_key(room: str, user_id: str) -> str:
    """The DynamoDB partition key of a ban item. A room ARN never contains `#`, so the key reads back unambiguously."""
    return f"BAN#{room}#{user_id}"


def ban_attributes(ban: Ban) -> dict[str, Any]:
    """A Ban as a DynamoDB item's attributes (plain Python values; None means absent)."""
    ended = ban.ended_at is not None
    gone_at = ban.ended_at or ban.expires_at
    return {
        "pk": ban_key(ban.room, ban.user_id),
        "sk": 0,
        "room": ban.room,
        "user_id": ban.user_id,
        "case_number": ban.case_number,
        "created_by": ban.created_by,
        "created_at": iso(ban.created_at),
        "expires_at": iso(ban.expires_at) if ban.expires_at else None,
        "ended_at": iso(ban.ended_at) if ban.ended_at else None,
        "ended_by": ban.ended_by,
        "banned": None if ended else BANNED,
        "ends_at": iso(ban.expires_at) if ban.expires_at else PERMANENT_END,
        TTL_ATTRIBUTE: int((gone_at + KEPT_AFTER_END).timestamp()) if gone_at else None,
    }


def ban_from(fields: Mapping[str, Any]) -> Ban:
    """A Ban from a DynamoDB item (deserialized) or a SQLite row."""

    def when(name: str) -> datetime | None:
        value = fields[name] if name in fields.keys() else None
        return datetime.fromisoformat(value) if value else None

    return Ban(
        room=fields["room"],
        user_id=fields["user_id"],
        case_number=int(fields["case_number"]),
        created_by=fields["created_by"],
        created_at=datetime.fromisoformat(fields["created_at"]),
        expires_at=when("expires_at"),
        ended_at=when("ended_at"),
        ended_by=fields["ended_by"] if "ended_by" in fields.keys() else None,
    )


def holding(bans: Iterable[Ban], now: datetime) -> Ban | None:
    """Of the bans found for one viewer (their room's and `*`'s), the one that keeps them out longest, if any."""
    live = [ban for ban in bans if ban.holds_at(now)]
    return max(live, key=lambda ban: ban.expires_at or datetime.max.replace(tzinfo=timezone.utc), default=None)


def ending(ban: Ban, at: datetime, by: str, case_number: int | None) -> bool:
    """Whether CaseStore.end_ban may end `ban`: not ended yet, made by `case_number` if given, and still holding
    at `at` unless it is ended because it ran out (by EXPIRED)."""
    if ban.ended_at is not None or (case_number is not None and ban.case_number != case_number):
        return False
    return by == EXPIRED or ban.holds_at(at)


class BanReader(Protocol):
    def ban_on(self, room_arn: str, user_id: str, now: datetime) -> Ban | None:
        """The ban keeping `user_id` out of `room_arn` at `now` (one on that room, or on every room), or None.
        Raises the store's errors (sqlite3.Error, botocore's) when it cannot be read."""


class SqliteBanReader:
    """Reads the bot's SQLite file, read-only (a handler on the same host, or tests)."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False, timeout=5)
        self._db.row_factory = sqlite3.Row
        self._lock = threading.Lock()  # one connection, read from whichever thread asks

    def ban_on(self, room_arn: str, user_id: str, now: datetime) -> Ban | None:
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT * FROM bans WHERE user_id = ? AND room IN (?, ?)", (user_id, room_arn, ALL_ROOMS)
                ).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" not in str(error):
                raise
            raise TableOutdated(
                f"{self._path} has no bans table: it was last opened by a version of the bot from before bans. "
                "Start the bot once with this file (it upgrades it), then check again."
            ) from None
        return holding(map(ban_from, rows), now)


class DynamoBanReader:
    """One strongly consistent BatchGetItem of the room's key and `*`'s, so a ban or unban counts at once."""

    def __init__(self, table_name: str, client: Any = None) -> None:
        import boto3  # only when DynamoDB is the store

        self.table_name = table_name
        self._client = client if client is not None else boto3.client("dynamodb")

    def ban_on(self, room_arn: str, user_id: str, now: datetime) -> Ban | None:
        from boto3.dynamodb.types import TypeDeserializer

        keys = [{"pk": {"S": ban_key(room, user_id)}, "sk": {"N": "0"}} for room in (room_arn, ALL_ROOMS)]
        request: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": True}}
        items: list[dict[str, Any]] = []
        for _ in range(_UNPROCESSED_TRIES):  # throttled keys come back unprocessed, not as an error
            answer = self._client.batch_get_item(RequestItems=request)
            items += answer.get("Responses", {}).get(self.table_name, [])
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
        else:
            raise StoreThrottled(f"DynamoDB left ban keys unprocessed after {_UNPROCESSED_TRIES} tries")
        reader = TypeDeserializer()
        return holding((ban_from({k: reader.deserialize(v) for k, v in item.items()}) for item in items), now)


def open_reader(choice: StoreChoice, *, seconds: float, attempts: int) -> BanReader:
    """The ban reader for a store choice (bot.store.choose_store): the SQLite file read-only (never created), or the
    DynamoDB table through a client that waits at most `seconds` to connect and `seconds` for each answer, and
    makes at most `attempts` tries of a call (botocore's standard retry mode). Raises the store's errors
    (sqlite3.Error for a file that cannot be opened, botocore's NoRegionError without a region)."""
    if choice.kind == "sqlite":
        return SqliteBanReader(choice.location)
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=seconds, read_timeout=seconds, retries={"mode": "standard", "total_max_attempts": attempts}
    )
    return DynamoBanReader(choice.location, boto3.client("dynamodb", config=config))
