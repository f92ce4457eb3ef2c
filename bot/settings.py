"""Environment → one frozen Settings. Every problem is reported at once, and no secret is ever echoed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

from .kick.bans import MAX_TIMEOUT, MIN_TIMEOUT, InvalidDuration, parse_duration
from .kick.ivs import DEFAULT_DISCONNECTS_PER_SECOND
from .kick.rooms import parse_aliases, parse_regions
from .store import DEFAULT_DB, StoreChoice, choose_store

DEFAULT_API_URL = "https://slack.com/api/"
DEFAULT_PORT = 3000
MAX_WEB_CONCURRENCY = 64  # gunicorn suggests 2-4 workers a core; more only multiplies caches and connections
DEFAULT_MODERATOR_CACHE_SECONDS = 60.0

# The IDs the README and .env.example give as examples: a copied example names no real channel, group or user.
EXAMPLE_CHANNEL, EXAMPLE_GROUP, EXAMPLE_USER = "C0123ABCDEF", "S0123ABCDEF", "U0123ABCDEF"
# What follows a real token's prefix: letters, digits and '-', with the numeric IDs Slack puts in every token
# (xoxb-17653672481-19874698323-pdFZ…, xapp-1-A0123456789-…). Words alone (xoxb-your-bot-token) are a placeholder.
_TOKEN_BODY = re.compile(r"[A-Za-z0-9-]*[0-9][A-Za-z0-9-]*")
_CHANNEL_ID = re.compile(r"[CG][A-Z0-9]{2,31}")
_GROUP_ID = re.compile(r"S[A-Z0-9]{2,31}")
_USER_ID = re.compile(r"[UW][A-Z0-9]{2,31}")
_ROLE_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}")


@dataclass(frozen=True)
class Settings:
    bot_token: str
    signing_secret: str | None
    app_token: str | None
    api_url: str
    audit_channel: str
    moderator_group: str | None
    moderators: frozenset[str]
    port: int = DEFAULT_PORT
    moderator_cache_seconds: float = DEFAULT_MODERATOR_CACHE_SECONDS
    log_level: str = "INFO"
    store: StoreChoice = StoreChoice("sqlite", DEFAULT_DB)
    role_arn: str | None = None
    regions: tuple[str, ...] = ()
    room_aliases: Mapping[str, str] = field(default_factory=dict)
    disconnects_per_second: float = DEFAULT_DISCONNECTS_PER_SECOND
    shortest_timeout: timedelta = MIN_TIMEOUT

    @property
    def socket_mode(self) -> bool:
        return bool(self.app_token)

    @property
    def slack_host(self) -> str:
        """slack.com, or slack-gov.com for GovSlack: where message links point."""
        return urlparse(self.api_url).hostname or "slack.com"

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log line."""
        return tuple(s for s in (self.bot_token, self.signing_secret, self.app_token) if s)


class SettingsError(Exception):
    """The environment cannot run the bot; `problems` holds one plain sentence per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _token_hint(value: str) -> str:
    """Name a token's kind by its prefix (e.g. xoxp-) without revealing any of its secret part."""
    match = re.match(r"(xox[a-z]|xapp)-", value)
    return f"a value starting with {match.group(0)}" if match else f"a value of {len(value)} characters"


def _example_id(name: str, example: str, where: str) -> str:
    return f"{name} has {example}, the example ID from the README and .env.example; set your own ({where})."


def _token(env: Mapping[str, str], name: str, prefix: str, what: str, problems: list[str]) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        problems.append(f"{name} is not set. Set it in .env or the environment to {what} ({prefix}…).")
        return None
    if not value.startswith(prefix):
        problems.append(f"{name} must be {what}, starting with {prefix}; got {_token_hint(value)}.")
    elif not _TOKEN_BODY.fullmatch(value[len(prefix) :]):
        problems.append(
            f"{name} is a placeholder, not a token: after {prefix} a token has letters, digits and '-', with "
            f"Slack's numeric IDs (.env.example's value is a placeholder too). Set it to {what}."
        )
    return value


def _api_url(env: Mapping[str, str], problems: list[str]) -> str:
    value = env.get("SLACK_API_URL", "").strip() or DEFAULT_API_URL
    parsed = urlparse(value)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        problems.append(
            f"SLACK_API_URL must be an http(s) URL such as {DEFAULT_API_URL} "
            f"(GovSlack: https://slack-gov.com/api/); got {value!r}."
        )
    return value if value.endswith("/") else value + "/"


def _number(env: Mapping[str, str], name: str, default: float, low: float, high: float, problems: list[str]) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not low <= value <= high:
        problems.append(f"{name} must be a number from {low:g} to {high:g}; got {raw!r}.")
        return default
    return value


def _whole(env: Mapping[str, str], name: str, default: int, low: int, high: int, problems: list[str]) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit() and low <= int(raw) <= high):
        problems.append(f"{name} must be a whole number from {low} to {high}; got {raw[:20]!r}.")
        return default
    return int(raw)


def _shortest_timeout(env: Mapping[str, str], problems: list[str]) -> timedelta:
    """IVS_KICK_SHORTEST_TIMEOUT: a duration like 1m or 5s, from 1 second to 90 days (default MIN_TIMEOUT)."""
    raw = env.get("IVS_KICK_SHORTEST_TIMEOUT", "").strip()
    if not raw:
        return MIN_TIMEOUT
    try:
        return parse_duration(raw, shortest=timedelta(seconds=1))
    except InvalidDuration:
        problems.append(
            "IVS_KICK_SHORTEST_TIMEOUT must be a duration like 1m or 5s (a number followed by s, m, h, d or w), "
            f"from 1 second to {MAX_TIMEOUT.days} days; got {raw[:20]!r}."
        )
        return MIN_TIMEOUT


def load_settings(env: Mapping[str, str], *, serves_http: bool | None = None) -> Settings:
    """Read the settings, raising SettingsError that lists every problem found.

    `serves_http`: True for a process that serves Slack over HTTP whatever else is set (the WSGI entry point),
    None when SLACK_APP_TOKEN decides (`python -m bot`). Serving HTTP always needs SLACK_SIGNING_SECRET.
    """
    problems: list[str] = []
    app_token = env.get("SLACK_APP_TOKEN", "").strip() or None
    bot_token = _token(env, "SLACK_BOT_TOKEN", "xoxb-", "the Bot User OAuth Token", problems)
    if app_token:
        _token(env, "SLACK_APP_TOKEN", "xapp-", "an app-level token with the connections:write scope", problems)
    signing_secret = env.get("SLACK_SIGNING_SECRET", "").strip() or None
    if serves_http and not signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is not set. The HTTP server (the Procfile's web: process, bot.wsgi:application) "
            "verifies every request from Slack with the Signing Secret from your app's Basic Information page, "
            "whatever else is set. For Socket Mode run the worker: process (python -m bot with SLACK_APP_TOKEN) "
            "instead."
        )
    elif not app_token and not signing_secret:
        problems.append(
            "SLACK_SIGNING_SECRET is not set. HTTP mode (no SLACK_APP_TOKEN) needs the Signing Secret from "
            "your app's Basic Information page; or set SLACK_APP_TOKEN (xapp-…) to run in Socket Mode."
        )

    audit_channel = env.get("IVS_KICK_AUDIT_CHANNEL", "").strip()
    if not audit_channel:
        problems.append(
            "IVS_KICK_AUDIT_CHANNEL is not set. Set it to the ID of the channel that receives audit records "
            f"(like {EXAMPLE_CHANNEL}: channel details → About → Channel ID)."
        )
    elif not _CHANNEL_ID.fullmatch(audit_channel):
        problems.append(
            f"IVS_KICK_AUDIT_CHANNEL must be a channel ID like {EXAMPLE_CHANNEL}, not a name "
            f"(channel details → About → Channel ID); got {audit_channel[:40]!r}."
        )
    elif audit_channel == EXAMPLE_CHANNEL:
        problems.append(_example_id("IVS_KICK_AUDIT_CHANNEL", EXAMPLE_CHANNEL, "channel details → About → Channel ID"))

    group = env.get("IVS_KICK_MODERATOR_GROUP", "").strip() or None
    if group and not _GROUP_ID.fullmatch(group):
        problems.append(
            f"IVS_KICK_MODERATOR_GROUP must be a user group ID like {EXAMPLE_GROUP}, not a handle; got {group[:40]!r}."
        )
    elif group == EXAMPLE_GROUP:
        problems.append(_example_id("IVS_KICK_MODERATOR_GROUP", EXAMPLE_GROUP, "the group's page URL"))
    moderators = frozenset(u.strip() for u in env.get("IVS_KICK_MODERATORS", "").split(",") if u.strip())
    bad_users = sorted(u for u in moderators if not _USER_ID.fullmatch(u))
    if bad_users:
        problems.append(
            f"IVS_KICK_MODERATORS must be comma-separated Slack user IDs like {EXAMPLE_USER} (profile → ⋮ → "
            f"Copy member ID); not valid: {', '.join(repr(u[:40]) for u in bad_users[:5])}."
        )
    elif EXAMPLE_USER in moderators:
        problems.append(_example_id("IVS_KICK_MODERATORS", EXAMPLE_USER, "profile → ⋮ → Copy member ID"))

    port = _whole(env, "PORT", DEFAULT_PORT, 1, 65535, problems)
    # gunicorn's worker processes (bot/gunicorn_conf.py reads it); checked here so a bad value stops start-up
    # with the other problems instead of a traceback or a server with no worker.
    _whole(env, "WEB_CONCURRENCY", 1, 1, MAX_WEB_CONCURRENCY, problems)
    cache_seconds = _number(env, "IVS_KICK_MODERATOR_CACHE_SECONDS", DEFAULT_MODERATOR_CACHE_SECONDS, 0, 3600, problems)
    log_level = env.get("LOG_LEVEL", "INFO").strip().upper() or "INFO"
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        problems.append(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR; got {log_level[:20]!r}.")

    api_url = _api_url(env, problems)
    try:
        store = choose_store(env)
    except ValueError as problem:
        problems.append(str(problem))
    regions: tuple[str, ...] = ()
    aliases: dict[str, str] = {}
    try:
        regions = parse_regions(env.get("IVS_KICK_REGIONS", ""))
    except ValueError as problem:
        problems.append(str(problem))
    try:
        aliases = parse_aliases(env.get("IVS_KICK_ROOMS", ""))
    except ValueError as problem:
        problems.append(str(problem))
    tps = _number(env, "IVS_KICK_DISCONNECT_TPS", DEFAULT_DISCONNECTS_PER_SECOND, 1, 99, problems)
    shortest_timeout = _shortest_timeout(env, problems)
    role_arn = env.get("IVS_KICK_ROLE_ARN", "").strip() or None
    if role_arn and not _ROLE_ARN.fullmatch(role_arn):
        problems.append(
            "IVS_KICK_ROLE_ARN must be an IAM role ARN like arn:aws:iam::123456789012:role/ivs-kick-moderator; "
            f"got {role_arn[:80]!r}."
        )
    if problems:
        raise SettingsError(problems)
    assert bot_token is not None
    return Settings(
        bot_token=bot_token,
        signing_secret=signing_secret,
        app_token=app_token,
        api_url=api_url,
        audit_channel=audit_channel,
        moderator_group=group,
        moderators=moderators,
        port=port,
        moderator_cache_seconds=cache_seconds,
        log_level=log_level,
        store=store,
        role_arn=role_arn,
        regions=regions,
        room_aliases=aliases,
        disconnects_per_second=tps,
        shortest_timeout=shortest_timeout,
    )
