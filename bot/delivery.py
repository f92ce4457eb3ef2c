"""Talking to Slack's Web API: the client with retry handlers, the audit post and private replies."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.webhook import WebhookClient

from .kick.audit import AUDIT_EVENT, AuditRecord
from .kick.moderators import FetchGroup, GroupUnavailable

log = logging.getLogger(__name__)
# The SDK's clients test their logger's own level, not the effective one, before building each debug line
# (the whole request and response, on every call); one named logger with a level set in logs.py spares that.
SDK_LOG = logging.getLogger("slack_sdk")

_TRANSIENT_ERRORS = {"ratelimited", "internal_error", "fatal_error", "request_timeout", "service_unavailable"}
_AUDIT_EXPLANATIONS = {
    "not_in_channel": "the bot is not a member of that channel. Invite it there (/invite @ivs-kick).",
    "channel_not_found": "Slack has no such channel for this bot. Check IVS_KICK_AUDIT_CHANNEL (a channel ID "
    "like C0123ABCDEF) and, for a private channel, invite the bot.",
    "is_archived": "the channel is archived. Unarchive it or set IVS_KICK_AUDIT_CHANNEL to another channel.",
    "ratelimited": "Slack kept rate limiting the post after several retries.",
    "invalid_auth": "Slack rejected the bot token. Check SLACK_BOT_TOKEN.",
    "missing_scope": "the bot token lacks the chat:write scope. Reinstall the app from manifest.yml.",
}


def retry_handlers() -> list[RetryHandler]:
    """Retry what Slack asks to be retried: 429 after Retry-After, 5xx and dropped connections."""
    return [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
        ServerErrorRetryHandler(max_retry_count=2),
    ]


def audit_retry_handlers() -> list[RetryHandler]:
    """For audit posts, retry only what Slack refused outright (429): after a dropped connection or a 5xx the
    post may have landed, so the outbox retries instead, looking for it in the channel's history first."""
    return [RateLimitErrorRetryHandler(max_retry_count=3)]


def web_client(token: str, api_url: str, handlers: list[RetryHandler] | None = None) -> WebClient:
    return WebClient(
        token=token, base_url=api_url, timeout=10, logger=SDK_LOG,
        retry_handlers=retry_handlers() if handlers is None else handlers,
    )  # fmt: skip


class SlackUnavailable(Exception):
    """Slack did not confirm the bot token at start: it refused it, could not be reached, or did not answer.
    `str()` is one sentence for an operator, naming SLACK_API_URL's value and the settings to check."""


def _timed_out(error: BaseException) -> bool:
    reason = getattr(error, "reason", None)  # urllib wraps a connect timeout in URLError
    return isinstance(error, TimeoutError) or isinstance(reason, TimeoutError)


def unavailable(client: WebClient, call: str, error: Exception) -> SlackUnavailable:
    """Why `call` (a Web API method, at start) failed, in an operator's words: Slack's own error code, a timeout
    (Slack accepted the connection but did not answer) or a connection that failed."""
    where = f"Slack at {client.base_url}"
    if isinstance(error, SlackApiError):
        code = slack_error(error)
        why = f"{where} refused the bot: {call} answered {code}. Check SLACK_BOT_TOKEN and SLACK_APP_TOKEN."
    elif _timed_out(error):
        why = (
            f"{where} is not answering: {call} got no answer within {client.timeout} s. Check SLACK_API_URL and "
            "that this host can reach it (proxy, firewall)."
        )
    else:
        reason = getattr(error, "reason", None) or error
        why = f"{where} could not be reached ({type(reason).__name__}: {reason}). Check SLACK_API_URL and the network."
    return SlackUnavailable(why)


def confirmed_token(client: WebClient) -> dict[str, Any]:
    """auth.test: who the bot token belongs to (`team_id`, `enterprise_id`, …), or SlackUnavailable."""
    try:
        answer = client.auth_test()
    except (SlackClientError, OSError) as error:  # OSError: a timeout or refused connection, from urllib
        raise unavailable(client, "auth.test", error) from error
    return answer.data if isinstance(answer.data, dict) else {}


def slack_error(error: Exception) -> str:
    """Slack's error code, or what went wrong on the way to Slack (a timeout, a dropped connection)."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or f"HTTP {error.response.status_code}")
    return f"{type(error).__name__}: {_on_the_way(error)}"


def _on_the_way(error: Exception) -> str:
    """What went wrong between the bot and Slack, in words: no answer in time, or no connection."""
    reason = getattr(error, "reason", None)  # urllib wraps a timeout in URLError
    if isinstance(error, TimeoutError) or isinstance(reason, TimeoutError):
        return "Slack did not answer in time"
    return "could not reach Slack"


def _post_failure(error: Exception) -> str:
    """Why a post or an update failed, in words an admin can act on."""
    if isinstance(error, SlackApiError):
        code = slack_error(error)
        return _AUDIT_EXPLANATIONS.get(code, f"Slack answered {code}.")
    return f"{_on_the_way(error).capitalize()} ({type(error).__name__})."


def group_fetcher(client: WebClient) -> FetchGroup:
    """`usergroups.users.list` as the moderator directory wants it: member IDs, or GroupUnavailable."""

    def fetch(group_id: str) -> Iterable[str]:
        try:
            response = client.usergroups_users_list(usergroup=group_id)
        except SlackApiError as error:
            code = slack_error(error)
            transient = error.response.status_code in {429, 500, 502, 503, 504} or code in _TRANSIENT_ERRORS
            raise GroupUnavailable(f"usergroups.users.list for {group_id} failed: {code}", transient=transient)
        except (SlackClientError, OSError) as error:
            raise GroupUnavailable(
                f"usergroups.users.list: {_on_the_way(error)} ({type(error).__name__})", transient=True
            )
        return response.get("users") or []

    return fetch


@dataclass(frozen=True)
class Posted:
    """Slack's answer to a post: the message's ts, or why it was refused in words an admin can act on."""

    ts: str | None = None
    error: str | None = None


def post_message(client: WebClient, channel: str, record: AuditRecord) -> Posted:
    try:
        response = client.chat_postMessage(
            channel=channel, text=record.text, blocks=record.blocks, metadata=record.metadata, unfurl_links=False
        )
    except (SlackClientError, OSError) as error:
        log.error("audit post failed", extra={"fields": {"channel": channel, "error": slack_error(error)}})
        return Posted(error=_post_failure(error))
    return Posted(ts=response.get("ts"))


HISTORY_PAGES = 10


def find_posted(client: WebClient, channel: str, case_number: int, since: datetime) -> str | None:
    """The ts of this case's audit post if Slack already has it (an earlier try whose answer was lost, or a
    process that died before recording it), found by the message metadata every audit post carries."""
    cursor = None
    try:
        for _ in range(HISTORY_PAGES):
            page = client.conversations_history(
                channel=channel, oldest=f"{since.timestamp() - 60:.6f}", include_all_metadata=True, limit=200,
                cursor=cursor,
            )  # fmt: skip
            for message in page.get("messages") or []:
                metadata = message.get("metadata") or {}
                if (
                    metadata.get("event_type") == AUDIT_EVENT
                    and metadata.get("event_payload", {}).get("case") == case_number
                ):
                    return str(message["ts"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return None
    except (SlackClientError, OSError) as error:
        log.warning(
            "audit history look-up failed", extra={"fields": {"case": case_number, "error": slack_error(error)}}
        )
    return None


def update_message(client: WebClient, channel: str, ts: str, record: AuditRecord) -> Posted:
    try:
        client.chat_update(channel=channel, ts=ts, text=record.text, blocks=record.blocks)
    except (SlackClientError, OSError) as error:
        log.error("audit update failed", extra={"fields": {"channel": channel, "error": slack_error(error)}})
        return Posted(error=_post_failure(error))
    return Posted(ts=ts)


# Slack: a response_url "can be used up to five times within 30 minutes" of the command or interaction; past
# either limit it answers 404 `expired_url` or `used_url`.
RESPONSE_URL_POSTS = 5
RESPONSE_URL_SECONDS = 30 * 60
_GONE = {"expired_url", "used_url"}


class ResponseUrlPosts:
    """Posts this process has made to each response_url, so none is used more than five times: a raid's progress
    notes give way before the post that tells its outcome. Kept by the URL's hash (the URL is a bearer link) and
    forgotten after the URL's 30 minutes. A URL used by another process too is refused by Slack (`used_url`),
    and the caller falls back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._posts: dict[str, tuple[float, int]] = {}  # hash -> (first post, monotonic; posts made)

    @staticmethod
    def _key(url: str) -> str:
        return hashlib.sha256(url.encode()).hexdigest()

    def left(self, url: str) -> int:
        with self._lock:
            return RESPONSE_URL_POSTS - self._posts.get(self._key(url), (0.0, 0))[1]

    def take(self, url: str) -> bool:
        """Count one more post to `url`; False (and nothing counted) when it has had its five."""
        now = time.monotonic()
        with self._lock:
            for key in [k for k, (first, _) in self._posts.items() if now - first > RESPONSE_URL_SECONDS]:
                del self._posts[key]
            first, posts = self._posts.get(self._key(url), (now, 0))
            if posts >= RESPONSE_URL_POSTS:
                return False
            self._posts[self._key(url)] = (first, posts + 1)
            return True

    def use_up(self, url: str) -> None:
        """Slack said the URL is expired or used up: post no more to it."""
        with self._lock:
            first, _ = self._posts.get(self._key(url), (time.monotonic(), 0))
            self._posts[self._key(url)] = (first, RESPONSE_URL_POSTS)


RESPONSE_URLS = ResponseUrlPosts()


def reply_privately(
    response_url: str | None, text: str, blocks: list[dict[str, Any]] | None = None, *, replace: bool = False
) -> bool:
    """An ephemeral message to the moderator through the command's response URL (no channel membership needed).

    False when it was not shown: no URL, its five posts spent, expired (30 minutes), or refused by Slack.
    """
    if not response_url:
        log.error("no response_url to reply to the moderator")
        return False
    if not RESPONSE_URLS.take(response_url):
        log.warning("response_url used up", extra={"fields": {"posts": RESPONSE_URL_POSTS}})
        return False
    try:
        response = WebhookClient(response_url, timeout=10, logger=SDK_LOG, retry_handlers=retry_handlers()).send(
            text=text, blocks=blocks, response_type="ephemeral", replace_original=replace
        )
    except OSError as error:
        log.error("private reply failed", extra={"fields": {"error": type(error).__name__}})
        return False
    if response.status_code != 200:
        fields = {"status": response.status_code, "body": response.body[:200]}
        if response.body in _GONE:  # past its 30 minutes or five posts: expected, and the caller falls back
            RESPONSE_URLS.use_up(response_url)
            log.info("response_url gone", extra={"fields": fields})
        else:
            log.error("private reply refused", extra={"fields": fields})
        return False
    return True


@dataclass(frozen=True)
class Moderator:
    """Whom to tell an outcome privately, and where: the response_url of their command or click, else an
    ephemeral message in the channel they used it in, else a direct message from the bot."""

    user_id: str
    channel_id: str | None
    response_url: str | None


def tell(
    client: WebClient, to: Moderator, text: str, blocks: list[dict[str, Any]] | None = None, *, replace: bool = False
) -> str | None:
    """Deliver a private message however Slack allows: "response_url", "ephemeral" (chat.postEphemeral, which
    needs the bot in that channel) or "direct_message" (conversations.open, im:write); None if all failed."""
    if reply_privately(to.response_url, text, blocks, replace=replace):
        return "response_url"
    kwargs: dict[str, Any] = {"text": text} | ({"blocks": blocks} if blocks else {})
    failures: list[str] = []
    if to.channel_id:
        try:
            client.chat_postEphemeral(channel=to.channel_id, user=to.user_id, **kwargs)
            log.info("private reply fell back", extra={"fields": {"via": "ephemeral"}})
            return "ephemeral"
        except (SlackClientError, OSError) as error:
            failures.append(f"chat.postEphemeral: {slack_error(error)}")
    try:
        channel = client.conversations_open(users=to.user_id)["channel"]["id"]
        client.chat_postMessage(channel=channel, unfurl_links=False, **kwargs)
        log.info("private reply fell back", extra={"fields": {"via": "direct_message", "after": failures}})
        return "direct_message"
    except (SlackClientError, OSError) as error:
        failures.append(f"direct message: {slack_error(error)}")
    log.error("moderator not told", extra={"fields": {"moderator": to.user_id, "errors": failures}})
    return None
