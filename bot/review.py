"""IVS Chat's message review handler: DENY a message whose sender is banned from its room (or from every room),
ALLOW every other message unchanged. Deployed as an AWS Lambda function (deploy/review-handler.yaml).

IVS Chat calls the room's handler for every SendMessage with

    {"Content": str, "MessageId": str, "RoomArn": str, "Attributes": {str: str},
     "Sender": {"UserId": str, "Ip": str, "Attributes": {str: str}}}

and waits for the answer at most 200 ms (IVS Chat service quotas, "Message review handler timeout period", not
adjustable); past that, or on an answer it cannot read, it applies the room's `fallbackResult`. The answer is

    {"ReviewResult": "ALLOW", "Content": <the message as sent>}
    {"ReviewResult": "DENY", "Content": <the message as sent>, "Attributes": {"Reason": <one sentence>}}

A denied message reaches nobody; its sender's client gets an ERROR event with code 406 ("The request was
rejected during message review") and the Reason, which says until when the ban holds, never who made it, why, or
under which case.

The store is the bot's own (IVS_KICK_STORE, IVS_KICK_DB), opened once per container and read for every message,
without a cache, so a ban or an unban counts from the next message. In Lambda (AWS_LAMBDA_FUNCTION_NAME is set)
it is opened as the module is imported, during the container's init, so that a container Lambda starts ahead
of time (provisioned concurrency) answers its first message within the budget too; elsewhere, at the first
message. When the store cannot be read, or the event is not IVS Chat's shape, the answer is
IVS_KICK_REVIEW_ON_ERROR's (`allow`, the default, or `deny`) and one JSON line on stderr says why (never the
message's content). Any other value of that setting is reported once per container and treated as `allow`,
IVS Chat's own default fallback: a typo must not silence every room.

Imports: the standard library, bot.kick.bans and bot.store.bans (boto3 and botocore, which the Lambda runtime
has). Nothing of Slack: the Lambda package is these modules alone.
"""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from .kick.bans import Ban
from .store import choose_store
from .store.bans import BanReader, open_reader

ALLOW, DENY = "ALLOW", "DENY"
# Each of connecting to DynamoDB and waiting for its answer, tried once: with IVS Chat's own invocation overhead
# this stays inside the 200 ms, so a slow store gets IVS_KICK_REVIEW_ON_ERROR's answer, not the room's fallback.
STORE_SECONDS = 0.08
STORE_ATTEMPTS = 1
# The whole read, whatever botocore's per-socket timeouts allow: a store that trickles its answer a byte at a time
# never trips those. A read not done by then is left to finish in the background and answered per
# IVS_KICK_REVIEW_ON_ERROR; at most READS_IN_FLIGHT such reads run at once, and past that a message is answered so
# at once, so a stuck store cannot pile reads up.
REVIEW_SECONDS = 0.15
READS_IN_FLIGHT = 4
# IVS Chat's limits on a room ARN and a user ID (its service model's RoomIdentifier and UserID: 1-128 characters,
# and RoomIdentifier's pattern, copied here since reading botocore's model takes longer than a review may).
MAX_ROOM_ARN = 128
MAX_USER_ID = 128
ROOM_ARN = re.compile(r"arn:aws:ivschat:[a-z0-9-]+:[0-9]+:room/[a-zA-Z0-9-]+")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
# The Reason a viewer is shown when their message is denied because the store could not be read.
UNCHECKED = "Your message could not be checked; try again in a minute."
_SHOWN_ERROR = 300  # characters of a store error kept in the log line


class MalformedEvent(ValueError):
    """The event is not IVS Chat's message review shape; the message names the field (never its content)."""


@dataclass(frozen=True)
class Message:
    room_arn: str
    user_id: str
    content: str


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def read_event(event: Any) -> Message:
    """The fields a review needs, checked: RoomArn and Sender.UserId 1-128 characters, RoomArn a room ARN (so it
    holds no `#`, and a ban key BAN#<room>#<user> cannot name another room's or viewer's ban) and Sender.UserId
    Unicode text (no lone surrogate, which no store can be asked for), Content a string."""
    if not isinstance(event, Mapping):
        raise MalformedEvent(f"the event must be an object; got {_kind(event)}")
    sender = event.get("Sender")
    fields = {
        "RoomArn": (event.get("RoomArn"), MAX_ROOM_ARN),
        "Sender.UserId": (sender.get("UserId") if isinstance(sender, Mapping) else None, MAX_USER_ID),
    }
    for name, (value, limit) in fields.items():
        if not isinstance(value, str) or not 1 <= len(value) <= limit:
            got = f"{len(value)} characters" if isinstance(value, str) else _kind(value)
            raise MalformedEvent(f"{name} must be a string of 1-{limit} characters; got {got}")
    room_arn, user_id = event["RoomArn"], sender["UserId"]
    if not ROOM_ARN.fullmatch(room_arn):
        raise MalformedEvent(
            f"RoomArn must be an IVS Chat room ARN (arn:aws:ivschat:<region>:<account>:room/<id>); got {room_arn!r}"
        )
    lone = _LONE_SURROGATE.search(user_id)
    if lone:
        raise MalformedEvent(f"Sender.UserId must be Unicode text; character {lone.start() + 1} is a lone surrogate")
    content = event.get("Content")
    if not isinstance(content, str):
        raise MalformedEvent(f"Content must be a string; got {_kind(content)}")
    return Message(room_arn, user_id, content)


def reason_for(ban: Ban) -> str:
    """What the banned sender is told: "You are banned from this chat permanently." or "… until 2026-12-04 16:04
    UTC." (the end rounded up to the minute, so never before the ban's). At most 60 characters: IVS Chat gives the
    Reason no limit of its own, and a client shows it in one line of an error."""
    if ban.expires_at is None:
        return "You are banned from this chat permanently."
    end = ban.expires_at.astimezone(timezone.utc)
    if end.second or end.microsecond:
        end = end.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return f"You are banned from this chat until {end:%Y-%m-%d %H:%M} UTC."


def answer(result: str, content: Any, reason: str | None = None) -> dict[str, Any]:
    """The handler's response: the content echoed unchanged (left out when IVS Chat sent none), a Reason on DENY."""
    response: dict[str, Any] = {"ReviewResult": result}
    if isinstance(content, str):
        response["Content"] = content
    if result == DENY:
        response["Attributes"] = {"Reason": reason or UNCHECKED}
    return response


def log_line(level: str, msg: str, **fields: Any) -> None:
    """One JSON line on stderr, as the bot writes them; Lambda sends each line to CloudWatch Logs."""
    entry = {"ts": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "level": level}
    entry.update(logger="bot.review", msg=msg, **{k: v for k, v in fields.items() if v is not None})
    print(json.dumps(entry, ensure_ascii=False, default=str), file=sys.stderr, flush=True)


def on_error_from(env: Mapping[str, str]) -> tuple[str, str | None]:
    """IVS_KICK_REVIEW_ON_ERROR → (ALLOW or DENY, the problem with the value if it is neither allow nor deny)."""
    value = env.get("IVS_KICK_REVIEW_ON_ERROR", "").strip()
    if value.lower() in ("", "allow", "deny"):
        return (DENY if value.lower() == "deny" else ALLOW), None
    return ALLOW, (
        f"IVS_KICK_REVIEW_ON_ERROR must be allow or deny; got {value[:40]!r}. Messages are allowed while the case "
        "store cannot be read."
    )


class Reviewer:
    """One container's review state: the settings, and the ban reader once it could be opened (a failed open is
    tried again at the next message, so a store that comes back is used without a restart)."""

    def __init__(
        self, env: Mapping[str, str], *, store_seconds: float = STORE_SECONDS, review_seconds: float = REVIEW_SECONDS
    ) -> None:
        self._env = env
        self._store_seconds, self._review_seconds = store_seconds, review_seconds
        self._reader: BanReader | None = None
        self._reads = ThreadPoolExecutor(READS_IN_FLIGHT, thread_name_prefix="ban-read")
        self._slots = threading.BoundedSemaphore(READS_IN_FLIGHT)
        self.on_error, problem = on_error_from(env)
        if problem:
            log_line("warning", "review setting invalid", problem=problem)

    def prepare(self) -> None:
        """Open the store now (boto3's import and its client, for DynamoDB). A store that cannot be opened yet is
        left for the first message, which tries again and reports it."""
        try:
            self._ban_reader()
        except Exception:  # reported by the first message's review, with the operator's answer
            pass

    def _ban_reader(self) -> BanReader:
        if self._reader is None:
            self._reader = open_reader(choose_store(self._env), seconds=self._store_seconds, attempts=STORE_ATTEMPTS)
        return self._reader

    def review(self, event: Any, request_id: str | None = None) -> dict[str, Any]:
        """The answer to one message review event (never raises)."""
        content = event.get("Content") if isinstance(event, Mapping) else None
        try:
            message = read_event(event)
        except MalformedEvent as problem:
            return self._failed("review event malformed", content, request_id, problem=str(problem))
        where = {"room": message.room_arn, "user_id": message.user_id}
        try:
            ban = self._read(message)
        except FutureTimeout:
            return self._failed("case store too slow", content, request_id, seconds=self._review_seconds, **where)
        except Exception as error:  # whatever stops the read, the operator's rule answers
            shown = f"{type(error).__name__}: {error}"[:_SHOWN_ERROR]
            return self._failed("case store unreadable", content, request_id, error=shown, **where)
        return answer(ALLOW, content) if ban is None else answer(DENY, content, reason_for(ban))

    def _read(self, message: Message) -> Ban | None:
        """The sender's ban, read within the review's time (FutureTimeout past it, or at once when READS_IN_FLIGHT
        earlier reads are still stuck); the store's errors as raised."""
        reader = self._ban_reader()
        if not self._slots.acquire(blocking=False):
            raise FutureTimeout()
        read = self._reads.submit(reader.ban_on, message.room_arn, message.user_id, datetime.now(timezone.utc))
        read.add_done_callback(lambda _: self._slots.release())
        return read.result(timeout=self._review_seconds)

    def _failed(self, msg: str, content: Any, request_id: str | None, **fields: Any) -> dict[str, Any]:
        log_line("error", msg, answer=self.on_error, request_id=request_id, **fields)
        return answer(self.on_error, content)


_reviewer: Reviewer | None = None


def handler(event: Any, context: Any) -> dict[str, Any]:
    """The Lambda entry point (`Handler: bot.review.handler`): the review of one message. The store and settings
    are read from the environment at the container's first message and kept for the next."""
    global _reviewer
    if _reviewer is None:
        _reviewer = Reviewer(os.environ)
    return _reviewer.review(event, getattr(context, "aws_request_id", None))


if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:  # in Lambda: the slow part belongs to the container's init
    _reviewer = Reviewer(os.environ)
    _reviewer.prepare()
