"""A local Slack for tests: Web API, response URLs and Socket Mode on 127.0.0.1.

The bot under test is pointed at it with ``SLACK_API_URL=<fake.api_url>`` and
must behave exactly as it would against Slack.  The fake is deliberately
strict: it enforces the token types, trigger lifetimes, view/block limits,
channel membership and rate limits that Slack enforces, and holds the bot's
acks to Slack's rules and its 3 s (``send_envelope``, ``post_to_app``), so
that a bot which misuses the API fails here instead of in production.

Wire formats the fake accepts (what slack_sdk's sync ``WebClient`` sends):
every call is an HTTP POST, either ``application/json`` (``views.*``,
``chat.post*``) or ``application/x-www-form-urlencoded`` (everything sent
with ``params=``, even methods slack_sdk labels ``GET``); the token travels in
``Authorization: Bearer``.  Plain GET query strings are accepted too.
"""

from __future__ import annotations

import json
import logging
import math
import random
import secrets
import threading
import time
import traceback
import urllib.error
import urllib.request
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response
from websockets.sync.server import Server, ServerConnection, serve

__all__ = [
    "CHAOS_KINDS",
    "RESPONSE_URL",
    "ACK_DEADLINE",
    "Ack",
    "AckRefused",
    "AckTimedOut",
    "Call",
    "ChaosFault",
    "FakeSlack",
    "ResponsePost",
    "answer_problems",
    "check_ack",
    "message_problems",
    "modal_problems",
    "options_problems",
    "post_to_app",
]

_log = logging.getLogger(__name__)

_HOST = "127.0.0.1"

# Argument names whose values Slack expects to be JSON; form posts carry them as JSON strings.
_JSON_ARGS = frozenset({"view", "blocks", "attachments", "metadata", "unfurls", "user_auth_blocks"})

_BOT = "bot"
_APP = "app"

# Limits documented by Slack.
_MAX_MESSAGE_TEXT = 40_000
_MAX_MARKDOWN_TEXT = 12_000
_MAX_MESSAGE_BLOCKS = 50
_MAX_TEXT_OBJECT = 3000  # any text object's text, wherever a block sets no lower limit
_MAX_FIELD_TEXT = 2000  # a section's fields, an input's label and hint
_MAX_OPTION_TEXT = 75  # an option's text and description, a button's text
_MAX_OPTION_VALUE = 150
_MAX_OPTIONS = 100
_MAX_VIEW_STACK = 3  # views.push: at most three views in a modal's stack
_MAX_VIEW_BLOCKS = 100
_MAX_VIEW_BYTES = 250_000
_MAX_TITLE = 24
_MAX_PRIVATE_METADATA = 3000
_MAX_ID = 255
_RATE_WINDOW = 60.0
# Rate limits Slack documents (docs.slack.dev/apis/web-api/rate-limits and each method's page), per app and workspace:
# Tier 2 "20+ per minute", Tier 3 "50+", Tier 4 "100+". chat.postMessage has its own: "1 message per second to a
# specific channel", "short bursts >1 allowed".
TIER_2_PER_MINUTE = 20  # usergroups.users.list
TIER_3_PER_MINUTE = 50  # conversations.history
TIER_4_PER_MINUTE = 100  # chat.postEphemeral
CHANNEL_POST_BURST = 3
CHANNEL_POSTS_PER_SECOND = 1.0

# Random faults set_chaos() can inject, as Slack shows them to a client: a 429 with Retry-After, a 500 or 503,
# a connection closed before Slack read the call, and an answer that never comes (the call was carried out).
CHAOS_KINDS = ("ratelimited", "server_error", "drop", "timeout")
# Left out of chaos unless named: without them a bot cannot even start.
_CHAOS_EXEMPT = frozenset({"auth.test", "apps.connections.open"})
# The name chaos_log gives posts to response URLs.
RESPONSE_URL = "response_url"
# Longer than slack_sdk's default timeout (and the bot's 10 s), so a held answer is a timeout to the client.
_DEFAULT_HOLD = 11.0

_MODAL_KEYS = frozenset(
    {
        "type",
        "title",
        "blocks",
        "close",
        "submit",
        "private_metadata",
        "callback_id",
        "clear_on_close",
        "notify_on_close",
        "external_id",
        "submit_disabled",
    }
)

_BLOCK_TYPES = frozenset(
    {
        "section",
        "divider",
        "header",
        "context",
        "actions",
        "input",
        "image",
        "rich_text",
        "markdown",
        "video",
        "file",
        "call",
        "table",
        "context_actions",
    }
)


# Block elements and where each may stand (Block Kit reference: the "works with block types" of each element).
_SELECT_TYPES = frozenset(
    f"{multi}{kind}_select"
    for multi in ("", "multi_")
    for kind in ("static", "external", "users", "conversations", "channels")
)
_CONTROL_TYPES = _SELECT_TYPES | {
    "button",
    "checkboxes",
    "datepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
}
_ACCESSORY_TYPES = _CONTROL_TYPES | {"image"}
_ACTIONS_TYPES = _CONTROL_TYPES | {"datetimepicker"}
_INPUT_TYPES = (_SELECT_TYPES | {"checkboxes", "datepicker", "datetimepicker", "radio_buttons", "timepicker"}) | {
    "email_text_input",
    "file_input",
    "number_input",
    "plain_text_input",
    "rich_text_input",
    "url_text_input",
}
_CONTEXT_TYPES = frozenset({"image"})  # and text objects
_ELEMENT_TYPES = _ACCESSORY_TYPES | _ACTIONS_TYPES | _INPUT_TYPES
# Elements carrying their own options: how many they take (static selects: up to 100, or option_groups instead).
_OPTION_COUNTS = {
    "static_select": (1, _MAX_OPTIONS),
    "multi_static_select": (1, _MAX_OPTIONS),
    "overflow": (1, 5),
    "radio_buttons": (1, 10),
    "checkboxes": (1, 10),
}
_MAX_TEXT_INPUT = 3000  # a plain_text_input's max_length at most

# ----------------------------------------------------------------------------
# Records the tests inspect


@dataclass(frozen=True)
class Call:
    """One Web API call as the fake saw and answered it, for assertions."""

    method: str
    params: dict[str, Any]
    token: str | None
    at: float
    status: int
    response: dict[str, Any]

    @property
    def ok(self) -> bool:
        """Whether Slack would have reported success."""
        return self.status == 200 and bool(self.response.get("ok"))

    @property
    def error(self) -> str | None:
        """The Slack error code, if the call failed."""
        value = self.response.get("error")
        return value if isinstance(value, str) else None


@dataclass(frozen=True)
class ChaosFault:
    """A fault set_chaos() injected, so a soak can tally them and tell a lost answer from a refused call."""

    method: str  # a Web API method, or RESPONSE_URL
    kind: str  # one of CHAOS_KINDS
    applied: bool  # Slack carried the call out (a timeout): only its answer was lost
    at: float  # time.monotonic() on arrival
    call: Call | None = None  # the recorded call, when one was recorded


@dataclass(frozen=True)
class ResponsePost:
    """A body the bot POSTed to a response URL (what the user would see)."""

    url: str
    body: dict[str, Any]
    at: float


@dataclass(frozen=True)
class Ack:
    """A Socket Mode acknowledgement in time (send_envelope fails on a late one), with its latency for benches."""

    envelope_id: str
    envelope_type: str
    payload: dict[str, Any] | None
    sent_at: float
    acked_at: float

    @property
    def latency(self) -> float:
        """Seconds between sending the envelope and receiving its ack."""
        return self.acked_at - self.sent_at


# Slack's deadline for an ack: "Your app must respond within 3 seconds"; later, the user sees an error
# ("operation_timeout" for a slash command, a failure in the modal or menu), and an event is sent again.
ACK_DEADLINE = 3.0


class AckRefused(AssertionError):
    """The app acked with a body Slack does not accept (a message, view or options breaking Slack's rules)."""


class AckTimedOut(AssertionError):
    """The app did not ack within ACK_DEADLINE: Slack counts the request failed (and retries an event)."""


# What Slack does with a request acked late: [an interaction or command, an event].
_LATE = ("the user sees an error", "Slack sends the event again, with a retry number")


# ----------------------------------------------------------------------------
# Internal state


@dataclass
class _Injection:
    error: str
    status: int
    retry_after: int | None
    remaining: int


@dataclass(frozen=True)
class _Chaos:
    seed: int
    rate: float
    methods: frozenset[str] | None
    kinds: tuple[str, ...]
    response_urls: bool
    hold: float

    def covers(self, name: str) -> bool:
        if name == RESPONSE_URL:
            return self.response_urls
        return name not in _CHAOS_EXEMPT if self.methods is None else name in self.methods


@dataclass(frozen=True)
class _Fault:
    kind: str
    status: int  # the status a refusing fault answers with; 0 for faults that never answer
    hold: float  # seconds a timeout keeps the connection open before dropping it


@dataclass
class _Trigger:
    issued_at: float
    exchanged: bool = False


@dataclass
class _Channel:
    bot_is_member: bool
    archived: bool
    members: frozenset[str] | None


@dataclass
class _ResponseUrl:
    created_at: float
    uses: int = 0


@dataclass
class _PendingAck:
    envelope_type: str
    sent_at: float
    event: threading.Event = field(default_factory=threading.Event)
    payload: dict[str, Any] | None = None


@dataclass
class _Outcome:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    lost_after: float | None = None  # chaos: close the connection after this many seconds instead of answering


class _ApiError(Exception):
    """Raised by method handlers; becomes ``{"ok": false, "error": ...}``."""

    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


class _BadRequest(Exception):
    """The request body could not be read the way Slack would read it."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


# ----------------------------------------------------------------------------
# Block Kit validation (the documented limits, reported the way Slack reports them)


class _Problems:
    """Collects Slack-style ``[ERROR] ... [json-pointer:...]`` messages."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def add(self, text: str, pointer: str) -> None:
        self.messages.append(f"[ERROR] {text} [json-pointer:{pointer}]")

    def __bool__(self) -> bool:
        return bool(self.messages)


def _check_str(value: Any, pointer: str, problems: _Problems, *, max_len: int | None, min_len: int = 0) -> None:
    if not isinstance(value, str):
        problems.add("must be a string", pointer)
    elif len(value) < min_len:
        problems.add(f"must be more than {min_len - 1} characters", pointer)
    elif max_len is not None and len(value) > max_len:
        problems.add(f"must be less than {max_len + 1} characters", pointer)


def _check_text_object(
    obj: Any, pointer: str, problems: _Problems, *, max_len: int | None, plain_only: bool = False
) -> None:
    if not isinstance(obj, dict):
        problems.add("must be a text object", pointer)
        return
    allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    if obj.get("type") not in allowed:
        problems.add(f"must be one of: {', '.join(allowed)}", f"{pointer}/type")
    if "text" not in obj:
        problems.add("missing required field: text", pointer)
    else:
        _check_str(obj["text"], f"{pointer}/text", problems, max_len=max_len, min_len=1)


def _check_options(options: Any, pointer: str, problems: _Problems) -> None:
    if not isinstance(options, list):
        problems.add("must be an array", pointer)
        return
    if len(options) > _MAX_OPTIONS:
        problems.add(f"no more than {_MAX_OPTIONS} items allowed", pointer)
    for i, option in enumerate(options):
        p = f"{pointer}/{i}"
        if not isinstance(option, dict):
            problems.add("must be an option object", p)
            continue
        _check_text_object(option.get("text"), f"{p}/text", problems, max_len=_MAX_OPTION_TEXT)
        if "description" in option:
            _check_text_object(
                option["description"], f"{p}/description", problems, max_len=_MAX_OPTION_TEXT, plain_only=True
            )
        if "value" not in option:
            problems.add("missing required field: value", p)
        else:
            _check_str(option["value"], f"{p}/value", problems, max_len=_MAX_OPTION_VALUE, min_len=1)


def _check_option_groups(groups: Any, pointer: str, problems: _Problems) -> None:
    if not isinstance(groups, list) or len(groups) > _MAX_OPTIONS:
        problems.add(f"must be an array of at most {_MAX_OPTIONS} items", pointer)
        return
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            problems.add("must be an option group object", f"{pointer}/{i}")
            continue
        _check_text_object(
            group.get("label"), f"{pointer}/{i}/label", problems, max_len=_MAX_OPTION_TEXT, plain_only=True
        )
        _check_options(group.get("options"), f"{pointer}/{i}/options", problems)


def _check_element(element: Any, pointer: str, problems: _Problems, *, allowed: frozenset[str]) -> None:
    """An interactive or image element where ``allowed`` types may stand (Slack's list for that place)."""
    if not isinstance(element, dict) or not isinstance(element.get("type"), str):
        problems.add("must be an element object with a type", pointer)
        return
    kind = element["type"]
    if kind not in _ELEMENT_TYPES:
        problems.add(f"unsupported type: {kind}", f"{pointer}/type")
        return
    if kind not in allowed:
        problems.add(f"{kind} is not allowed here: must be one of {', '.join(sorted(allowed))}", f"{pointer}/type")
        return
    if "action_id" in element:
        _check_str(element["action_id"], f"{pointer}/action_id", problems, max_len=_MAX_ID, min_len=1)
    if "placeholder" in element:
        _check_text_object(element["placeholder"], f"{pointer}/placeholder", problems, max_len=150, plain_only=True)
    if "confirm" in element:
        _check_confirm(element["confirm"], f"{pointer}/confirm", problems)
    if kind == "button":
        _check_text_object(element.get("text"), f"{pointer}/text", problems, max_len=_MAX_OPTION_TEXT, plain_only=True)
        if "value" in element:
            _check_str(element["value"], f"{pointer}/value", problems, max_len=2000)
        if "url" in element:
            _check_str(element["url"], f"{pointer}/url", problems, max_len=3000)
        if element.get("style") not in (None, "primary", "danger"):
            problems.add("must be one of: primary, danger", f"{pointer}/style")
    elif kind == "image":
        if "image_url" not in element and "slack_file" not in element:
            problems.add("missing required field: image_url", pointer)
        _check_str(element.get("alt_text"), f"{pointer}/alt_text", problems, max_len=2000, min_len=1)
    elif kind == "plain_text_input":
        _check_text_input(element, pointer, problems)
    if "options" in element:
        _check_options(element["options"], f"{pointer}/options", problems)
    if "option_groups" in element:
        _check_option_groups(element["option_groups"], f"{pointer}/option_groups", problems)
    for key in ("initial_option", "initial_options"):
        if key in element:
            initial = element[key]
            _check_options([initial] if key == "initial_option" else initial, f"{pointer}/{key}", problems)
    if kind in _OPTION_COUNTS:
        _check_choices(element, pointer, problems, _OPTION_COUNTS[kind])


def _check_text_input(element: dict[str, Any], pointer: str, problems: _Problems) -> None:
    """plain_text_input: min_length and max_length within 0..3000 and in order; an initial_value that fits them."""
    for key in ("min_length", "max_length"):
        if key in element and not (isinstance(element[key], int) and 0 <= element[key] <= _MAX_TEXT_INPUT):
            problems.add(f"must be an integer between 0 and {_MAX_TEXT_INPUT}", f"{pointer}/{key}")
            return
    low, high = element.get("min_length", 0), element.get("max_length", _MAX_TEXT_INPUT)
    if low > high:
        problems.add("min_length must be less than or equal to max_length", f"{pointer}/min_length")
    if "initial_value" in element:
        _check_str(element["initial_value"], f"{pointer}/initial_value", problems, max_len=high)


def _option_key(option: Any) -> tuple[Any, ...]:
    """What makes two option objects the same option: Slack wants an initial option to match one exactly."""
    if not isinstance(option, dict):
        return (option,)
    text = option.get("text") if isinstance(option.get("text"), dict) else {}
    return (text.get("type"), text.get("text"), option.get("value"))


def _check_choices(element: dict[str, Any], pointer: str, problems: _Problems, counts: tuple[int, int]) -> None:
    """An element that carries its own options (static selects, overflow, radio buttons, checkboxes): options (or,
    for static selects, option_groups) within Slack's counts, and each initial option one of them."""
    grouped = element["type"] in ("static_select", "multi_static_select")
    has_options, has_groups = "options" in element, grouped and "option_groups" in element
    if has_options == has_groups:
        required = "options or option_groups" if grouped else "options"
        problems.add(
            f"must provide exactly one of: {required}" if has_options else f"missing required field: {required}",
            pointer,
        )
        return
    if has_groups:
        groups = element["option_groups"]
        listed = (
            [o for g in groups if isinstance(g, dict) for o in (g.get("options") or [])]
            if isinstance(groups, list)
            else []
        )
    else:
        listed = element["options"] if isinstance(element["options"], list) else []
        low, high = counts
        if not low <= len(listed) <= high:
            problems.add(f"must provide between {low} and {high} items", f"{pointer}/options")
    known = {_option_key(o) for o in listed}
    if isinstance(element.get("initial_option"), dict) and _option_key(element["initial_option"]) not in known:
        problems.add("must match one of the element's options", f"{pointer}/initial_option")
    initial = element.get("initial_options")
    for i, option in enumerate(initial if isinstance(initial, list) else []):
        if _option_key(option) not in known:
            problems.add("must match one of the element's options", f"{pointer}/initial_options/{i}")


def _check_confirm(confirm: Any, pointer: str, problems: _Problems) -> None:
    """A confirmation dialog object: title 100, text 300, confirm and deny 30 characters; style primary or danger."""
    if not isinstance(confirm, dict):
        problems.add("must be a confirmation dialog object", pointer)
        return
    for key, limit in (("title", 100), ("text", 300), ("confirm", 30), ("deny", 30)):
        _check_text_object(confirm.get(key), f"{pointer}/{key}", problems, max_len=limit, plain_only=True)
    if confirm.get("style") not in (None, "primary", "danger"):
        problems.add("must be one of: primary, danger", f"{pointer}/style")


def _check_elements(
    elements: Any, pointer: str, problems: _Problems, *, max_items: int, allowed: frozenset[str], texts: bool = False
) -> None:
    """A block's list of elements (with ``texts``, text objects too): each where it may stand, and no action_id
    twice in the block ("should be unique among all other action_ids in the containing block")."""
    if not isinstance(elements, list) or not elements:
        problems.add("must provide a non-empty array", pointer)
        return
    if len(elements) > max_items:
        problems.add(f"no more than {max_items} items allowed", pointer)
    action_ids: set[str] = set()
    for i, element in enumerate(elements):
        p = f"{pointer}/{i}"
        if texts and isinstance(element, dict) and element.get("type") in ("plain_text", "mrkdwn"):
            _check_text_object(element, p, problems, max_len=_MAX_TEXT_OBJECT)
            continue
        _check_element(element, p, problems, allowed=allowed)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if isinstance(action_id, str):
            if action_id in action_ids:
                problems.add(f'`action_id` "{action_id}" already exists', f"{p}/action_id")
            action_ids.add(action_id)


def _check_block(block: Any, pointer: str, problems: _Problems, seen_block_ids: set[str]) -> None:
    if not isinstance(block, dict):
        problems.add("must be a block object", pointer)
        return
    kind = block.get("type")
    if kind not in _BLOCK_TYPES:
        problems.add(f"unsupported type: {kind}", f"{pointer}/type")
        return
    if "block_id" in block:
        block_id = block["block_id"]
        _check_str(block_id, f"{pointer}/block_id", problems, max_len=_MAX_ID, min_len=1)
        if isinstance(block_id, str):
            if block_id in seen_block_ids:
                problems.add(f"duplicate block_id: {block_id}", f"{pointer}/block_id")
            seen_block_ids.add(block_id)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.add("must provide text or fields", pointer)
        if "text" in block:
            _check_text_object(block["text"], f"{pointer}/text", problems, max_len=_MAX_TEXT_OBJECT)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields or len(fields) > 10:
                problems.add("must provide an array of 1 to 10 items", f"{pointer}/fields")
            else:
                for i, item in enumerate(fields):
                    _check_text_object(item, f"{pointer}/fields/{i}", problems, max_len=_MAX_FIELD_TEXT)
        if "accessory" in block:
            _check_element(block["accessory"], f"{pointer}/accessory", problems, allowed=_ACCESSORY_TYPES)
    elif kind == "header":
        _check_text_object(block.get("text"), f"{pointer}/text", problems, max_len=150, plain_only=True)
    elif kind == "context":
        _check_elements(
            block.get("elements"), f"{pointer}/elements", problems, max_items=10, allowed=_CONTEXT_TYPES, texts=True
        )
    elif kind == "actions":
        _check_elements(block.get("elements"), f"{pointer}/elements", problems, max_items=25, allowed=_ACTIONS_TYPES)
    elif kind == "input":
        _check_text_object(block.get("label"), f"{pointer}/label", problems, max_len=_MAX_FIELD_TEXT, plain_only=True)
        if "element" not in block:
            problems.add("missing required field: element", pointer)
        else:
            _check_element(block["element"], f"{pointer}/element", problems, allowed=_INPUT_TYPES)
        if "hint" in block:
            _check_text_object(block["hint"], f"{pointer}/hint", problems, max_len=_MAX_FIELD_TEXT, plain_only=True)
    elif kind == "image":
        if "image_url" not in block and "slack_file" not in block:
            problems.add("missing required field: image_url", pointer)
        _check_str(block.get("alt_text"), f"{pointer}/alt_text", problems, max_len=2000, min_len=1)
        if "title" in block:
            _check_text_object(block["title"], f"{pointer}/title", problems, max_len=2000, plain_only=True)
    elif kind == "markdown":
        _check_str(block.get("text"), f"{pointer}/text", problems, max_len=_MAX_MARKDOWN_TEXT, min_len=1)
    elif kind == "rich_text":
        if not isinstance(block.get("elements"), list):
            problems.add("missing required field: elements", pointer)


def _check_blocks(blocks: list[Any], pointer: str, problems: _Problems, *, max_blocks: int) -> None:
    if len(blocks) > max_blocks:
        problems.add(f"no more than {max_blocks} items allowed", pointer)
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _check_block(block, f"{pointer}/{i}", problems, seen)


def _validate_modal(view: Any) -> list[str]:
    """Return Slack-style problems with a modal view; empty when Slack would accept it."""
    problems = _Problems()
    if not isinstance(view, dict):
        problems.add("must provide an object", "/view")
        return problems.messages
    for key in sorted(set(view) - _MODAL_KEYS):
        problems.add(f"invalid additional property: {key}", "/view")
    if "type" not in view:
        problems.add("missing required field: type", "/view")
    elif view["type"] != "modal":
        problems.add("must be one of: modal", "/view/type")
    if "title" not in view:
        problems.add("missing required field: title", "/view")
    else:
        _check_text_object(view["title"], "/view/title", problems, max_len=_MAX_TITLE, plain_only=True)
    for key in ("submit", "close"):
        if key in view:
            _check_text_object(view[key], f"/view/{key}", problems, max_len=_MAX_TITLE, plain_only=True)
    if "private_metadata" in view:
        _check_str(view["private_metadata"], "/view/private_metadata", problems, max_len=_MAX_PRIVATE_METADATA)
    for key in ("callback_id", "external_id"):
        if key in view:
            _check_str(view[key], f"/view/{key}", problems, max_len=_MAX_ID)
    blocks = view.get("blocks")
    if blocks is None:
        problems.add("missing required field: blocks", "/view")
    elif not isinstance(blocks, list):
        problems.add("must be an array", "/view/blocks")
    else:
        _check_blocks(blocks, "/view/blocks", problems, max_blocks=_MAX_VIEW_BLOCKS)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and "submit" not in view:
            problems.add("must provide submit when an input block is present", "/view/submit")
    return problems.messages


def _message_content_errors(args: dict[str, Any], pointer_prefix: str = "") -> tuple[str, list[str]] | None:
    """Check a message body (text/blocks) the way chat.post* and response URLs do."""
    text = args.get("text")
    blocks = args.get("blocks")
    attachments = args.get("attachments")
    markdown_text = args.get("markdown_text")
    if blocks is not None:
        if not isinstance(blocks, list):
            return "invalid_blocks_format", ["[ERROR] must be an array [json-pointer:/blocks]"]
        problems = _Problems()
        _check_blocks(blocks, f"{pointer_prefix}/blocks", problems, max_blocks=_MAX_MESSAGE_BLOCKS)
        if problems:
            return "invalid_blocks", problems.messages
    if not text and not blocks and not attachments and not markdown_text:
        return "no_text", []
    if isinstance(text, str) and len(text) > _MAX_MESSAGE_TEXT:
        return "msg_too_long", []
    if isinstance(markdown_text, str) and len(markdown_text) > _MAX_MARKDOWN_TEXT:
        return "markdown_text_too_long", []
    return None


def modal_problems(view: Any) -> list[str]:
    """What Slack would answer to views.open/update/push with this view: [] when it accepts it, else its
    ``response_metadata.messages`` (``[ERROR] … [json-pointer:…]``) beside ``invalid_arguments``."""
    return _validate_modal(view)


def message_problems(message: dict[str, Any]) -> list[str]:
    """What Slack would answer to chat.postMessage/update/postEphemeral or a response URL post with this message
    (``text``, ``blocks``…): [] when it accepts it, else its error (``msg_too_long``, ``invalid_blocks``…) first,
    then the response_metadata messages."""
    problem = _message_content_errors(_decode_json_args(dict(message)))
    return [] if problem is None else [problem[0], *problem[1]]


def options_problems(answer: Any) -> list[str]:
    """What is wrong with an answer to a ``block_suggestion`` (an external select's options): at most 100
    options or option groups, option text 75 characters, value 150. Slack shows the menu's user an error
    instead of the options; it names nothing, so these say what it would have checked."""
    problems = _Problems()
    if not isinstance(answer, dict) or ("options" in answer) == ("option_groups" in answer):
        problems.add("must provide options or option_groups", "")
        return problems.messages
    if "options" in answer:
        _check_options(answer["options"], "/options", problems)
    else:
        _check_option_groups(answer["option_groups"], "/option_groups", problems)
    return problems.messages


def answer_problems(payload_type: str, answer: Any, request: dict[str, Any] | None = None) -> list[str]:
    """What Slack would refuse in the bot's answer (its ack) to a request of ``payload_type``: a slash command's
    or an interaction's message, a view_submission's ``response_action`` (``errors`` naming input blocks of the
    submitted view, the ``view`` of ``update``/``push`` held to views.open's rules), or options. ``request`` is
    the payload the ack answers (its ``view`` is the submitted one). [] when none."""
    if answer is None:
        return []
    if payload_type == "block_suggestion":
        return options_problems(answer)
    if not isinstance(answer, dict):
        return ["[ERROR] must be a JSON object [json-pointer:]"]
    if payload_type == "view_submission":
        return _response_action_problems(answer, (request or {}).get("view"))
    problems = []
    if payload_type == "slash_commands" and answer.get("response_type") not in (None, "ephemeral", "in_channel"):
        problems.append("[ERROR] must be one of: ephemeral, in_channel [json-pointer:/response_type]")
    if any(key in answer for key in ("text", "blocks", "attachments")):
        problems += message_problems(answer)
    return problems


_RESPONSE_ACTIONS = ("errors", "update", "push", "clear")


def _response_action_problems(answer: dict[str, Any], submitted: Any) -> list[str]:
    """A view_submission ack: no ``response_action`` closes the modal; ``errors`` maps block_ids of the submitted
    view's input blocks to messages; ``update`` and ``push`` carry a view as views.update and views.push take it."""
    action = answer.get("response_action")
    problems = _Problems()
    if action is None:
        return []
    if action not in _RESPONSE_ACTIONS:
        problems.add(f"must be one of: {', '.join(_RESPONSE_ACTIONS)}", "/response_action")
    elif action == "errors":
        errors = answer.get("errors")
        if not isinstance(errors, dict) or not errors:
            problems.add("must provide a non-empty object", "/errors")
            return problems.messages
        blocks = submitted.get("blocks") if isinstance(submitted, dict) else None
        inputs = {b.get("block_id") for b in blocks or [] if isinstance(b, dict) and b.get("type") == "input"}
        for key, message in errors.items():
            if blocks is not None and key not in inputs:
                problems.add(f"{key} is not the block_id of an input block of the submitted view", f"/errors/{key}")
            if not isinstance(message, str) or not message:
                problems.add("must be a non-empty string", f"/errors/{key}")
    elif action in ("update", "push"):
        if "view" not in answer:
            problems.add("missing required field: view", "")
        elif isinstance(answer["view"], dict) and len(json.dumps(answer["view"])) > _MAX_VIEW_BYTES:
            return ["view_too_large"]
        else:
            return _validate_modal(answer["view"])
    return problems.messages


def check_ack(payload_type: str, request: dict[str, Any] | None, answer: Any) -> Any:
    """``answer`` if Slack would take it as the ack of a ``payload_type`` request, else raise AckRefused."""
    problems = answer_problems(payload_type, answer, request)
    if problems:
        raise AckRefused(f"Slack would refuse the answer to {payload_type} (the user sees an error): {problems}")
    return answer


def post_to_app(url: str, body: bytes, headers: dict[str, str], *, deadline: float = ACK_DEADLINE) -> tuple[int, str]:
    """POST a request to the app's Request URL as Slack does; the status and body of its answer. The whole
    answer must come within ``deadline`` seconds (Slack's 3 s), else AckTimedOut."""
    started = time.monotonic()
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=deadline) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        status, text = error.code, error.read().decode()
    except (TimeoutError, urllib.error.URLError) as error:
        if isinstance(error, urllib.error.URLError) and not isinstance(error.reason, TimeoutError):
            raise
        raise AckTimedOut(f"no answer from {url} within Slack's {deadline}s") from error
    if time.monotonic() - started > deadline:
        raise AckTimedOut(f"{url} answered after Slack's {deadline}s")
    return status, text


# ----------------------------------------------------------------------------
# Request decoding


def _decode_json_args(args: dict[str, Any]) -> dict[str, Any]:
    """Decode arguments Slack treats as JSON when they arrive as strings (form posts)."""
    for key in _JSON_ARGS & set(args):
        value = args[key]
        if isinstance(value, str):
            try:
                args[key] = json.loads(value)
            except ValueError:
                pass  # left as a string; the method's validation rejects it as Slack would
    return args


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise _BadRequest("invalid_form_data")
    args: dict[str, Any] = {}
    for part in message.iter_parts():
        assert isinstance(part, Message)
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        raw = payload if isinstance(payload, bytes) else b""
        args[name] = raw if part.get_filename() else raw.decode("utf-8")
    return args


def _sleep_until(deadline: float) -> None:
    while (remaining := deadline - time.monotonic()) > 0:
        time.sleep(min(remaining, 0.05))


# ----------------------------------------------------------------------------
# The fake


class _BurstReadyHTTPServer(ThreadingHTTPServer):
    """The stdlib default backlog of 5 makes a burst of connections wait for SYN retries (1 s, 2 s…), a delay
    Slack does not have."""

    request_queue_size = 128


class FakeSlack:
    """A Slack workspace on localhost that the real bot (and slack_sdk) can talk to."""

    RESPONSE_URL_TTL = 30 * 60.0
    RESPONSE_URL_MAX_USES = 5

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-1000000001-2000000002-TestBotToken",
        app_token: str = "xapp-1-A0000TEST-3000000003-testapptoken",
        team_id: str = "T0000TEST",
        bot_user_id: str = "U0000BOT",
        trigger_ttl: float = 3.0,
        usergroups_users_list_per_minute: int = TIER_2_PER_MINUTE,
        conversations_history_per_minute: int = TIER_3_PER_MINUTE,
        chat_post_ephemeral_per_minute: int = TIER_4_PER_MINUTE,
        bot_id: str = "B0000BOT",
        app_id: str = "A0000TEST",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Rate limits are on from the start, as in Slack: per method per minute (the ``*_per_minute``
        arguments), and chat.postMessage per channel (limit_channel_posts() changes how). ``clock`` (seconds)
        times their windows; a test may pass its own to step time by hand."""
        self.bot_token = bot_token
        self.app_token = app_token
        self.team_id = team_id
        # An Enterprise Grid organisation: the workspace's own, or with enterprise_install an org-wide install.
        self.enterprise_id: str | None = None
        self.enterprise_install = False
        self.bot_user_id = bot_user_id
        self.bot_id = bot_id
        self.app_id = app_id
        self.trigger_ttl = trigger_ttl
        self.usergroups_users_list_per_minute = usergroups_users_list_per_minute
        self.conversations_history_per_minute = conversations_history_per_minute
        self.chat_post_ephemeral_per_minute = chat_post_ephemeral_per_minute
        self._rate_clock = clock
        self.response_url_ttl = self.RESPONSE_URL_TTL
        self.response_url_max_uses = self.RESPONSE_URL_MAX_USES
        self.ack_deadline = ACK_DEADLINE

        self._lock = threading.RLock()
        self._counter = 0
        self._last_ts_us = 0

        # workspace
        self._channels: dict[str, _Channel] = {}
        self._groups: dict[str, list[str]] = {}
        self._triggers: dict[str, _Trigger] = {}
        self._views: dict[str, dict[str, Any]] = {}
        self._external_ids: dict[str, str] = {}
        self._response_urls: dict[str, _ResponseUrl] = {}
        self._direct_messages: dict[str, str] = {}  # user -> the bot's DM channel with them
        self._tickets: dict[str, bool] = {}  # ticket -> already used

        # injection
        self._injections: dict[str, deque[_Injection]] = {}
        self._delays: dict[str, float] = {}
        self._rate_windows: dict[tuple[str, str], deque[float]] = {}
        self._channel_post_rate = (CHANNEL_POST_BURST, CHANNEL_POSTS_PER_SECOND)  # (burst, messages per second)
        self._channel_post_buckets: dict[str, tuple[float, float]] = {}  # channel -> (tokens, when counted)
        self._chaos: _Chaos | None = None
        self._chaos_draws: dict[str, int] = {}
        self._stopping = threading.Event()

        # recordings
        self.calls: list[Call] = []
        self.posted_responses: list[ResponsePost] = []
        self.refused_responses: list[tuple[str, str]] = []  # (response URL, why): posts Slack would not take
        self.messages: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.updates: list[dict[str, Any]] = []  # chat.update calls that changed a message
        self.opened_views: list[dict[str, Any]] = []
        self.updated_views: list[dict[str, Any]] = []
        self.acks: list[Ack] = []
        self.unmatched_socket_messages: list[Any] = []
        self.socket_connections_opened = 0
        self.internal_errors: list[str] = []  # tracebacks of bugs in the fake itself
        self.chaos_log: list[ChaosFault] = []  # every fault set_chaos() injected, in arrival order

        # servers
        self._http: ThreadingHTTPServer | None = None
        self._ws: Server | None = None
        self._threads: list[threading.Thread] = []
        self._sockets: list[ServerConnection] = []
        self._pending_acks: dict[str, _PendingAck] = {}

        self._methods: dict[str, tuple[str, Callable[[dict[str, Any], float], dict[str, Any]]]] = {
            "auth.test": (_BOT, self._auth_test),
            "views.open": (_BOT, self._views_open),
            "views.update": (_BOT, self._views_update),
            "views.push": (_BOT, self._views_push),
            "conversations.open": (_BOT, self._conversations_open),
            "chat.postMessage": (_BOT, self._chat_post_message),
            "chat.postEphemeral": (_BOT, self._chat_post_ephemeral),
            "chat.update": (_BOT, self._chat_update),
            "conversations.history": (_BOT, self._conversations_history),
            "usergroups.users.list": (_BOT, self._usergroups_users_list),
            "apps.connections.open": (_APP, self._apps_connections_open),
        }
        self._rate_limits: dict[str, Callable[[], int]] = {
            "usergroups.users.list": lambda: self.usergroups_users_list_per_minute,
            "conversations.history": lambda: self.conversations_history_per_minute,
            "chat.postEphemeral": lambda: self.chat_post_ephemeral_per_minute,
        }

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> FakeSlack:
        """Start the HTTP and WebSocket servers on ephemeral ports."""
        if self._http is not None:
            raise RuntimeError("FakeSlack already started")
        self._stopping.clear()
        self._http = _BurstReadyHTTPServer((_HOST, 0), _make_http_handler(self))
        self._http.daemon_threads = True
        self._ws = serve(
            self._ws_handler,
            _HOST,
            0,
            process_request=self._ws_process_request,
            close_timeout=2,
            logger=logging.getLogger(f"{__name__}.socket_mode"),
        )
        http_server = self._http
        targets: list[tuple[str, Callable[[], None]]] = [
            # A short poll interval keeps stop() fast; the default would add 0.5 s per test.
            ("fake-slack-http", lambda: http_server.serve_forever(poll_interval=0.05)),
            ("fake-slack-ws", self._ws.serve_forever),
        ]
        for name, target in targets:
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        """Close Socket Mode connections and stop both servers; answers held by chaos are dropped at once."""
        self._stopping.set()
        if self._ws is not None:
            self._ws.shutdown()
            self._ws = None
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        for thread in self._threads:
            thread.join(timeout=5)
        self._threads.clear()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def http_port(self) -> int:
        if self._http is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._http.server_address[1])

    @property
    def ws_port(self) -> int:
        if self._ws is None:
            raise RuntimeError("FakeSlack is not started")
        return int(self._ws.socket.getsockname()[1])

    @property
    def base_url(self) -> str:
        return f"http://{_HOST}:{self.http_port}"

    @property
    def api_url(self) -> str:
        """Web API base URL for ``WebClient(base_url=...)``; the trailing slash matters to slack_sdk."""
        return f"{self.base_url}/api/"

    # ------------------------------------------------------------------ workspace setup

    def add_channel(
        self,
        channel_id: str,
        *,
        bot_is_member: bool = True,
        archived: bool = False,
        members: Iterable[str] | None = None,
    ) -> None:
        """Create a conversation; ``members`` (optional) lets chat.postEphemeral check its user."""
        with self._lock:
            self._channels[channel_id] = _Channel(
                bot_is_member=bot_is_member,
                archived=archived,
                members=frozenset(members) if members is not None else None,
            )

    def set_group_members(self, group_id: str, user_ids: list[str]) -> None:
        """Create or replace a user group (``S...``) and its members."""
        with self._lock:
            self._groups[group_id] = list(user_ids)

    def new_trigger_id(self) -> str:
        """Issue a trigger as Slack does for an interaction; it is valid for ``trigger_ttl`` seconds."""
        with self._lock:
            n = self._next_counter()
            trigger_id = f"{n}.{int(time.time())}.{secrets.token_hex(16)}"
            self._triggers[trigger_id] = _Trigger(issued_at=time.monotonic())
            return trigger_id

    def new_response_url(self) -> str:
        """Issue a response URL as Slack does with a slash command or interaction."""
        with self._lock:
            path = f"/commands/{self.team_id}/{self._next_counter()}/{secrets.token_hex(12)}"
            self._response_urls[path] = _ResponseUrl(created_at=time.monotonic())
        return f"{self.base_url}{path}"

    def age_response_url(self, url: str, seconds: float) -> None:
        """Make a response URL ``seconds`` older, as if it had been issued that long ago: past 30 minutes
        (``RESPONSE_URL_TTL``) it answers 404 ``expired_url``, with no test waiting that long."""
        with self._lock:
            self._response_urls[urlsplit(url).path].created_at -= seconds

    def direct_messages(self, user: str) -> list[dict[str, Any]]:
        """Messages the bot posted in its direct message with ``user`` (opened with conversations.open)."""
        with self._lock:
            channel = self._direct_messages.get(user)
            return [m for m in self.messages if channel and m["channel"] == channel]

    # ------------------------------------------------------------------ failure injection

    def fail_next(
        self,
        method: str,
        *,
        error: str,
        status: int = 200,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail with ``error`` (after token checks)."""
        if times < 1:
            raise ValueError("times must be >= 1")
        with self._lock:
            self._injections.setdefault(method, deque()).append(
                _Injection(error=error, status=status, retry_after=retry_after, remaining=times)
            )

    def recover(self, method: str) -> None:
        """Drop the failures still queued for ``method``: Slack is healthy again."""
        with self._lock:
            self._injections.pop(method, None)

    def set_delay(self, method: str, seconds: float) -> None:
        """Answer ``method`` only after ``seconds`` (the call is handled and recorded on arrival)."""
        with self._lock:
            if seconds <= 0:
                self._delays.pop(method, None)
            else:
                self._delays[method] = seconds

    def limit_channel_posts(
        self, burst: int = CHANNEL_POST_BURST, per_second: float = CHANNEL_POSTS_PER_SECOND
    ) -> None:
        """Set chat.postMessage's per-channel limit (on from the start at these defaults): Slack "will generally
        allow an app to post 1 message per second to a specific channel", with short bursts. A token bucket per
        channel holding ``burst`` posts, refilled at ``per_second``; a post finding it empty is answered 429
        ``ratelimited`` with Retry-After (whole seconds until a post would pass). Buckets start full again."""
        if burst < 1 or per_second <= 0:
            raise ValueError("burst must be >= 1 and per_second > 0")
        with self._lock:
            self._channel_post_rate = (burst, per_second)
            self._channel_post_buckets.clear()

    def _channel_post_limit(self, channel: Any, now: float) -> int | None:
        """Retry-After seconds when a post to ``channel`` is over the per-channel limit, else None (and counted)."""
        with self._lock:
            if not isinstance(channel, str):
                return None
            burst, per_second = self._channel_post_rate
            tokens, counted = self._channel_post_buckets.get(channel, (float(burst), now))
            tokens = min(float(burst), tokens + (now - counted) * per_second)
            if tokens < 1.0:
                self._channel_post_buckets[channel] = (tokens, now)
                return max(1, math.ceil((1.0 - tokens) / per_second))
            self._channel_post_buckets[channel] = (tokens - 1.0, now)
            return None

    def set_chaos(
        self,
        *,
        seed: int,
        rate: float,
        methods: set[str] | None = None,
        kinds: Iterable[str] = CHAOS_KINDS,
        response_urls: bool = False,
        hold: float = _DEFAULT_HOLD,
    ) -> None:
        """Inject random faults into a share ``rate`` of calls, as an unreliable network and Slack would.

        Each call to a covered method draws from a generator seeded with (seed, method, how many calls that
        method had since set_chaos), so a seed replays the same faults call for call. ``methods`` None covers
        every Web API method except auth.test and apps.connections.open; ``response_urls`` adds posts to
        response URLs. Kinds: ``ratelimited`` (429, Retry-After: 1), ``server_error`` (500 or 503), ``drop``
        (the request is read, then the connection closed: nothing happened) and ``timeout`` (the call is
        carried out, then the answer is held ``hold`` seconds and the connection closed). Faults queued with
        fail_next() come first. ``rate`` 0 turns chaos off.
        """
        chosen = tuple(dict.fromkeys(kinds))
        unknown = set(chosen) - set(CHAOS_KINDS)
        if unknown or not chosen:
            raise ValueError(f"kinds must be some of {CHAOS_KINDS}, got {sorted(unknown) or 'none'}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if hold <= 0:
            raise ValueError("hold must be positive")
        with self._lock:
            self._chaos_draws.clear()
            self._chaos = (
                _Chaos(seed, rate, frozenset(methods) if methods is not None else None, chosen, response_urls, hold)
                if rate > 0
                else None
            )

    def calm(self) -> None:
        """Stop injecting random faults (answers already held still time out)."""
        with self._lock:
            self._chaos = None

    def chaos_tally(self) -> dict[str, int]:
        """How many faults of each kind were injected so far."""
        with self._lock:
            tally: dict[str, int] = {}
            for fault in self.chaos_log:
                tally[fault.kind] = tally.get(fault.kind, 0) + 1
            return tally

    def _draw_fault(self, name: str) -> _Fault | None:
        """Whether this call to ``name`` gets a fault, decided by the seed and the call's place in line."""
        with self._lock:
            chaos = self._chaos
            if chaos is None or not chaos.covers(name):
                return None
            n = self._chaos_draws.get(name, 0)
            self._chaos_draws[name] = n + 1
        rng = random.Random(f"{chaos.seed}/{name}/{n}")
        if rng.random() >= chaos.rate:
            return None
        kind = rng.choice(chaos.kinds)
        status = {"ratelimited": 429, "server_error": rng.choice((500, 503))}.get(kind, 0)
        return _Fault(kind, status, chaos.hold)

    def _note_fault(self, name: str, fault: _Fault, arrived: float, call: Call | None = None) -> None:
        with self._lock:
            self.chaos_log.append(ChaosFault(name, fault.kind, fault.kind == "timeout", arrived, call))

    # ------------------------------------------------------------------ recordings & waiting

    def calls_to(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0, message: str | None = None) -> None:
        """Poll ``predicate`` until true; on timeout fail with what the fake has seen so far."""
        deadline = time.monotonic() + timeout
        while True:
            if predicate():
                return
            if time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        what = message or getattr(predicate, "__qualname__", repr(predicate))
        raise AssertionError(f"timed out after {timeout}s waiting for: {what}\n{self._summary()}")

    def wait_for_calls(self, method: str, count: int = 1, timeout: float = 5.0) -> list[Call]:
        """Wait until ``method`` has been called at least ``count`` times; return those calls."""
        self.wait_for(
            lambda: len(self.calls_to(method)) >= count,
            timeout,
            message=f"{count} call(s) to {method} (seen {len(self.calls_to(method))})",
        )
        return self.calls_to(method)

    def _summary(self, limit: int = 20) -> str:
        with self._lock:
            calls = list(self.calls[-limit:])
            sockets = len(self._sockets)
        lines = [f"recent Web API calls ({len(calls)} shown):"]
        for c in calls:
            outcome = "ok" if c.ok else f"{c.status} {c.error}"
            lines.append(f"  {c.method} -> {outcome}")
        lines.append(f"Socket Mode clients connected: {sockets}")
        return "\n".join(lines)

    # ------------------------------------------------------------------ helpers

    def _next_counter(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _next_ts(self) -> str:
        with self._lock:
            us = max(int(time.time() * 1_000_000), self._last_ts_us + 1)
            self._last_ts_us = us
        return f"{us // 1_000_000}.{us % 1_000_000:06d}"

    # ------------------------------------------------------------------ HTTP entry points

    def _serve_http(self, handler: BaseHTTPRequestHandler, verb: str) -> None:
        """Route one request; a crash inside the fake is answered 500 and kept in ``internal_errors``."""
        try:
            self._route_http(handler, verb)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client hung up (a bot stopped or killed mid-request), as it may with Slack too
        except Exception:
            _log.exception("FakeSlack failed to handle %s %s", verb, handler.path)
            with self._lock:
                self.internal_errors.append(traceback.format_exc())
            _write(handler, 500, b'{"ok": false, "error": "fatal_error"}', "application/json; charset=utf-8", {})

    def _route_http(self, handler: BaseHTTPRequestHandler, verb: str) -> None:
        arrived = time.monotonic()
        parts = urlsplit(handler.path)
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length > 0 else b""
        if parts.path.startswith("/api/"):
            method = parts.path[len("/api/") :]
            outcome = self._web_api(method, parts.query, body, handler, arrived)
            if outcome.lost_after is not None:
                self._lose_answer(handler, outcome.lost_after)
                return
            with self._lock:
                delay = self._delays.get(method, 0.0)
            if delay:
                _sleep_until(arrived + delay)
            payload = json.dumps(outcome.body).encode("utf-8")
            headers = {"X-Slack-Req-Id": secrets.token_hex(16), **outcome.headers}
            _write(handler, outcome.status, payload, "application/json; charset=utf-8", headers)
        elif parts.path.startswith("/commands/"):
            fault = self._draw_fault(RESPONSE_URL)
            if fault is not None:
                self._note_fault(RESPONSE_URL, fault, arrived)
            if fault is not None and fault.kind == "drop":
                self._lose_answer(handler, 0.0)
                return
            if fault is not None and fault.status:
                headers = {"Retry-After": "1"} if fault.status == 429 else {}
                text = "rate_limited" if fault.status == 429 else "internal_error"
                _write(handler, fault.status, text.encode("utf-8"), "text/html", headers)
                return
            status, text = self._response_url_post(parts.path, verb, body, handler, arrived)
            if status != 200:
                with self._lock:
                    self.refused_responses.append((f"{self.base_url}{parts.path}", text))
            if fault is not None:  # a timeout: the reply was shown, its answer never comes
                self._lose_answer(handler, fault.hold)
                return
            _write(handler, status, text.encode("utf-8"), "text/html", {})
        else:
            _write(handler, 404, b"not found", "text/plain", {})

    def _lose_answer(self, handler: BaseHTTPRequestHandler, after: float) -> None:
        """Chaos: keep the client waiting ``after`` seconds, then close the connection without an answer."""
        if after > 0:
            self._stopping.wait(after)
        handler.close_connection = True

    def _web_api(
        self, method: str, query: str, body: bytes, handler: BaseHTTPRequestHandler, arrived: float
    ) -> _Outcome:
        params: dict[str, Any] = {}
        token: str | None = None
        try:
            params, token, warnings = self._read_args(query, body, handler)
            outcome = self._dispatch(method, params, token, arrived)
        except _BadRequest as exc:
            warnings = []
            outcome = _Outcome(200, {"ok": False, "error": exc.error})
        if outcome.status == 0:
            return outcome  # dropped by chaos before Slack read it: no call happened
        if warnings:
            outcome.body["warning"] = ",".join(warnings)
            outcome.body.setdefault("response_metadata", {})["warnings"] = warnings
        call = Call(method=method, params=params, token=token, at=arrived, status=outcome.status, response=outcome.body)
        with self._lock:
            self.calls.append(call)
            if outcome.lost_after:
                self._note_fault(method, _Fault("timeout", 0, outcome.lost_after), arrived, call)
        return outcome

    def _read_args(
        self, query: str, body: bytes, handler: BaseHTTPRequestHandler
    ) -> tuple[dict[str, Any], str | None, list[str]]:
        """Merge query and body arguments and find the token as Slack does."""
        args: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        token: str | None = args.pop("token", None)
        warnings: list[str] = []
        content_type = handler.headers.get("Content-Type", "")
        mime = content_type.split(";", 1)[0].strip().lower()
        if body:
            if mime == "application/json":
                # Slack reads the token of a JSON post only from the Authorization header.
                if "charset" not in content_type.lower():
                    warnings.append("missing_charset")
                try:
                    decoded = json.loads(body.decode("utf-8"))
                except (UnicodeDecodeError, ValueError):
                    raise _BadRequest("invalid_json") from None
                if not isinstance(decoded, dict):
                    raise _BadRequest("json_not_object")
                decoded.pop("token", None)
                args.update(decoded)
            elif mime == "application/x-www-form-urlencoded":
                try:
                    form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
                except (UnicodeDecodeError, ValueError):
                    raise _BadRequest("invalid_form_data") from None
                token = form.pop("token", token)
                args.update(form)
            elif mime == "multipart/form-data":
                form = _parse_multipart(content_type, body)
                form_token = form.pop("token", None)
                if isinstance(form_token, str):
                    token = form_token
                args.update(form)
            else:
                raise _BadRequest("invalid_post_type")
        authorization = handler.headers.get("Authorization", "")
        if authorization.lower().startswith("bearer "):
            token = authorization[len("bearer ") :].strip() or token
        return _decode_json_args(args), token, warnings

    def _dispatch(self, method: str, params: dict[str, Any], token: str | None, arrived: float) -> _Outcome:
        spec = self._methods.get(method)
        if spec is None:
            return _Outcome(200, {"ok": False, "error": "unknown_method", "req_method": method})
        kind, implementation = spec
        if not token:
            return _Outcome(200, {"ok": False, "error": "not_authed"})
        if token not in (self.bot_token, self.app_token):
            return _Outcome(200, {"ok": False, "error": "invalid_auth"})
        if (kind == _BOT) != (token == self.bot_token):
            return _Outcome(200, {"ok": False, "error": "not_allowed_token_type"})

        injected = self._take_injection(method)
        if injected is not None:
            headers = {"Retry-After": str(injected.retry_after)} if injected.retry_after is not None else {}
            return _Outcome(injected.status, {"ok": False, "error": injected.error}, headers)

        fault = self._draw_fault(method)
        if fault is not None and fault.kind != "timeout":
            self._note_fault(method, fault, arrived)
            if fault.kind == "drop":
                return _Outcome(0, {}, lost_after=0.0)
            if fault.status == 429:
                return _Outcome(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"})
            error = "internal_error" if fault.status == 500 else "service_unavailable"
            return _Outcome(fault.status, {"ok": False, "error": error})
        outcome = self._carry_out(method, implementation, params, token, arrived)
        if fault is not None:  # a timeout: Slack did the work, the client never hears of it
            outcome.lost_after = fault.hold
        return outcome

    def _carry_out(
        self,
        method: str,
        implementation: Callable[[dict[str, Any], float], dict[str, Any]],
        params: dict[str, Any],
        token: str,
        arrived: float,
    ) -> _Outcome:
        """The call as Slack handles it once it got through: rate limits, then the method itself."""
        now = self._rate_clock()
        retry_after = self._rate_limit(method, token, now)
        if retry_after is None and method == "chat.postMessage":
            retry_after = self._channel_post_limit(params.get("channel"), now)
        if retry_after is not None:
            return _Outcome(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})

        try:
            result = implementation(params, arrived)
        except _ApiError as exc:
            body: dict[str, Any] = {"ok": False, "error": exc.error}
            if exc.messages:
                body["response_metadata"] = {"messages": exc.messages}
            return _Outcome(200, body)
        return _Outcome(200, {"ok": True, **result})

    def _take_injection(self, method: str) -> _Injection | None:
        with self._lock:
            queue = self._injections.get(method)
            if not queue:
                return None
            injection = queue[0]
            injection.remaining -= 1
            if injection.remaining <= 0:
                queue.popleft()
            return injection

    def _rate_limit(self, method: str, token: str, now: float) -> int | None:
        """Sliding-window limiter; returns Retry-After seconds when the call is over the limit."""
        limit_of = self._rate_limits.get(method)
        if limit_of is None:
            return None
        limit = limit_of()
        with self._lock:
            window = self._rate_windows.setdefault((token, method), deque())
            while window and now - window[0] >= _RATE_WINDOW:
                window.popleft()
            if len(window) >= limit:
                return max(1, math.ceil(window[0] + _RATE_WINDOW - now))
            window.append(now)
            return None

    # ------------------------------------------------------------------ Web API methods

    def _auth_test(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        return {
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "ivs-kick",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": self.enterprise_install,
        } | ({"enterprise_id": self.enterprise_id} if self.enterprise_id else {})

    def _views_open(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        trigger_id = params.get("trigger_id") or params.get("interactivity_pointer")
        if not trigger_id:
            raise _ApiError("invalid_arguments", ["[ERROR] missing required field: trigger_id"])
        if "view" not in params:
            raise _ApiError("invalid_arguments", ["[ERROR] missing required field: view"])
        with self._lock:
            trigger = self._triggers.get(str(trigger_id))
            if trigger is None:
                raise _ApiError("invalid_trigger_id")
            if trigger.exchanged:
                raise _ApiError("exchanged_trigger_id")
            if arrived - trigger.issued_at > self.trigger_ttl:
                raise _ApiError("expired_trigger_id")
            spec = self._validated_view(params["view"])
            external_id = spec.get("external_id") or ""
            if external_id and external_id in self._external_ids:
                raise _ApiError("duplicate_external_id")
            trigger.exchanged = True
            view_id = "V" + secrets.token_hex(5).upper()
            view = self._materialize_view(view_id, spec)
            self._views[view_id] = view
            if external_id:
                self._external_ids[external_id] = view_id
            self.opened_views.append(view)
            return {"view": view}

    def _views_update(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        if "view" not in params:
            raise _ApiError("invalid_arguments", ["[ERROR] missing required field: view"])
        with self._lock:
            view_id = params.get("view_id")
            external_id = params.get("external_id")
            if not view_id and not external_id:
                raise _ApiError("invalid_arguments", ["[ERROR] missing required field: view_id"])
            if not view_id:
                view_id = self._external_ids.get(str(external_id))
            current = self._views.get(str(view_id)) if view_id else None
            if current is None:
                raise _ApiError("not_found")
            spec = self._validated_view(params["view"])
            expected_hash = params.get("hash")
            if expected_hash and expected_hash != current["hash"]:
                raise _ApiError("hash_conflict")
            new_external_id = spec.get("external_id") or ""
            owner = self._external_ids.get(new_external_id)
            if new_external_id and owner is not None and owner != current["id"]:
                raise _ApiError("duplicate_external_id")
            view = self._materialize_view(current["id"], spec)
            self._views[current["id"]] = view
            if new_external_id:
                self._external_ids[new_external_id] = current["id"]
            self.updated_views.append(view)
            return {"view": view}

    def _views_push(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        """Like views.open (a fresh trigger, a valid view); the stack above the open modal is not modelled."""
        return self._views_open(params, arrived)

    def _validated_view(self, view: Any) -> dict[str, Any]:
        if isinstance(view, dict) and len(json.dumps(view)) > _MAX_VIEW_BYTES:
            raise _ApiError("view_too_large")
        problems = _validate_modal(view)
        if problems:
            raise _ApiError("invalid_arguments", problems)
        assert isinstance(view, dict)
        return view

    def _materialize_view(self, view_id: str, spec: dict[str, Any]) -> dict[str, Any]:
        """Build the view object Slack returns (block_ids filled in, fresh hash)."""
        blocks = []
        for block in spec.get("blocks", []):
            filled = dict(block)
            filled.setdefault("block_id", secrets.token_urlsafe(4))
            blocks.append(filled)
        return {
            "id": view_id,
            "team_id": self.team_id,
            "type": spec["type"],
            "title": spec["title"],
            "submit": spec.get("submit"),
            "close": spec.get("close"),
            "blocks": blocks,
            "private_metadata": spec.get("private_metadata", ""),
            "callback_id": spec.get("callback_id", ""),
            "external_id": spec.get("external_id", ""),
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
            "clear_on_close": bool(spec.get("clear_on_close", False)),
            "notify_on_close": bool(spec.get("notify_on_close", False)),
            "previous_view_id": None,
            "root_view_id": view_id,
            "app_id": self.app_id,
            "app_installed_team_id": self.team_id,
            "bot_id": self.bot_id,
        }

    def _postable_channel(self, channel: Any) -> str:
        if not isinstance(channel, str) or not channel:
            raise _ApiError("channel_not_found")
        with self._lock:
            state = self._channels.get(channel)
        if state is None:
            raise _ApiError("channel_not_found")
        if state.archived:
            raise _ApiError("is_archived")
        if not state.bot_is_member:
            raise _ApiError("not_in_channel")
        return channel

    def _chat_post_message(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        channel = self._postable_channel(params.get("channel"))
        self._check_content(params)
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "team": self.team_id,
            "ts": ts,
            "text": params.get("text") or "",
        }
        if params.get("blocks"):
            message["blocks"] = params["blocks"]
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        with self._lock:
            self.messages.append(
                {
                    "channel": channel,
                    "text": params.get("text"),
                    "blocks": params.get("blocks"),
                    "ts": ts,
                    "thread_ts": params.get("thread_ts"),
                    "metadata": params.get("metadata"),
                }
            )
        return {"channel": channel, "ts": ts, "message": message}

    def _chat_update(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        """Only a message this bot posted, in that channel, can be updated; the edit is kept for the tests."""
        channel = self._postable_channel(params.get("channel"))
        ts = params.get("ts")
        self._check_content(params)
        with self._lock:
            message = next((m for m in self.messages if m["channel"] == channel and m["ts"] == ts), None)
            if message is None:
                raise _ApiError("message_not_found")
            message.update(text=params.get("text"), blocks=params.get("blocks"), edited=True)
            edit = {"channel": channel, "ts": ts, "text": params.get("text"), "blocks": params.get("blocks")}
            self.updates.append(edit)
        return {"channel": channel, "ts": ts, "text": params.get("text") or ""}

    def _conversations_history(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        """Newest first, from `oldest` on, paged by an opaque cursor; metadata only when asked for, as Slack does."""
        channel = self._postable_channel(params.get("channel"))
        oldest = float(params.get("oldest") or 0)
        limit = max(1, min(int(params.get("limit") or 100), 999))
        start = int(params.get("cursor") or 0)
        with self._lock:
            found = [m for m in self.messages if m["channel"] == channel and float(m["ts"]) >= oldest]
        found.sort(key=lambda m: float(m["ts"]), reverse=True)
        page = found[start : start + limit]
        with_metadata = str(params.get("include_all_metadata")).lower() in {"true", "1"}
        messages = [
            {"type": "message", "ts": m["ts"], "text": m["text"] or "", "bot_id": self.bot_id}
            | ({"metadata": m["metadata"]} if with_metadata and m.get("metadata") else {})
            for m in page
        ]
        more = start + limit < len(found)
        return {
            "messages": messages,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _chat_post_ephemeral(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        channel = self._postable_channel(params.get("channel"))
        user = params.get("user")
        if not isinstance(user, str) or not user:
            raise _ApiError("user_not_found")
        with self._lock:
            members = self._channels[channel].members
        if members is not None and user not in members:
            raise _ApiError("user_not_in_channel")
        self._check_content(params)
        ts = self._next_ts()
        with self._lock:
            self.ephemerals.append(
                {
                    "channel": channel,
                    "user": user,
                    "text": params.get("text"),
                    "blocks": params.get("blocks"),
                    "ts": ts,
                }
            )
        return {"message_ts": ts}

    def _conversations_open(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        """A direct message between the bot and one user (the same channel each time), which the bot can post in."""
        users = [u for u in str(params.get("users") or "").split(",") if u]
        if not users:
            raise _ApiError("users_list_not_supplied")
        if len(users) > 1:
            raise _ApiError("not_implemented")  # group DMs: the fake has none
        with self._lock:
            channel = self._direct_messages.get(users[0])
            if channel is None:
                channel = self._direct_messages[users[0]] = "D" + secrets.token_hex(5).upper()
                self._channels[channel] = _Channel(
                    bot_is_member=True, archived=False, members=frozenset({users[0], self.bot_user_id})
                )
        return {"channel": {"id": channel}}

    @staticmethod
    def _check_content(params: dict[str, Any]) -> None:
        problem = _message_content_errors(params)
        if problem is not None:
            raise _ApiError(*problem)

    def _usergroups_users_list(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        group_id = params.get("usergroup")
        with self._lock:
            users = self._groups.get(str(group_id)) if group_id else None
            if users is None:
                raise _ApiError("no_such_subteam")
            return {"users": list(users)}

    def _apps_connections_open(self, params: dict[str, Any], arrived: float) -> dict[str, Any]:
        ticket = str(uuid.uuid4())
        with self._lock:
            self._tickets[ticket] = False
        return {"url": f"ws://{_HOST}:{self.ws_port}/link/?ticket={ticket}&app_id={self.app_id}"}

    # ------------------------------------------------------------------ response URLs

    def _response_url_post(
        self, path: str, verb: str, body: bytes, handler: BaseHTTPRequestHandler, arrived: float
    ) -> tuple[int, str]:
        with self._lock:
            state = self._response_urls.get(path)
            if state is None:
                return 404, "no_service"
            if arrived - state.created_at > self.response_url_ttl:
                return 404, "expired_url"
            if state.uses >= self.response_url_max_uses:
                return 404, "used_url"
        if verb != "POST":
            return 405, "invalid_method"
        mime = handler.headers.get("Content-Type", "").split(";", 1)[0].strip().lower()
        if mime != "application/json":
            return 400, "invalid_payload"
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, "invalid_payload"
        if not isinstance(payload, dict):
            return 400, "invalid_payload"
        if payload.get("response_type") not in (None, "ephemeral", "in_channel"):
            return 400, "invalid_payload"
        if not payload.get("delete_original"):
            problem = _message_content_errors(_decode_json_args(dict(payload)))
            if problem is not None:
                return 400, problem[0]
        with self._lock:
            if state.uses >= self.response_url_max_uses:
                return 404, "used_url"
            state.uses += 1
            self.posted_responses.append(ResponsePost(url=f"{self.base_url}{path}", body=payload, at=arrived))
        return 200, "ok"

    # ------------------------------------------------------------------ Socket Mode

    def _ws_process_request(self, connection: ServerConnection, request: Request) -> Response | None:
        """Accept only ``/link/`` with a ticket issued by apps.connections.open, once."""
        parts = urlsplit(request.path)
        if parts.path.rstrip("/") != "/link":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        ticket = dict(parse_qsl(parts.query)).get("ticket", "")
        with self._lock:
            used = self._tickets.get(ticket)
            if used is None or used:
                return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid or already used ticket\n")
            self._tickets[ticket] = True
        return None

    def _ws_handler(self, connection: ServerConnection) -> None:
        with self._lock:
            count = len(self._sockets) + 1
        hello = {
            "type": "hello",
            "num_connections": count,
            "debug_info": {"host": "applink-fake-1", "build_number": 1, "approximate_connection_time": 18060},
            "connection_info": {"app_id": self.app_id},
        }
        try:
            connection.send(json.dumps(hello))
            with self._lock:
                self._sockets.append(connection)
                self.socket_connections_opened += 1
            for raw in connection:
                self._on_socket_message(raw)
        except ConnectionClosed:
            pass
        finally:
            with self._lock:
                if connection in self._sockets:
                    self._sockets.remove(connection)

    def _on_socket_message(self, raw: str | bytes) -> None:
        received = time.monotonic()
        try:
            message = json.loads(raw)
        except ValueError:
            with self._lock:
                self.unmatched_socket_messages.append(raw)
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self._lock:
            pending = self._pending_acks.pop(envelope_id, None) if isinstance(envelope_id, str) else None
            if pending is None:
                self.unmatched_socket_messages.append(message)
                return
            payload = message.get("payload")
            pending.payload = payload if isinstance(payload, dict) else None
            self.acks.append(
                Ack(
                    envelope_id=envelope_id,  # type: ignore[arg-type]
                    envelope_type=pending.envelope_type,
                    payload=pending.payload,
                    sent_at=pending.sent_at,
                    acked_at=received,
                )
            )
        pending.event.set()

    @property
    def socket_client_count(self) -> int:
        """Socket Mode connections currently open."""
        with self._lock:
            return len(self._sockets)

    def wait_for_socket_client(self, timeout: float = 10.0) -> None:
        """Wait until a Socket Mode client has connected and received ``hello``."""
        self.wait_for(lambda: self.socket_client_count > 0, timeout, message="a Socket Mode client to connect")

    def send_envelope(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        retry_attempt: int = 0,
        retry_reason: str = "timeout",
        deadline: float | None = None,
    ) -> dict[str, Any] | None:
        """Deliver an envelope to the newest connection and return the payload of its ack.

        As Slack does, the ack must come within ``deadline`` seconds (``ack_deadline``, 3 s unless changed) and
        carry an answer Slack accepts (``answer_problems``), else AckTimedOut or AckRefused. ``retry_attempt`` > 0
        marks Slack's redelivery of an event whose earlier delivery failed, for ``retry_reason``."""
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": envelope_type,
            "payload": payload,
            "accepts_response_payload": envelope_type != "events_api",
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason if retry_attempt else "",
        }
        limit = self.ack_deadline if deadline is None else deadline
        with self._lock:
            if not self._sockets:
                raise AssertionError(
                    f"no Socket Mode client is connected to receive {envelope_type}\n{self._summary()}"
                )
            connection = self._sockets[-1]
            pending = _PendingAck(envelope_type=envelope_type, sent_at=time.monotonic())
            self._pending_acks[envelope_id] = pending
        try:
            connection.send(json.dumps(envelope))
        except ConnectionClosed as exc:
            with self._lock:
                self._pending_acks.pop(envelope_id, None)
            raise AssertionError(f"Socket Mode connection closed while sending {envelope_type}") from exc
        if not pending.event.wait(limit):
            with self._lock:
                self._pending_acks.pop(envelope_id, None)
            raise AckTimedOut(
                f"{envelope_type} envelope {envelope_id} was not acknowledged within Slack's {limit}s "
                f"({_LATE[envelope_type == 'events_api']})\n{self._summary()}"
            )
        if envelope_type == "events_api":
            return pending.payload  # Slack reads nothing from an event's ack
        kind = envelope_type if envelope_type != "interactive" else str(payload.get("type"))
        return check_ack(kind, payload, pending.payload)

    def disconnect_socket_clients(self, *, reason: str = "refresh_requested", timeout: float = 5.0) -> None:
        """Recycle connections as Slack does: send ``disconnect``, then close the old sockets.

        Slack closes an old connection once the client has opened its replacement (or the
        grace period ends); the fake waits up to ``timeout`` for a new connection first.
        """
        with self._lock:
            old = list(self._sockets)
            opened_before = self.socket_connections_opened
        notice = json.dumps({"type": "disconnect", "reason": reason, "debug_info": {"host": "applink-fake-1"}})
        for connection in old:
            try:
                connection.send(notice)
            except ConnectionClosed:
                pass
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                remaining = [c for c in old if c in self._sockets]
                replaced = self.socket_connections_opened > opened_before
            if not remaining or replaced or time.monotonic() >= deadline:
                break
            time.sleep(0.01)
        for connection in remaining:
            connection.close(code=1001, reason=reason)


def _make_http_handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "FakeSlack/1.0"
        # Headers and body go out in separate writes; without TCP_NODELAY a keep-alive client waits ~40 ms
        # for the delayed ACK on every call, a cost the real service does not have.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            fake._serve_http(self, "GET")

        def do_POST(self) -> None:
            fake._serve_http(self, "POST")

        def log_message(self, format: str, *args: Any) -> None:
            _log.debug("%s %s", self.address_string(), format % args)

    return _Handler


def _write(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str, headers: dict[str, str]
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)
