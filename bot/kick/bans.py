"""Bans and timeouts: who is kept out of which room (or every room), and until when (pure; standard library only,
so the message review handler can import it without the bot).

IVS Chat has no ban of its own. A ban is enforced where a viewer comes back: the room's message review handler
(bot/review.py) answers DENY to a banned sender, and the app's token service refuses a banned viewer a chat token
(`python -m bot bans check`, or one BatchGetItem on the case table; see the README).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

ALL_ROOMS = "*"  # a ban that holds in every room of the account
MIN_TIMEOUT = timedelta(minutes=1)
MAX_TIMEOUT = timedelta(days=90)
# How long a ban's record stays in the store after it ends (DynamoDB's TTL deletes it then); the case that made
# it, and the one that ended it, stay for good.
KEPT_AFTER_END = timedelta(days=30)

_DURATION = re.compile(r"([0-9]{1,7})([smhdw])")
_UNITS = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
          "w": timedelta(weeks=1)}  # fmt: skip


class InvalidDuration(ValueError):
    """A timeout's duration is malformed or out of range; the message names the rule and what was given."""


@dataclass(frozen=True)
class Term:
    """How long a ban holds: `length` None means permanently."""

    length: timedelta | None = None

    @property
    def permanent(self) -> bool:
        return self.length is None

    def until(self, start: datetime) -> datetime | None:
        """When a ban made at `start` ends; None for a permanent one."""
        return None if self.length is None else start + self.length

    def describe(self) -> str:
        """`permanently` or `for 1 hour`, `for 90 minutes`, `for 2 weeks`."""
        return "permanently" if self.length is None else f"for {describe_length(self.length)}"


PERMANENT = Term()
# The Ban select of a confirmation modal: its option values, in order, and what each means (None: kick only).
BAN_CHOICES: tuple[tuple[str, Term | None], ...] = (
    ("kick", None),
    ("10m", Term(timedelta(minutes=10))),
    ("1h", Term(timedelta(hours=1))),
    ("24h", Term(timedelta(hours=24))),
    ("7d", Term(timedelta(days=7))),
    ("permanent", PERMANENT),
)


def describe_length(length: timedelta) -> str:
    """The largest whole unit that fits: `1 hour`, `90 minutes`, `24 hours` is `1 day`, `14 days` is `2 weeks`."""
    seconds = int(length.total_seconds())
    for name, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {name}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def duration_help(shortest: timedelta = MIN_TIMEOUT) -> str:
    """The rule for a timeout's duration, as the messages about it state it."""
    return f"a number followed by m, h, d or w (90m, 1h, 7d, 2w), from {describe_length(shortest)} to 90 days"


def parse_duration(text: str, shortest: timedelta = MIN_TIMEOUT) -> timedelta:
    """`90m`, `1h`, `7d`, `2w` (and `30s`, which only a `shortest` under a minute lets through) → a timedelta
    from `shortest` (IVS_KICK_SHORTEST_TIMEOUT, default MIN_TIMEOUT) to MAX_TIMEOUT; InvalidDuration otherwise,
    its message naming the rule and what was given."""
    given = text.strip()
    match = _DURATION.fullmatch(given.lower())
    if not match:
        raise InvalidDuration(f"Duration must be {duration_help(shortest)}; got \u201c{given[:40]}\u201d.")
    length = int(match.group(1)) * _UNITS[match.group(2)]
    if not shortest <= length <= MAX_TIMEOUT:
        raise InvalidDuration(f"Duration must be from {describe_length(shortest)} to 90 days; got \u201c{given}\u201d.")
    return length


def term_for_choice(value: str) -> Term | None:
    """The Ban select's option value → its Term (None: kick only); ValueError for a value the select never has."""
    for choice, term in BAN_CHOICES:
        if choice == value:
            return term
    raise ValueError(f"unknown ban choice {value[:40]!r}")


def choice_for_term(term: Term | None) -> str:
    """The Ban select's option for a Term, for presetting it; a timeout of another length has no option."""
    for choice, known in BAN_CHOICES:
        if known == term:
            return choice
    raise ValueError(f"no ban choice for {term}")


@dataclass(frozen=True)
class Ban:
    """One viewer kept out of one room (or of every room, `room` = ALL_ROOMS), made by case `case_number`."""

    room: str  # a room ARN, or ALL_ROOMS
    user_id: str
    case_number: int
    created_by: str  # the Slack user ID of the moderator
    created_at: datetime
    expires_at: datetime | None = None  # None: permanent
    ended_at: datetime | None = None  # set by an unban or when a timeout has run out
    ended_by: str | None = None  # a moderator's Slack user ID, or EXPIRED

    def holds_at(self, now: datetime) -> bool:
        """In force at `now`: not ended, and permanent or not yet expired."""
        return self.ended_at is None and (self.expires_at is None or now < self.expires_at)

    @property
    def term(self) -> Term:
        return PERMANENT if self.expires_at is None else Term(self.expires_at - self.created_at)


EXPIRED = "expired"  # Ban.ended_by when a timeout ran out
