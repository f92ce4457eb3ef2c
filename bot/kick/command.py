"""The `/ivs-kick` command text → a kick request, a request for help, or a parse error (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from .bans import ALL_ROOMS, MIN_TIMEOUT, PERMANENT, InvalidDuration, Term, duration_help, parse_duration
from .cases import Action
from .markup import clean, mentions, plain_text
from .request import (
    MAX_USERS_PER_REQUEST,
    InvalidField,
    KickOrder,
    UnbanOrder,
    check_unicode,
    kick_order,
    room_rule,
    shown,
    unban_order,
    validate_room_reference,
    validate_user,
    validate_users,
)

HISTORY_DEFAULT, HISTORY_MAX = 10, 50
USAGE = (
    "Usage: /ivs-kick <room> <user-id>[,<user-id>…] [reason]     (no arguments, or only a room: a form)\n"
    "  room      a room ARN (arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6), ID, name or alias\n"
    f"  user-id   the viewer's IVS Chat user ID; up to {MAX_USERS_PER_REQUEST} separated by commas during a raid,\n"
    "            with or without a space after each: raider1, raider2, raider3 raid\n"
    "            (quote one that contains spaces; an email or link is read as typed, a Slack @mention is refused)\n"
    "  reason    optional, up to 256 characters, bare or in quotes\n"
    "You will be asked to confirm, and may choose a Ban there: a kick alone lets the viewer rejoin.\n"
    "/ivs-kick ban <room> <user-id>[,<user-id>…] [reason]   a ban for good (room *: every room)\n"
    "/ivs-kick timeout <room> <user-id>[,<user-id>…] <duration> [reason]  a ban for 90m, 1h, 7d or 2w (up to 90 days)\n"
    "/ivs-kick unban <room> <user-id> [reason]   end a ban or timeout now\n"
    "/ivs-kick bans [room]                      the bans in force, newest first, each with an Unban button\n"
    f"/ivs-kick history <user-id|room-arn> [N]   the last N cases (default {HISTORY_DEFAULT}, at most {HISTORY_MAX})\n"
    "/ivs-kick case <number>                    one case in full"
)
# How each subcommand that acts on viewers is typed, for the message naming what is missing.
SYNTAX = {
    "ban": "/ivs-kick ban <room> <user-id>[,<user-id>…] [reason]",
    "timeout": "/ivs-kick timeout <room> <user-id>[,<user-id>…] <duration> [reason]",
    "unban": "/ivs-kick unban <room> <user-id> [reason]",
}

_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


@dataclass(frozen=True)
class Help:
    """The user asked for usage, or typed nothing."""


@dataclass(frozen=True)
class ParseError:
    field: str
    message: str
    # What the command tried to do to a viewer (a kick, a ban, an unban): such an attempt is a case even when it
    # cannot be understood. None for a look-up (history, case, bans).
    action: Action | None = None


@dataclass(frozen=True)
class HistoryQuery:
    """The latest cases for one IVS user or one room."""

    user_id: str | None
    room_arn: str | None
    limit: int = HISTORY_DEFAULT


@dataclass(frozen=True)
class CaseQuery:
    number: int


@dataclass(frozen=True)
class BansQuery:
    """The bans in force: in one room (as typed; with the bans on every room too), only those on every room
    (ALL_ROOMS), or everywhere (None)."""

    room: str | None = None


@dataclass(frozen=True)
class FormRequest:
    """No arguments, or only a room: ask for the rest in a form, with what was given filled in."""

    room: str | None = None


Parsed = KickOrder | UnbanOrder | Help | ParseError | HistoryQuery | CaseQuery | BansQuery | FormRequest


def command_as_typed(text: str) -> str:
    """The command text to keep on record: as the person saw it (`markup.plain_text`), any lone surrogate as
    U+FFFD, so that even text that is refused can be stored and exported."""
    return clean(plain_text(text or ""))


def _field_text(raw: str, field: str, label: str, expected: str) -> str:
    """One word of command text as typed; a Slack mention where an IVS Chat identity belongs is refused."""
    found = mentions(raw)
    if found:
        raise InvalidField(
            field,
            f"{label} must be {expected}, not a Slack mention (Slack members, channels and user groups have no IVS "
            f"Chat identity); got {found[0].describe()}.",
        )
    return plain_text(raw)


def _user_text(raw: str) -> str:
    return _field_text(raw, "user", "User ID", "the viewer's IVS Chat user ID")


def _room_text(raw: str) -> str:
    return _field_text(raw, "room", "Room", "a room ARN, ID, name or alias")


def _take_token(text: str, stops: str = "") -> tuple[str, str]:
    """Split off the first word (ending at a space or at one of `stops`), or a quoted phrase: (token, rest).

    Slack markup (`<…>`) is one piece of a word even when its label holds spaces or commas."""
    text = text.lstrip()
    closing = _QUOTES.get(text[:1])
    if closing:
        end = text.find(closing, 1)
        if end > 0:
            return text[1:end], text[end + 1 :]
    at = 0
    while at < len(text) and not text[at].isspace() and text[at] not in stops:
        closes = text.find(">", at) if text[at] == "<" else -1
        at = closes + 1 if closes > 0 else at + 1
    return text[:at], text[at:]


def _take_users(text: str) -> tuple[list[str], str]:
    """Split off a list of user IDs: words separated by commas, with or without spaces after them
    (`raider1, raider2,raider3`); the first word not after a comma begins the reason. (IDs, rest)."""
    users = []
    while True:
        user, text = _take_token(text, stops=",")
        users.append(user)
        after = text.lstrip()
        if not after.startswith(","):
            return users, text
        text = after[1:]


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and _QUOTES.get(text[0]) == text[-1]:
        return text[1:-1]
    return text


def _whole_number(field: str, label: str, text: str, low: int, high: int) -> int | ParseError:
    if text.isascii() and text.isdecimal() and len(text) <= len(str(high)) and low <= int(text) <= high:
        return int(text)
    return ParseError(field, f"{label} must be a whole number from {low} to {high}; got {shown(text)}.")


def _history(rest: str) -> HistoryQuery | ParseError:
    if not rest.strip():
        return ParseError(
            "subject", "history needs an IVS user ID or a room ARN: /ivs-kick history <user-id|room-arn> [N]"
        )
    subject, rest = _take_token(rest)
    count = plain_text(rest).strip()
    limit = _whole_number("count", "N", count, 1, HISTORY_MAX) if count else HISTORY_DEFAULT
    if isinstance(limit, ParseError):
        return limit
    try:
        subject = _user_text(subject)
        pattern = room_rule().pattern
        if subject == ALL_ROOMS or (pattern and pattern.fullmatch(subject)):
            return HistoryQuery(None, subject, limit)
        return HistoryQuery(validate_user(subject), None, limit)
    except InvalidField as problem:
        return ParseError(problem.field, problem.message)


def _case(rest: str) -> CaseQuery | ParseError:
    number = _whole_number("case", "The case number", plain_text(rest).strip().lstrip("#"), 1, 10**12)
    return number if isinstance(number, ParseError) else CaseQuery(number)


def _duration(rest: str, shortest: timedelta) -> tuple[Term, str]:
    """A timeout's duration, the word after its users: (term, rest); InvalidField("duration") if absent or bad."""
    word, rest = _take_token(rest)
    given = plain_text(word)
    if not given.strip():
        raise InvalidField(
            "duration",
            f"Duration is missing: give {duration_help(shortest)} after the user IDs, as in {SYNTAX['timeout']}.",
        )
    check_unicode("duration", "Duration", given)  # a lone surrogate can be neither shown nor kept on record
    try:
        return Term(parse_duration(given, shortest)), rest
    except InvalidDuration as problem:
        raise InvalidField("duration", str(problem)) from None


def _ban_or_unban(keyword: str, rest: str, shortest: timedelta) -> KickOrder | UnbanOrder | ParseError:
    """`ban`, `timeout` and `unban`: a room (or * for every room), then users, then a duration for a timeout."""
    action = Action.UNBAN if keyword == "unban" else Action.BAN
    if not rest.strip():
        return ParseError("room", f"Room and user ID are missing: {SYNTAX[keyword]}", action)
    first, rest = _take_token(rest)
    try:
        room = validate_room_reference(_room_text(first), every_room=True)
        words, rest = _take_users(rest)
        users = validate_users(_user_text(user) for user in words)
        term = PERMANENT
        if keyword == "timeout":
            term, rest = _duration(rest, shortest)
        reason = plain_text(_unquote(rest)) or None
        return unban_order(room, users, reason) if keyword == "unban" else kick_order(room, users, reason, term)
    except InvalidField as problem:
        return ParseError(problem.field, problem.message, action)


def _bans(rest: str) -> BansQuery | ParseError:
    if not rest.strip():
        return BansQuery()
    first, extra = _take_token(rest)
    if extra.strip():
        return ParseError("room", f"bans takes at most one room: /ivs-kick bans [room]; got {shown(rest.strip())}.")
    try:
        return BansQuery(validate_room_reference(_room_text(first), every_room=True))
    except InvalidField as problem:
        return ParseError(problem.field, problem.message)


def parse_command(text: str, shortest: timedelta = MIN_TIMEOUT) -> Parsed:
    """Command text exactly as Slack sends it (entities and markup still in place) → what was asked for.
    `shortest`: the shortest timeout allowed (IVS_KICK_SHORTEST_TIMEOUT)."""
    raw = (text or "").strip()
    if not raw:
        return FormRequest()
    if plain_text(raw).strip().lower() in {"help", "-h", "--help"}:
        return Help()
    first, rest = _take_token(raw)
    keyword = plain_text(first).lower()
    if keyword == "history":
        return _history(rest)
    if keyword == "case":
        return _case(rest)
    if keyword in SYNTAX:
        return _ban_or_unban(keyword, rest, shortest)
    if keyword == "bans":
        return _bans(rest)
    try:
        room = validate_room_reference(_room_text(first))
        if not rest.strip():
            return FormRequest(room)
        users, rest = _take_users(rest)
        return kick_order(room, [_user_text(user) for user in users], plain_text(_unquote(rest)) or None)
    except InvalidField as problem:
        return ParseError(problem.field, problem.message, Action.KICK)
