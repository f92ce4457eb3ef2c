"""The `/ivs-kick` command text → a kick request, a request for help, or a parse error (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from .request import (
    MAX_USERS_PER_REQUEST,
    InvalidField,
    KickOrder,
    kick_order,
    room_rule,
    shown,
    validate_room_reference,
    validate_user,
)

HISTORY_DEFAULT, HISTORY_MAX = 10, 50
USAGE = (
    "Usage: /ivs-kick <room> <user-id>[,<user-id>…] [reason]     (no arguments, or only a room: a form)\n"
    "  room      a room ARN (arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6), ID, name or alias\n"
    f"  user-id   the viewer's IVS Chat user ID; up to {MAX_USERS_PER_REQUEST} separated by commas during a raid\n"
    "            (quote one that contains spaces)\n"
    "  reason    optional, up to 256 characters, bare or in quotes\n"
    "You will be asked to confirm. A disconnect is a kick, not a ban: the viewer can rejoin "
    "if their app gives them a new chat token.\n"
    f"/ivs-kick history <user-id|room-arn> [N]   the last N cases (default {HISTORY_DEFAULT}, at most {HISTORY_MAX})\n"
    "/ivs-kick case <number>                    one case in full"
)

_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


@dataclass(frozen=True)
class Help:
    """The user asked for usage, or typed nothing."""


@dataclass(frozen=True)
class ParseError:
    field: str
    message: str


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
class FormRequest:
    """No arguments, or only a room: ask for the rest in a form, with what was given filled in."""

    room: str | None = None


Parsed = KickOrder | Help | ParseError | HistoryQuery | CaseQuery | FormRequest


def unescape_slack(text: str) -> str:
    """Slack sends `&`, `<` and `>` in command text as HTML entities; recover what was typed."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _take_token(text: str) -> tuple[str, str]:
    """Split off the first word, or a quoted phrase, returning (token, rest)."""
    text = text.lstrip()
    closing = _QUOTES.get(text[:1])
    if closing:
        end = text.find(closing, 1)
        if end > 0:
            return text[1:end], text[end + 1 :]
    parts = text.split(None, 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


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
    limit = _whole_number("count", "N", rest.strip(), 1, HISTORY_MAX) if rest.strip() else HISTORY_DEFAULT
    if isinstance(limit, ParseError):
        return limit
    pattern = room_rule().pattern
    if pattern and pattern.fullmatch(subject):
        return HistoryQuery(None, subject, limit)
    try:
        return HistoryQuery(validate_user(subject), None, limit)
    except InvalidField as problem:
        return ParseError(problem.field, problem.message)


def _case(rest: str) -> CaseQuery | ParseError:
    number = _whole_number("case", "The case number", rest.strip().lstrip("#"), 1, 10**12)
    return number if isinstance(number, ParseError) else CaseQuery(number)


def parse_command(text: str) -> Parsed:
    text = unescape_slack(text or "").strip()
    if not text:
        return FormRequest()
    if text.lower() in {"help", "-h", "--help"}:
        return Help()
    room, rest = _take_token(text)
    if room.lower() == "history":
        return _history(rest)
    if room.lower() == "case":
        return _case(rest)
    if not rest.strip():
        try:
            return FormRequest(validate_room_reference(room))
        except InvalidField as problem:
            return ParseError(problem.field, problem.message)
    quoted = rest.lstrip()[:1] in _QUOTES
    user, rest = _take_token(rest)
    users = [user] if quoted else user.split(",")
    try:
        return kick_order(room, users, _unquote(rest) or None)
    except InvalidField as problem:
        return ParseError(problem.field, problem.message)
