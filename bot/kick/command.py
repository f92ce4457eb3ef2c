"""The `/ivs-kick` command text → a kick request, a request for help, or a parse error (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from .request import InvalidField, KickRequest, kick_request

USAGE = (
    "Usage: /ivs-kick <room-arn> <user-id> [reason]\n"
    "  room-arn  the IVS Chat room ARN, e.g. arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6\n"
    "  user-id   the viewer's IVS Chat user ID (quote it if it contains spaces)\n"
    "  reason    optional, up to 256 characters, bare or in quotes\n"
    "You will be asked to confirm. A disconnect is a kick, not a ban: the viewer can rejoin "
    "if their app gives them a new chat token."
)

_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019"}


@dataclass(frozen=True)
class Help:
    """The user asked for usage, or typed nothing."""


@dataclass(frozen=True)
class ParseError:
    field: str
    message: str


Parsed = KickRequest | Help | ParseError


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


def parse_command(text: str) -> Parsed:
    text = unescape_slack(text or "").strip()
    if not text or text.lower() in {"help", "-h", "--help"}:
        return Help()
    room, rest = _take_token(text)
    if not rest.strip():
        return ParseError("user", "User ID is missing. " + USAGE.splitlines()[0])
    user, rest = _take_token(rest)
    try:
        return kick_request(room, user, _unquote(rest) or None)
    except InvalidField as problem:
        return ParseError(problem.field, problem.message)
