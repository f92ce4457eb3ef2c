"""A kick request and the rules each of its fields must satisfy before anything reaches AWS.

The limits come from the IVS Chat service model that botocore ships, so they cannot drift from what
DisconnectUser accepts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from botocore.loaders import Loader

from .bans import ALL_ROOMS, Term
from .markup import first_lone_surrogate
from .regions import has_ivschat, ivschat_regions_text

EXAMPLE_ROOM_ARN = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6"
MAX_USERS_PER_REQUEST = 500
_SHOWN_CHARS = 60
# A room name or ID as IVS Chat allows them, or an alias: what may stand for a room besides its ARN.
_ROOM_REFERENCE = re.compile(r"[A-Za-z0-9_.-]{1,128}")


@dataclass(frozen=True)
class FieldRule:
    """Length (and for rooms, pattern) limits of one DisconnectUser member."""

    min_len: int
    max_len: int
    pattern: re.Pattern[str] | None = None


def _load_rules() -> dict[str, FieldRule]:
    shapes = Loader().load_service_model("ivschat", "service-2")["shapes"]

    def rule(shape: str) -> FieldRule:
        spec = shapes[shape]
        pattern = re.compile(spec["pattern"]) if "pattern" in spec else None
        return FieldRule(spec["min"], spec["max"], pattern)

    return {"room": rule("RoomIdentifier"), "user": rule("UserID"), "reason": rule("Reason")}


# Read once at import: botocore's loader scans its whole data directory, far too slow to do per command.
_RULES = _load_rules()


def room_rule() -> FieldRule:
    return _RULES["room"]


def user_rule() -> FieldRule:
    return _RULES["user"]


def reason_rule() -> FieldRule:
    return _RULES["reason"]


class InvalidField(ValueError):
    """A field breaks a limit; the message names the field, the limit and what was given."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class KickRequest:
    """A validated request to disconnect one IVS Chat user from one room."""

    room_arn: str
    user_id: str
    reason: str | None = None

    @property
    def region(self) -> str:
        return region_of(self.room_arn)


def region_of(room_arn: str) -> str:
    return room_arn.split(":")[3]


def partition_of(room_arn: str) -> str:
    return room_arn.split(":")[1]


def shown(value: str) -> str:
    """What was given, quoted and shortened so a 10 kB paste does not flood the reply."""
    visible = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in value)
    if len(visible) > _SHOWN_CHARS:
        visible = visible[:_SHOWN_CHARS] + f"… ({len(value)} characters)"
    return f"\u201c{visible}\u201d"


# Characters that reorder how text around them is shown: in an audit post they could make one ID or reason
# read as another.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Characters that show as nothing (Unicode's Default_Ignorable_Code_Point, from DerivedCoreProperties.txt, with
# the line and paragraph separators and the blank braille pattern): any of them lets two IDs look the same.
_INVISIBLE_RANGES = (
    (0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5), (0x180B, 0x180F),
    (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x206F), (0x2800, 0x2800), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)  # fmt: skip
_ZERO_WIDTH_JOINER = "\u200d"  # joins emoji into one, as in 👨‍👩‍👧
_EMOJI_STYLE = "\ufe0e\ufe0f"  # text or emoji presentation of the symbol before it, as in ❤️
_KEYCAP = "\u20e3"  # 1️⃣ is 1, U+FE0F, U+20E3


def _is_symbol(ch: str) -> bool:
    return unicodedata.category(ch) in {"So", "Sk"}


def _part_of_an_emoji(value: str, at: int) -> bool:
    """The invisible character at `at` is a joiner or presentation selector inside an emoji sequence."""
    before, after = value[at - 1 : at], value[at + 1 : at + 2]
    if value[at] == _ZERO_WIDTH_JOINER:
        return bool(before and after) and (_is_symbol(before) or before in _EMOJI_STYLE) and _is_symbol(after)
    if value[at] in _EMOJI_STYLE:
        return bool(before) and (_is_symbol(before) or after == _KEYCAP)
    return False


def _is_invisible(ch: str) -> bool:
    point = ord(ch)
    return unicodedata.category(ch) == "Cf" or any(low <= point <= high for low, high in _INVISIBLE_RANGES)


def _has_control_chars(value: str, *, allow_newlines: bool) -> bool:
    allowed = "\n\t" if allow_newlines else ""
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in value)


def _first_unseen(value: str) -> int | None:
    """Where (0-based) the first character that cannot be seen is: a control character, or one that shows as
    nothing (zero-width spaces and joiners, fillers, direction marks, separators), which would let two IDs look
    the same; a joiner or presentation selector inside an emoji sequence is part of it, and allowed."""
    for at, ch in enumerate(value):
        if unicodedata.category(ch) == "Cc" or (_is_invisible(ch) and not _part_of_an_emoji(value, at)):
            return at
    return None


def check_unicode(field: str, label: str, value: str) -> None:
    """A lone surrogate (JSON can carry one as `\\ud800`) is not text: it cannot be stored, shown or sent to AWS."""
    at = first_lone_surrogate(value)
    if at is not None:
        raise InvalidField(
            field,
            f"{label} must be Unicode text, but character {at + 1} is a lone surrogate (U+{ord(value[at]):04X}), "
            f"half of a character cut in two; type it again. Got {shown(value)}.",
        )


def _check_length(field: str, label: str, value: str, rule: FieldRule) -> None:
    if not rule.min_len <= len(value) <= rule.max_len:
        raise InvalidField(
            field,
            f"{label} must be {rule.min_len}–{rule.max_len} characters; got {len(value)} characters: {shown(value)}.",
        )


def validate_room(value: str) -> str:
    rule = room_rule()
    if not (rule.min_len <= len(value) <= rule.max_len and rule.pattern and rule.pattern.fullmatch(value)):
        raise InvalidField(
            "room",
            f"Room must be an IVS Chat room ARN such as {EXAMPLE_ROOM_ARN} "
            f"(arn:aws:ivschat:<region>:<account>:room/<id>, at most {rule.max_len} characters); "
            f"got {shown(value)}.",
        )
    if not has_ivschat(region_of(value), partition_of(value)):
        raise InvalidField(
            "room",
            f"Room must be in a region where IVS Chat exists ({ivschat_regions_text()}); got region "
            f"{shown(region_of(value))} in {shown(value)}.",
        )
    return value


def validate_user(value: str) -> str:
    check_unicode("user", "User ID", value)
    _check_length("user", "User ID", value, user_rule())
    at = _first_unseen(value)
    if at is not None or not value.strip():
        which = "it is blank" if at is None else f"character {at + 1} is {_named(value[at])}"
        raise InvalidField(
            "user",
            "User ID must be visible text, without control characters, line breaks or characters that show as "
            f"nothing (zero-width spaces and joiners, fillers, text-direction marks), but {which}; got {shown(value)}.",
        )
    return value


def _named(ch: str) -> str:
    """A character as Unicode names it, such as `U+200B (ZERO WIDTH SPACE)`."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def validate_reason(value: str | None) -> str | None:
    """An absent or blank reason is None: DisconnectUser must not be sent an empty string."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    check_unicode("reason", "Reason", value)
    _check_length("reason", "Reason", value, reason_rule())
    if _has_control_chars(value, allow_newlines=True) or any(ch in _BIDI_CONTROLS for ch in value):
        raise InvalidField(
            "reason", f"Reason must not contain control or text-direction characters; got {shown(value)}."
        )
    return value


def validate_room_reference(value: str, *, every_room: bool = False) -> str:
    """A room ARN (checked against the model) or a name, ID or alias, which is resolved later; with `every_room`
    also ALL_ROOMS (`*`), which only bans, timeouts, unbans and the ban list accept."""
    if value == ALL_ROOMS:
        if every_room:
            return value
        raise InvalidField("room", ONE_ROOM)
    check_unicode("room", "Room", value)
    if value.lower().startswith("arn:"):
        return validate_room(value)
    if not _ROOM_REFERENCE.fullmatch(value):
        raise InvalidField(
            "room",
            f"Room must be a room ARN such as {EXAMPLE_ROOM_ARN}, a room ID, a room name or an alias from "
            f"IVS_KICK_ROOMS (1–128 letters, digits, - _ .); got {shown(value)}.",
        )
    return value


def validate_users(values: Iterable[str]) -> tuple[str, ...]:
    """Every ID checked, duplicates dropped (first one kept), at most MAX_USERS_PER_REQUEST, before anything runs."""
    users = tuple(dict.fromkeys(v.strip() for v in values if v.strip()))
    if not users:
        raise InvalidField("user", "User ID is missing: give one IVS Chat user ID, or several separated by commas.")
    if len(users) > MAX_USERS_PER_REQUEST:
        raise InvalidField(
            "user", f"At most {MAX_USERS_PER_REQUEST} user IDs per request; got {len(users)} different IDs."
        )
    for user in users:
        validate_user(user)
    return users


ONE_ROOM = (
    "Room must be one room for a kick: * (every room) is for ban, timeout, unban and bans, since a kick disconnects "
    "from one room; got \u201c*\u201d."
)


@dataclass(frozen=True)
class KickOrder:
    """What a moderator asked for: one room (as typed: ARN, ID, name or alias; for a ban also ALL_ROOMS), one or
    more users, one reason, and for a ban how long it holds (`term`; None: a kick only)."""

    room: str
    user_ids: tuple[str, ...]
    reason: str | None = None
    term: Term | None = None


def kick_order(room: str, users: Iterable[str], reason: str | None, term: Term | None = None) -> KickOrder:
    """Build an order, raising InvalidField for the first field that breaks a rule."""
    room = validate_room_reference(room, every_room=term is not None)
    return KickOrder(room, validate_users(users), validate_reason(reason), term)


@dataclass(frozen=True)
class UnbanOrder:
    """End the ban of one viewer in one room (as typed, or ALL_ROOMS) before it runs out."""

    room: str
    user_id: str
    reason: str | None = None


def unban_order(room: str, users: Iterable[str], reason: str | None) -> UnbanOrder:
    """Build an unban, raising InvalidField for the first field that breaks a rule: it names exactly one viewer."""
    room = validate_room_reference(room, every_room=True)
    ids = validate_users(users)
    if len(ids) > 1:
        raise InvalidField("user", f"Unban takes one user ID at a time; got {len(ids)}: {shown(', '.join(ids))}.")
    return UnbanOrder(room, ids[0], validate_reason(reason))
