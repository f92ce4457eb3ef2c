"""A local Amazon IVS Chat endpoint for tests.

Why: the bot's kick path is "boto3 -> IVS Chat DisconnectUser". Mocking boto3 would skip the parts
that break in production (serialization, SigV4 signing, retries, error parsing), so this fake is a
real HTTP server speaking IVS Chat's REST-JSON protocol. Point the bot at it with
``AWS_ENDPOINT_URL_IVSCHAT=<fake.url>`` and the genuine botocore code runs end to end.

A fake that accepts anything proves nothing, so it enforces what the service enforces:
SigV4 signatures are recomputed and checked, input constraints are read from botocore's own
service model (not hard-coded), rooms only exist in the region of their ARN, and DisconnectUser
calls are rate limited per account. Besides DisconnectUser it answers the read operations GetRoom
and ListRooms, so code that looks rooms up before acting can be tested against the same world; those
are held to the room operations' quota (ThrottlingException beyond it), as AWS holds them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import re
import secrets
import socket
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import Message
from email.utils import parsedate_to_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import MappingProxyType, TracebackType
from typing import Any
from urllib.parse import quote, unquote

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape, StructureShape

SERVICE_NAME = "ivschat"
DISCONNECT_USER = "DisconnectUser"
GET_ROOM = "GetRoom"
LIST_ROOMS = "ListRooms"
OPERATIONS = (DISCONNECT_USER, GET_ROOM, LIST_ROOMS)
OPERATION_NAME = DISCONNECT_USER  # the operation `calls` records; the bot's only write
INTERNAL_SERVER_ERROR = "InternalServerError"
# Random faults set_chaos() can inject into DisconnectUser. `drop` and `timeout` happen after the call was
# carried out, as when the network loses an answer: the viewer *was* disconnected, the client never hears so.
CHAOS_KINDS = ("throttling", "server_error", "slow", "drop", "timeout")
# Timeouts cost a client its whole read timeout, so they are opt-in.
DEFAULT_CHAOS_KINDS = ("throttling", "server_error", "slow", "drop")
# Longer than the bot's botocore read_timeout (10 s), so a held answer is a read timeout to the client.
_DEFAULT_HOLD = 11.0

_SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
_SIGV4_TIMESTAMP = "%Y%m%dT%H%M%SZ"
_MAX_CLOCK_SKEW = timedelta(minutes=5)
_RATE_WINDOW_SECONDS = 1.0
# IVS Chat User Guide, "Service Quotas", API call rate quotas: GetRoom and ListRooms 5 TPS each, per account and
# region, not adjustable.
ROOM_OPERATIONS_TPS = 5
# Errors raised by the service's own model carry the service namespace; authentication failures
# come from the shared AWS front end and carry its namespace instead.
_SERVICE_NAMESPACE = "http://internal.amazon.com/coral/com.amazonaws.ivschat/"
_FRONTEND_NAMESPACE = "http://internal.amazon.com/coral/com.amazon.coral.service/"
_BAD_SIGNATURE_MESSAGE = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your AWS Secret Access Key and signing method. "
    "Consult the service documentation for details."
)
_INVALID_TOKEN_MESSAGE = "The security token included in the request is invalid."
# The model states some defaults only in prose ("Default: 50."); reading them keeps the fake in step.
_DOCUMENTED_DEFAULT = re.compile(r"Default:\s*(\d+)")
_SCALAR_TYPES = frozenset({"string", "integer", "long", "boolean"})


@dataclass(frozen=True)
class DisconnectCall:
    """One request that reached DisconnectUser, so tests can assert exactly what the bot sent."""

    room_arn: str | None
    user_id: str | None
    reason: str | None  # None when the member was absent (distinct from "")
    region: str  # region of the SigV4 credential scope, i.e. the endpoint that answered
    access_key: str
    request_id: str
    status: int
    error: str | None
    at: float  # time.monotonic() on arrival
    raw_body: bytes
    invocation_id: str | None = None  # amz-sdk-invocation-id: the same on every retry of one SDK call
    attempt: int | None = None  # from amz-sdk-request: 1 for the first try, 2 for the first retry…
    fault: str | None = None  # the chaos kind injected into this request, if any
    answered: bool = True  # False when chaos closed the connection instead of answering

    @property
    def took_effect(self) -> bool:
        """The user was disconnected, whether or not the answer reached the client."""
        return self.status == 200


@dataclass(frozen=True)
class ChaosFault:
    """A fault set_chaos() injected, so a soak can tally them and tell a lost answer from a refused call."""

    operation: str
    kind: str  # one of CHAOS_KINDS
    took_effect: bool  # the call was carried out (for DisconnectUser: the user was disconnected)
    room_arn: str | None
    user_id: str | None
    invocation_id: str | None
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class OperationCall:
    """One request routed to any operation, so tests can assert on lookups as well as kicks."""

    operation: str
    params: Mapping[str, Any]  # the JSON body as sent; empty when it was not a JSON object
    region: str  # region of the SigV4 credential scope
    access_key: str
    request_id: str
    status: int
    error: str | None
    at: float  # time.monotonic() on arrival
    raw_body: bytes


# --------------------------------------------------------------------------------------------
# What the service model says
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _FieldRule:
    """Constraints of one input member, read from the model so they track the real service."""

    name: str
    type_name: str
    required: bool
    min_length: int | None
    max_length: int | None
    pattern: str | None
    enum: tuple[str, ...]
    sensitive: bool
    min_value: int | None = None
    max_value: int | None = None

    def violations(self, present: bool, value: object) -> list[str]:
        """Constraint messages this value breaks (empty when it is acceptable)."""
        if not present or value is None:
            return ["Member must not be null"] if self.required else []
        expected: dict[str, tuple[type, ...]] = {
            "string": (str,),
            "integer": (int,),
            "long": (int,),
            "boolean": (bool,),
        }
        types = expected.get(self.type_name)
        if types is not None and (
            not isinstance(value, types) or (self.type_name != "boolean" and isinstance(value, bool))
        ):
            return [f"Member must be of type {self.type_name}"]
        if isinstance(value, int) and not isinstance(value, bool):
            found_range: list[str] = []
            if self.min_value is not None and value < self.min_value:
                found_range.append(f"Member must have value greater than or equal to {self.min_value}")
            if self.max_value is not None and value > self.max_value:
                found_range.append(f"Member must have value less than or equal to {self.max_value}")
            return found_range
        if not isinstance(value, str):
            return []
        found: list[str] = []
        if self.min_length is not None and len(value) < self.min_length:
            found.append(f"Member must have length greater than or equal to {self.min_length}")
        if self.max_length is not None and len(value) > self.max_length:
            found.append(f"Member must have length less than or equal to {self.max_length}")
        if self.pattern is not None and re.fullmatch(self.pattern, value) is None:
            found.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        if self.enum and value not in self.enum:
            found.append(f"Member must satisfy enum value set: [{', '.join(self.enum)}]")
        return found

    def describe(self, present: bool, value: object, constraint: str) -> str:
        """The service's long-form sentence; sensitive values are never echoed back."""
        if not present or value is None:
            return f"Value null at '{self.name}' failed to satisfy constraint: {constraint}"
        echoable = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
        if self.sensitive or not echoable:
            return f"Value at '{self.name}' failed to satisfy constraint: {constraint}"
        return f"Value '{value}' at '{self.name}' failed to satisfy constraint: {constraint}"


@dataclass(frozen=True)
class _ErrorSpec:
    """A modeled error: its status and which body members a client may rely on."""

    code: str
    status: int
    members: tuple[str, ...]
    required: tuple[str, ...]
    enums: Mapping[str, tuple[str, ...]]


@dataclass(frozen=True)
class _OperationSpec:
    """One operation's contract, resolved once."""

    name: str
    method: str
    request_uri: str
    fields: tuple[_FieldRule, ...]
    room_rule: _FieldRule | None  # the member naming the room acted on; None for ListRooms
    errors: Mapping[str, _ErrorSpec]  # the errors the model lets this operation return
    output_members: tuple[str, ...]


@dataclass(frozen=True)
class _ServiceSpec:
    """Everything the fake needs from the model, resolved once."""

    signing_name: str
    operations: Mapping[str, _OperationSpec]
    errors: Mapping[str, _ErrorSpec]  # every modeled error, whichever operation raises it
    validation_reasons: tuple[str, ...]
    room_name: _FieldRule
    tag_key: _FieldRule
    tag_value: _FieldRule
    max_tags: int | None
    summary_members: tuple[str, ...]  # of RoomSummary, what ListRooms says about each room
    review_handler_uri: _FieldRule  # MessageReviewHandler.uri: a Lambda function ARN
    fallback_results: tuple[str, ...]  # MessageReviewHandler.fallbackResult
    default_max_results: int
    max_message_rate: int  # a room's defaults, as GetRoom reports them for rooms created without settings
    max_message_length: int

    def route(self, method: str, raw_path: str) -> _OperationSpec | None:
        """The operation an HTTP request addresses, if any."""
        for spec in self.operations.values():
            if spec.method == method and spec.request_uri == raw_path:
                return spec
        return None


class ModelChanged(RuntimeError):
    """botocore's IVS Chat model changed in a way this fake does not imitate; better to stop than to pass."""


def _field_rule(name: str, shape: Shape, required: bool) -> _FieldRule:
    meta = shape.metadata
    is_string = shape.type_name == "string"
    is_number = shape.type_name in ("integer", "long")
    return _FieldRule(
        name=name,
        type_name=shape.type_name,
        required=required,
        min_length=meta.get("min") if is_string else None,
        max_length=meta.get("max") if is_string else None,
        pattern=meta.get("pattern"),
        enum=tuple(meta.get("enum", ())),
        sensitive=bool(meta.get("sensitive", False)),
        min_value=meta.get("min") if is_number else None,
        max_value=meta.get("max") if is_number else None,
    )


def _error_spec(shape: Shape) -> _ErrorSpec:
    members = shape.members  # type: ignore[attr-defined]
    return _ErrorSpec(
        code=shape.name,
        status=int(shape.metadata["error"]["httpStatusCode"]),
        members=tuple(members),
        required=tuple(shape.required_members),  # type: ignore[attr-defined]
        enums={name: tuple(m.enum) for name, m in members.items() if getattr(m, "enum", None)},
    )


def _structure(shape: Shape | None, what: str) -> StructureShape:
    if not isinstance(shape, StructureShape):
        raise ModelChanged(f"{what} is no longer a structure")
    return shape


def _member(structure: StructureShape, name: str) -> Shape:
    shape = structure.members.get(name)
    if shape is None:
        raise ModelChanged(f"{structure.name} has no member {name!r} any more")
    return shape


def _documented_default(structure: StructureShape, name: str) -> int:
    """A default the model gives only in a member's documentation, checked against the member's range."""
    shape = _member(structure, name)
    found = _DOCUMENTED_DEFAULT.search(shape.documentation or "")
    if found is None:
        raise ModelChanged(f"{structure.name}.{name} no longer documents a default")
    value = int(found.group(1))
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ModelChanged(f"{structure.name}.{name} documents default {value} outside [{low}, {high}]")
    return value


def _require_members(structure: StructureShape, produced: set[str]) -> tuple[str, ...]:
    """The structure's member names; fails if it now requires something the fake does not produce."""
    missing = set(structure.required_members) - produced
    if missing:
        raise ModelChanged(f"{structure.name} now requires {sorted(missing)}")
    return tuple(structure.members)


# What the fake can say about a room; anything the model does not define is left out of answers.
_ROOM_MEMBERS = {
    "arn",
    "id",
    "name",
    "createTime",
    "updateTime",
    "maximumMessageRatePerSecond",
    "maximumMessageLength",
    "tags",
    "loggingConfigurationIdentifiers",
    "messageReviewHandler",
}


def _load_operation(service: ServiceModel, name: str) -> _OperationSpec:
    op: OperationModel = service.operation_model(name)
    input_shape = _structure(op.input_shape, f"{name} input")
    required = set(input_shape.required_members)
    fields: list[_FieldRule] = []
    room_rule: _FieldRule | None = None
    for member, shape in input_shape.members.items():
        if shape.serialization.get("location"):
            # The fake only reads the JSON body; a model change moving members elsewhere must fail loudly.
            raise ModelChanged(f"{name}.{member} is bound to {shape.serialization['location']}")
        if shape.type_name not in _SCALAR_TYPES:
            raise ModelChanged(f"{name}.{member} is a {shape.type_name}, which the fake does not validate")
        rule = _field_rule(member, shape, member in required)
        fields.append(rule)
        if shape.name == "RoomIdentifier":
            room_rule = rule
    if room_rule is not None and room_rule.pattern is None:
        raise ModelChanged(f"{name} no longer constrains its RoomIdentifier to an ARN pattern")
    output = op.output_shape
    return _OperationSpec(
        name=name,
        method=op.http["method"],
        request_uri=op.http["requestUri"],
        fields=tuple(fields),
        room_rule=room_rule,
        errors={shape.name: _error_spec(shape) for shape in op.error_shapes},
        output_members=tuple(_structure(output, f"{name} output").members) if output is not None else (),
    )


@lru_cache(maxsize=1)
def _service_spec() -> _ServiceSpec:
    """Read the operations' contracts from botocore's bundled ivschat model."""
    raw = Loader().load_service_model(SERVICE_NAME, "service-2")
    service = ServiceModel(raw, service_name=SERVICE_NAME)
    operations = {name: _load_operation(service, name) for name in OPERATIONS}
    for name in (DISCONNECT_USER, GET_ROOM):
        if operations[name].room_rule is None:
            raise ModelChanged(f"{name} no longer takes a RoomIdentifier ARN")
    if operations[LIST_ROOMS].room_rule is not None:
        raise ModelChanged("ListRooms now addresses a single room")
    listed = {rule.name for rule in operations[LIST_ROOMS].fields}
    for member in ("name", "nextToken", "maxResults"):
        if member not in listed:
            raise ModelChanged(f"ListRooms no longer takes {member!r}")

    errors: dict[str, _ErrorSpec] = {}
    for spec in operations.values():
        errors.update(spec.errors)
    reasons: tuple[str, ...] = ()
    if "ValidationException" in errors:
        reasons = tuple(_member(_structure(service.shape_for("ValidationException"), "error"), "reason").enum)

    get_output = _structure(service.operation_model(GET_ROOM).output_shape, "GetRoom output")
    _require_members(get_output, _ROOM_MEMBERS)
    list_output = _structure(service.operation_model(LIST_ROOMS).output_shape, "ListRooms output")
    _require_members(list_output, {"rooms", "nextToken"})
    rooms = _member(list_output, "rooms")
    summary = _structure(getattr(rooms, "member", None), "ListRooms rooms member")
    list_input = _structure(service.operation_model(LIST_ROOMS).input_shape, "ListRooms input")
    tags = _member(get_output, "tags")
    tag_key, tag_value = getattr(tags, "key", None), getattr(tags, "value", None)
    if tag_key is None or tag_value is None:
        raise ModelChanged("GetRoom tags are no longer a map")
    handler = _structure(_member(get_output, "messageReviewHandler"), "GetRoom messageReviewHandler")
    if _member(summary, "messageReviewHandler").name != handler.name:
        raise ModelChanged("ListRooms and GetRoom no longer describe a room's review handler alike")
    _require_members(handler, {"uri", "fallbackResult"})
    fallback_results = tuple(_member(handler, "fallbackResult").enum)
    if not fallback_results:
        raise ModelChanged("MessageReviewHandler.fallbackResult is no longer an enum")
    return _ServiceSpec(
        signing_name=service.signing_name or SERVICE_NAME,
        operations=operations,
        errors=errors,
        validation_reasons=reasons,
        room_name=_field_rule("name", _member(get_output, "name"), False),
        tag_key=_field_rule("tags.key", tag_key, True),
        tag_value=_field_rule("tags.value", tag_value, True),
        max_tags=tags.metadata.get("max"),
        summary_members=_require_members(summary, _ROOM_MEMBERS),
        review_handler_uri=_field_rule("messageReviewHandler.uri", _member(handler, "uri"), True),
        fallback_results=fallback_results,
        default_max_results=_documented_default(list_input, "maxResults"),
        max_message_rate=_documented_default(get_output, "maximumMessageRatePerSecond"),
        max_message_length=_documented_default(get_output, "maximumMessageLength"),
    )


# --------------------------------------------------------------------------------------------
# Internal plumbing
# --------------------------------------------------------------------------------------------


class _Reply(Exception):
    """An error answer; raised from deep in request handling to short-circuit it."""

    def __init__(self, status: int, code: str, body: dict[str, Any], namespace: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code
        self.body = body
        self.namespace = namespace


@dataclass(frozen=True)
class _Credential:
    secret_key: str
    account: str
    session_token: str | None  # None: any (or no) token is accepted with this key


@dataclass(frozen=True)
class _Principal:
    access_key: str
    account: str
    region: str


@dataclass(frozen=True)
class _Room:
    arn: str
    region: str
    account: str
    room_id: str
    name: str
    tags: Mapping[str, str]
    review_handler: Mapping[str, str] | None  # {"uri", "fallbackResult"}; None: the room has none
    created: datetime
    updated: datetime
    order: int  # when add_room saw it last; breaks ties between equal update times

    @property
    def listing_key(self) -> tuple[datetime, int]:
        """ListRooms order is descending update time; ties go newest-added first."""
        return (self.updated, self.order)


@dataclass(frozen=True)
class _Cursor:
    """Where a ListRooms page ended, and for whom: a token only continues the listing it came from."""

    account: str
    region: str
    filters: tuple[tuple[str, str], ...]
    after: tuple[datetime, int]


@dataclass(frozen=True)
class _Injection:
    code: str
    status: int
    members: Mapping[str, object]


@dataclass(frozen=True)
class _Chaos:
    seed: int
    rate: float
    kinds: tuple[str, ...]
    slow: tuple[float, float]
    hold: float


@dataclass
class _Seen:
    """What was learned about a request so far, so rejected calls are still recorded usefully."""

    region: str = ""
    access_key: str = ""
    params: Mapping[str, Any] = field(default_factory=dict)
    room_arn: str | None = None
    user_id: str | None = None
    reason: str | None = None
    fault: str | None = None  # chaos injected into this request
    fault_delay: float = 0.0  # how long chaos holds the answer (slow) or the connection (timeout)


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay: float
    drop: bool = False  # close the connection after the delay instead of answering


def _room_parts(arn: str) -> tuple[str, str, str]:
    """(region, account, room id) of an ARN already known to match the RoomIdentifier pattern."""
    _, _, _, region, account, resource = arn.split(":", 5)
    return region, account, resource.split("/", 1)[1]


def _attempt_number(header: str | None) -> int | None:
    """The attempt botocore numbers in `amz-sdk-request: attempt=2; max=3`."""
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "attempt" and value.isdigit():
            return int(value)
    return None


def _iso8601(moment: datetime) -> str:
    """The model's iso8601 Time, to the millisecond in UTC as the service writes it."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _canonical_uri(raw_path: str) -> str:
    """RFC 3986 dot-segment removal, empty segments dropped, then each segment encoded again.

    Non-S3 services sign the already-encoded path encoded a second time.
    """
    segments: list[str] = []
    for segment in raw_path.split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    path = "/" + "/".join(segments)
    if segments and raw_path.endswith("/"):
        path += "/"
    return quote(path, safe="/~")


def _canonical_query(query: str) -> str:
    """Each name and value URI-encoded per SigV4, sorted by name then value."""
    pairs: list[tuple[str, str]] = []
    for part in query.split("&"):
        if not part:
            continue
        name, _, value = part.partition("=")
        pairs.append((quote(unquote(name), safe="-_.~"), quote(unquote(value), safe="-_.~")))
    return "&".join(f"{name}={value}" for name, value in sorted(pairs))


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def _signing_key(secret_key: str, day: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode("utf-8"), day)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def _frontend_error(status: int, code: str, message: str) -> _Reply:
    return _Reply(status, code, {"message": message}, _FRONTEND_NAMESPACE)


class _Server(ThreadingHTTPServer):
    """Threaded server that knows its fake and lets stop() cut idle keep-alive connections."""

    # The stdlib default backlog of 5 makes a burst of connections wait for SYN retries (1 s, 2 s…),
    # a delay the real service does not have.
    request_queue_size = 128

    daemon_threads = True
    block_on_close = False

    def __init__(self, fake: FakeIvsChat) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake
        self.open_connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up (timeouts, stop()) are expected in tests; stay quiet about them."""
        return None


class _Handler(BaseHTTPRequestHandler):
    """Reads one HTTP request, lets the fake decide, writes the answer."""

    protocol_version = "HTTP/1.1"
    server: _Server
    # Headers and body go out in separate writes; without TCP_NODELAY a keep-alive client waits ~40 ms
    # for the delayed ACK on every call, a cost the real service does not have.
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.server.connections_lock:
            self.server.open_connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.open_connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        """Keep pytest output clean; the fake's `calls` is the log."""
        return None

    def _dispatch(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            # botocore always sends a Content-Length; anything else is a broken client.
            self.send_error(400, "Content-Length required")
            self.close_connection = True
            return
        body = self.rfile.read(length) if length else b""
        answer = self.server.fake._answer(self.command, self.path, self.headers, body)
        if answer.delay > 0:
            self.server.fake._stopping.wait(answer.delay)
        if answer.drop:
            self.close_connection = True  # the connection closes with no answer at all
            return
        try:
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(answer.body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    do_POST = _dispatch
    do_GET = _dispatch
    do_PUT = _dispatch
    do_DELETE = _dispatch
    do_PATCH = _dispatch


# --------------------------------------------------------------------------------------------
# The fake
# --------------------------------------------------------------------------------------------


class FakeIvsChat:
    """IVS Chat DisconnectUser, GetRoom and ListRooms on 127.0.0.1, strict enough that passing tests mean something."""

    def __init__(
        self,
        *,
        access_key: str = "AKIDIVSKICKTEST",
        secret_key: str = "ivs-kick-test-secret",
        account: str = "123456789012",
        tps_limit: int = 100,
        room_tps_limit: int = ROOM_OPERATIONS_TPS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`tps_limit`: DisconnectUser calls a second per account; `room_tps_limit`: GetRoom, and separately
        ListRooms, calls a second per account and region. `clock` (seconds) times the rate windows; a test may
        pass its own to step time by hand."""
        if tps_limit < 1 or room_tps_limit < 1:
            raise ValueError("tps_limit and room_tps_limit must be at least 1")
        self._spec = _service_spec()
        self.access_key, self.secret_key = access_key, secret_key  # the default identity tests give the bot
        self.account = account
        self.tps_limit = tps_limit
        self.room_tps_limit = room_tps_limit
        self._clock = clock
        self._cond = threading.Condition()
        self._credentials: dict[str, _Credential] = {}
        self._issuer: Callable[[str], tuple[str, str, str | None] | None] | None = None
        self._rooms: dict[str, _Room] = {}
        self._rooms_added = 0
        self._page_tokens: dict[str, _Cursor] = {}
        self._injections: dict[str, deque[_Injection]] = {name: deque() for name in OPERATIONS}
        self._windows: dict[tuple[str, ...], deque[float]] = {}
        self._calls: list[DisconnectCall] = []
        self._requests: list[OperationCall] = []
        self._delays: dict[str, float] = {name: 0.0 for name in OPERATIONS}
        self._chaos: _Chaos | None = None
        self._chaos_draws = 0
        self._chaos_log: list[ChaosFault] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.add_credentials(access_key, secret_key)

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeIvsChat:
        """Bind an ephemeral loopback port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FakeIvsChat already started")
        self._stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-ivschat", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and drop open connections, waking any handler parked in set_delay()."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        with server.connections_lock:
            connections = list(server.open_connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeIvsChat:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Endpoint URL for `endpoint_url=` or AWS_ENDPOINT_URL_IVSCHAT."""
        if self._server is None:
            raise RuntimeError("FakeIvsChat is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    # -- world setup ---------------------------------------------------------------------

    def add_credentials(
        self, access_key: str, secret_key: str, *, session_token: str | None = None, account: str | None = None
    ) -> None:
        """Register another key pair (e.g. STS-assumed). With `session_token`, that exact token is required."""
        with self._cond:
            self._credentials[access_key] = _Credential(secret_key, account or self.account, session_token)

    def trust_issuer(self, issuer: Callable[[str], tuple[str, str, str | None] | None]) -> None:
        """Accept temporary keys an STS stand-in issued: `issuer(access_key)` gives (secret key, account,
        session token) for keys it issued, else None. Signatures are still verified with that secret."""
        self._issuer = issuer

    def add_room(
        self,
        arn: str,
        *,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
        review_handler: str | None = None,
        fallback_result: str = "ALLOW",
    ) -> None:
        """Create a room; it exists only in the region and account named by its ARN.

        Without `name` the room is unnamed (GetRoom reports ""), as IVS allows. `review_handler` is the
        Lambda function ARN of its message review handler (the model's LambdaArn rule), with `fallback_result`
        (ALLOW or DENY); without it the room has none and GetRoom and ListRooms leave `messageReviewHandler` out.
        Adding an existing ARN again updates it: new name, tags and handler, same createTime, a later updateTime.
        """
        room_rule = self._spec.operations[DISCONNECT_USER].room_rule
        assert room_rule is not None
        problems = room_rule.violations(True, arn)
        if problems:
            raise ValueError(f"not a valid room ARN {arn!r}: {'; '.join(problems)}")
        room_name = "" if name is None else name
        problems = self._spec.room_name.violations(True, room_name)
        if problems:
            raise ValueError(f"not a valid room name {room_name!r}: {'; '.join(problems)}")
        room_tags = dict(tags or {})
        if self._spec.max_tags is not None and len(room_tags) > self._spec.max_tags:
            raise ValueError(f"a room has at most {self._spec.max_tags} tags, got {len(room_tags)}")
        for key, value in room_tags.items():
            problems = self._spec.tag_key.violations(True, key) + self._spec.tag_value.violations(True, value)
            if problems:
                raise ValueError(f"not a valid tag {key!r}={value!r}: {'; '.join(problems)}")
        handler = None
        if review_handler is not None:
            problems = self._spec.review_handler_uri.violations(True, review_handler)
            if not review_handler or problems:
                raise ValueError(f"not a valid review handler {review_handler!r}: {'; '.join(problems) or 'empty'}")
            if fallback_result not in self._spec.fallback_results:
                allowed = self._spec.fallback_results
                raise ValueError(f"fallback_result must be one of {allowed}, got {fallback_result!r}")
            handler = MappingProxyType({"uri": review_handler, "fallbackResult": fallback_result})
        region, account, room_id = _room_parts(arn)
        with self._cond:
            now = datetime.now(timezone.utc)
            previous = self._rooms.get(arn)
            self._rooms_added += 1
            self._rooms[arn] = _Room(
                arn=arn,
                region=region,
                account=account,
                room_id=room_id,
                name=room_name,
                tags=MappingProxyType(room_tags),
                review_handler=handler,
                created=previous.created if previous is not None else now,
                updated=now,
                order=self._rooms_added,
            )

    def fail_next(
        self,
        error: str,
        *,
        times: int = 1,
        status: int | None = None,
        members: Mapping[str, object] | None = None,
        operation: str = DISCONNECT_USER,
    ) -> None:
        """Answer the next `times` authenticated, valid calls to `operation` with `error`.

        Modeled errors take their status and required body members from the model; an error the
        model does not list for `operation` needs an explicit `status`. InternalServerError is
        unmodeled (500) so botocore treats it as transient and retries. `members` overrides/extends
        the body (e.g. a custom message or fieldList).
        """
        spec = self._operation(operation)
        if times < 1:
            raise ValueError("times must be at least 1")
        modeled = spec.errors.get(error)
        if status is None:
            if modeled is not None:
                status = modeled.status
            elif error == INTERNAL_SERVER_ERROR:
                status = 500
            else:
                raise ValueError(
                    f"{error!r} is not modeled for {operation} "
                    f"(modeled: {sorted(spec.errors)}); pass status= to inject it anyway"
                )
        body_spec = self._spec.errors.get(error)
        if (
            spec.room_rule is None
            and body_spec is not None
            and "resourceId" in body_spec.required
            and "resourceId" not in (members or {})
        ):
            # Without a room in the request there is no honest default for the resource it names.
            raise ValueError(f"{error} on {operation} names a resource: pass members={{'resourceId': ...}}")
        injection = _Injection(error, status, dict(members or {}))
        with self._cond:
            self._injections[operation].extend([injection] * times)

    def set_delay(self, seconds: float, operation: str | None = None) -> None:
        """Make answers to `operation` (None: every operation) wait this long, a slow AWS; calls still take effect."""
        names = OPERATIONS if operation is None else (self._operation(operation).name,)
        if seconds < 0:
            raise ValueError("delay must be >= 0")
        with self._cond:
            for name in names:
                self._delays[name] = seconds

    def set_chaos(
        self,
        *,
        seed: int,
        rate: float,
        kinds: tuple[str, ...] | list[str] = DEFAULT_CHAOS_KINDS,
        slow: tuple[float, float] = (1.0, 3.0),
        hold: float = _DEFAULT_HOLD,
    ) -> None:
        """Inject random faults into a share `rate` of DisconnectUser calls, as a flaky network and AWS would.

        The n-th call since set_chaos draws from a generator seeded with (seed, n), so a seed replays the same
        faults call for call. Kinds: `throttling` (ThrottlingException), `server_error` (500
        InternalServerError), `slow` (answered after `slow` seconds, at random), `drop` (carried out, then the
        connection closed unanswered) and `timeout` (carried out, then the connection held `hold` seconds and
        closed). Only the last two, and `slow`, disconnect the user. Faults queued with fail_next() come first;
        `rate` 0 turns chaos off.
        """
        chosen = tuple(dict.fromkeys(kinds))
        unknown = set(chosen) - set(CHAOS_KINDS)
        if unknown or not chosen:
            raise ValueError(f"kinds must be some of {CHAOS_KINDS}, got {sorted(unknown) or 'none'}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError("rate must be between 0 and 1")
        if not 0 <= slow[0] <= slow[1] or hold <= 0:
            raise ValueError("slow must be (low, high) with 0 <= low <= high, and hold positive")
        with self._cond:
            self._chaos_draws = 0
            self._chaos = _Chaos(seed, rate, chosen, (float(slow[0]), float(slow[1])), hold) if rate > 0 else None

    def calm(self) -> None:
        """Stop injecting random faults (answers already held still time out)."""
        with self._cond:
            self._chaos = None

    def _draw_fault(self) -> tuple[str, float] | None:
        """The chaos for the next DisconnectUser, if any: its kind and how long it holds the answer."""
        with self._cond:
            chaos = self._chaos
            if chaos is None:
                return None
            n = self._chaos_draws
            self._chaos_draws += 1
        rng = random.Random(f"{chaos.seed}/{DISCONNECT_USER}/{n}")
        if rng.random() >= chaos.rate:
            return None
        kind = rng.choice(chaos.kinds)
        delay = {"slow": rng.uniform(*chaos.slow), "timeout": chaos.hold}.get(kind, 0.0)
        return kind, delay

    def _operation(self, name: str) -> _OperationSpec:
        spec = self._spec.operations.get(name)
        if spec is None:
            raise ValueError(f"{name!r} is not an operation this fake serves (it serves {', '.join(OPERATIONS)})")
        return spec

    # -- observation ---------------------------------------------------------------------

    @property
    def calls(self) -> list[DisconnectCall]:
        """Every request routed to DisconnectUser, rejected ones included, in arrival order."""
        with self._cond:
            return list(self._calls)

    @property
    def requests(self) -> list[OperationCall]:
        """Every request routed to any operation, rejected ones included, in arrival order."""
        with self._cond:
            return list(self._requests)

    def calls_to(self, operation: str) -> list[OperationCall]:
        """The requests routed to one operation; an unknown name is an error, not an empty list."""
        name = self._operation(operation).name
        return [call for call in self.requests if call.operation == name]

    def disconnects(self) -> list[DisconnectCall]:
        """Only the calls that actually disconnected someone (answered or not)."""
        return [call for call in self.calls if call.status == 200]

    def disconnect_count(self, room_arn: str, user_id: str) -> int:
        """Requests that disconnected this user from this room, SDK retries of one call included."""
        return sum(1 for call in self.disconnects() if call.room_arn == room_arn and call.user_id == user_id)

    def disconnect_invocations(self, room_arn: str, user_id: str) -> int:
        """SDK calls that disconnected this user: a retry after a lost answer is the same call (same
        amz-sdk-invocation-id), so this counts what the caller asked for, not what the network repeated."""
        seen = {
            call.invocation_id or call.request_id
            for call in self.disconnects()
            if call.room_arn == room_arn and call.user_id == user_id
        }
        return len(seen)

    @property
    def chaos_log(self) -> list[ChaosFault]:
        """Every fault set_chaos() injected, in arrival order."""
        with self._cond:
            return list(self._chaos_log)

    def chaos_tally(self) -> dict[str, int]:
        """How many faults of each kind were injected so far."""
        tally: dict[str, int] = {}
        for fault in self.chaos_log:
            tally[fault.kind] = tally.get(fault.kind, 0) + 1
        return tally

    def wait_for_calls(self, count: int = 1, timeout: float = 5.0) -> list[DisconnectCall]:
        """Block until at least `count` calls arrived; the bot calls AWS from its own threads."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._calls) >= count, timeout=timeout):
                raise AssertionError(
                    f"expected at least {count} DisconnectUser call(s) within {timeout}s, "
                    f"got {len(self._calls)}: {self._calls!r}"
                )
            return list(self._calls)

    # -- request handling ----------------------------------------------------------------

    def _answer(self, method: str, target: str, headers: Message, body: bytes) -> _Answer:
        """Decide the full HTTP answer for one request (runs on a handler thread)."""
        arrived = time.monotonic()
        request_id = str(uuid.uuid4())
        raw_path, _, query = target.partition("?")
        spec = self._spec.route(method, raw_path)
        seen = _Seen()
        status = 200
        code: str | None = None
        namespace = _SERVICE_NAMESPACE
        payload: dict[str, Any] = {}
        if spec is not None:
            self._note_members(body, seen)
        try:
            principal = self._authenticate(method, raw_path, query, headers, body, seen)
            if spec is None:
                raise self._unknown_operation(method, raw_path)
            fields = self._decode(body)
            self._validate(spec, fields)
            payload = self._operate(spec, principal, fields, seen)
        except _Reply as reply:
            status, code, namespace, payload = reply.status, reply.code, reply.namespace, reply.body
        invocation_id = headers.get("amz-sdk-invocation-id")
        attempt = _attempt_number(headers.get("amz-sdk-request"))
        drop = seen.fault in ("drop", "timeout")
        with self._cond:
            delay = (self._delays[spec.name] if spec is not None else 0.0) + seen.fault_delay
            if seen.fault is not None and spec is not None:
                fault = ChaosFault(
                    spec.name, seen.fault, status == 200, seen.room_arn, seen.user_id, invocation_id, arrived
                )
                self._chaos_log.append(fault)
            if spec is not None:
                self._requests.append(
                    OperationCall(
                        operation=spec.name,
                        params=seen.params,
                        region=seen.region,
                        access_key=seen.access_key,
                        request_id=request_id,
                        status=status,
                        error=code,
                        at=arrived,
                        raw_body=body,
                    )
                )
                if spec.name == DISCONNECT_USER:
                    self._calls.append(
                        DisconnectCall(
                            room_arn=seen.room_arn,
                            user_id=seen.user_id,
                            reason=seen.reason,
                            region=seen.region,
                            access_key=seen.access_key,
                            request_id=request_id,
                            status=status,
                            error=code,
                            at=arrived,
                            raw_body=body,
                            invocation_id=invocation_id,
                            attempt=attempt,
                            fault=seen.fault,
                            answered=not drop,
                        )
                    )
                self._cond.notify_all()
        encoded = json.dumps(payload, separators=(",", ":")).encode("utf-8")
        out = [
            ("x-amzn-RequestId", request_id),
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(encoded))),
        ]
        if code is not None:
            out.append(("x-amzn-ErrorType", f"{code}:{namespace}"))
        return _Answer(status, out, encoded, delay, drop)

    def _authenticate(
        self, method: str, raw_path: str, query: str, headers: Message, body: bytes, seen: _Seen
    ) -> _Principal:
        """Verify a SigV4 Authorization header the way AWS's front end does."""
        authorization = headers.get("Authorization")
        if not authorization:
            raise _frontend_error(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
        algorithm, _, rest = authorization.strip().partition(" ")
        if algorithm != _SIGV4_ALGORITHM:
            raise _frontend_error(400, "IncompleteSignatureException", f"Unsupported AWS 'algorithm': '{algorithm}'")
        params: dict[str, str] = {}
        for part in rest.split(","):
            name, _, value = part.strip().partition("=")
            params[name] = value
        for needed in ("Credential", "SignedHeaders", "Signature"):
            if not params.get(needed):
                raise _frontend_error(
                    400,
                    "IncompleteSignatureException",
                    f"Authorization header requires '{needed}' parameter. Authorization={authorization}",
                )
        scope = params["Credential"].split("/")
        if len(scope) != 5 or scope[4] != "aws4_request":
            raise _frontend_error(
                400,
                "IncompleteSignatureException",
                f"Credential should be scoped to a valid region, not '{params['Credential']}'",
            )
        access_key, day, region, service, _ = scope
        seen.access_key, seen.region = access_key, region

        with self._cond:
            credential = self._credentials.get(access_key)
        if credential is None and self._issuer is not None:
            issued = self._issuer(access_key)
            if issued is not None:
                credential = _Credential(*issued)
        if credential is None:
            raise _frontend_error(403, "UnrecognizedClientException", _INVALID_TOKEN_MESSAGE)
        token = headers.get("X-Amz-Security-Token")
        if credential.session_token is not None and token != credential.session_token:
            raise _frontend_error(403, "UnrecognizedClientException", _INVALID_TOKEN_MESSAGE)
        if service != self._spec.signing_name:
            raise _frontend_error(
                403,
                "InvalidSignatureException",
                f"Credential should be scoped to correct service: '{self._spec.signing_name}'.",
            )

        signed_names = params["SignedHeaders"].split(";")
        amz_date = headers.get("X-Amz-Date")
        if amz_date is not None:
            date_header = "x-amz-date"
            try:
                signed_at = datetime.strptime(amz_date, _SIGV4_TIMESTAMP).replace(tzinfo=timezone.utc)
            except ValueError:
                raise _frontend_error(
                    400, "IncompleteSignatureException", f"Date must be in ISO-8601 'basic format', got '{amz_date}'"
                ) from None
        elif headers.get("Date"):
            date_header = "date"
            try:
                signed_at = parsedate_to_datetime(headers["Date"]).astimezone(timezone.utc)
            except (TypeError, ValueError):
                raise _frontend_error(400, "IncompleteSignatureException", "Unparseable Date header") from None
        else:
            raise _frontend_error(
                400,
                "IncompleteSignatureException",
                "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
            )
        timestamp = signed_at.strftime(_SIGV4_TIMESTAMP)
        for required_header in ("host", date_header):
            if required_header not in signed_names:
                raise _frontend_error(
                    400,
                    "IncompleteSignatureException",
                    f"'{required_header}' must be a 'SignedHeader' in the AWS Authorization.",
                )
        if day != timestamp[:8]:
            raise _frontend_error(
                403,
                "InvalidSignatureException",
                f"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
                f"'{day}' != '{timestamp[:8]}', from '{timestamp}'.",
            )
        now = datetime.now(timezone.utc).replace(microsecond=0)
        if signed_at < now - _MAX_CLOCK_SKEW:
            raise _frontend_error(
                403,
                "InvalidSignatureException",
                f"Signature expired: {timestamp} is now earlier than "
                f"{(now - _MAX_CLOCK_SKEW).strftime(_SIGV4_TIMESTAMP)} "
                f"({now.strftime(_SIGV4_TIMESTAMP)} - 5 min.)",
            )
        if signed_at > now + _MAX_CLOCK_SKEW:
            raise _frontend_error(
                403,
                "InvalidSignatureException",
                f"Signature not yet current: {timestamp} is still later than "
                f"{(now + _MAX_CLOCK_SKEW).strftime(_SIGV4_TIMESTAMP)} "
                f"({now.strftime(_SIGV4_TIMESTAMP)} + 5 min.)",
            )

        payload_hash = hashlib.sha256(body).hexdigest()
        declared_hash = headers.get("X-Amz-Content-SHA256")
        if declared_hash is not None and declared_hash != payload_hash:
            # Only S3 honours UNSIGNED-PAYLOAD; for IVS Chat the body must be what was signed.
            raise _frontend_error(
                403,
                "InvalidSignatureException",
                "The provided 'x-amz-content-sha256' header does not match what was computed.",
            )
        header_lines: list[str] = []
        for name in signed_names:
            values = headers.get_all(name)
            if not values:
                raise _frontend_error(
                    403, "InvalidSignatureException", f"Signed header '{name}' is missing from the request."
                )
            header_lines.append(f"{name}:{','.join(' '.join(str(v).split()) for v in values)}")
        canonical_request = "\n".join(
            [
                method,
                _canonical_uri(raw_path),
                _canonical_query(query),
                "\n".join(header_lines) + "\n",
                params["SignedHeaders"],
                payload_hash,
            ]
        )
        string_to_sign = "\n".join(
            [
                _SIGV4_ALGORITHM,
                timestamp,
                f"{day}/{region}/{service}/aws4_request",
                hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
            ]
        )
        expected = hmac.new(
            _signing_key(credential.secret_key, day, region, service), string_to_sign.encode("utf-8"), hashlib.sha256
        ).hexdigest()
        if not hmac.compare_digest(expected, params["Signature"]):
            raise _frontend_error(
                403,
                "InvalidSignatureException",
                f"{_BAD_SIGNATURE_MESSAGE}\n\nThe Canonical String for this request should have been\n"
                f"'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n",
            )
        return _Principal(access_key=access_key, account=credential.account, region=region)

    def _unknown_operation(self, method: str, raw_path: str) -> _Reply:
        """Unroutable request, answered the way the model says this service does."""
        message = f"No operation matches {method} {raw_path}"
        if "UNKNOWN_OPERATION" in self._spec.validation_reasons:
            return self._modeled_error("ValidationException", message, reason="UNKNOWN_OPERATION")
        return _frontend_error(404, "UnknownOperationException", message)

    @staticmethod
    def _note_members(body: bytes, seen: _Seen) -> None:
        """Best-effort read of what was sent, so even rejected calls show the caller's intent."""
        try:
            decoded = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            return
        if not isinstance(decoded, dict):
            return
        seen.params = MappingProxyType(decoded)
        for name, attr in (("roomIdentifier", "room_arn"), ("userId", "user_id"), ("reason", "reason")):
            value = decoded.get(name)
            if isinstance(value, str):
                setattr(seen, attr, value)

    def _decode(self, body: bytes) -> dict[str, Any]:
        """Parse the JSON body as the service would."""
        try:
            decoded = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise self._modeled_error(
                "ValidationException", f"Could not parse request body into json: {exc}", reason="OTHER"
            ) from None
        if not isinstance(decoded, dict):
            raise self._modeled_error("ValidationException", "Request body must be a JSON object", reason="OTHER")
        return decoded

    def _validate(self, spec: _OperationSpec, fields: Mapping[str, Any]) -> None:
        """Apply the model's required/type/length/range/pattern/enum rules, all failures reported at once."""
        entries: list[dict[str, str]] = []
        sentences: list[str] = []
        for rule in spec.fields:
            present = rule.name in fields
            value = fields.get(rule.name)
            for constraint in rule.violations(present, value):
                entries.append({"name": rule.name, "message": constraint})
                sentences.append(rule.describe(present, value, constraint))
        if not entries:
            return
        noun = "error" if len(entries) == 1 else "errors"
        raise self._modeled_error(
            "ValidationException",
            f"{len(entries)} validation {noun} detected: {'; '.join(sentences)}",
            reason="FIELD_VALIDATION_FAILED",
            fieldList=entries,
        )

    def _operate(
        self, spec: _OperationSpec, principal: _Principal, fields: Mapping[str, Any], seen: _Seen | None = None
    ) -> dict[str, Any]:
        """The operation proper, after any injected failure; returns the response body."""
        room_id: str | None = None
        if spec.room_rule is not None:
            _, _, room_id = _room_parts(fields[spec.room_rule.name])
        with self._cond:
            queue = self._injections[spec.name]
            injection = queue.popleft() if queue else None
        if injection is not None:
            raise self._injected(injection, room_id)
        fault = self._draw_fault() if spec.name == DISCONNECT_USER and seen is not None else None
        if fault is not None:
            assert seen is not None
            seen.fault, seen.fault_delay = fault
            if seen.fault == "throttling":
                raise self._modeled_error(
                    "ThrottlingException",
                    "Rate exceeded",
                    resourceId=room_id,
                    resourceType="ROOM",
                    limit=self.tps_limit,
                )
            if seen.fault == "server_error":
                raise self._injected(_Injection(INTERNAL_SERVER_ERROR, 500, {}), room_id)
        if spec.name == DISCONNECT_USER:
            self._disconnect_user(spec, principal, fields)
            return {}
        if spec.name == GET_ROOM:
            return self._get_room(spec, principal, fields)
        return self._list_rooms(spec, principal, fields)

    def _disconnect_user(self, spec: _OperationSpec, principal: _Principal, fields: Mapping[str, Any]) -> None:
        """Rate limit per account first (AWS counts rejected kicks too), then the room must be reachable."""
        assert spec.room_rule is not None
        arn: str = fields[spec.room_rule.name]
        _, _, room_id = _room_parts(arn)
        if not self._admit((DISCONNECT_USER, principal.account), self.tps_limit):
            raise self._modeled_error(
                "ThrottlingException",
                f"Request rate exceeded the account limit of {self.tps_limit} {DISCONNECT_USER} calls per second",
                resourceId=room_id,
                resourceType="ROOM",
                limit=self.tps_limit,
            )
        self._reachable_room(spec, principal, arn)

    def _admit(self, key: tuple[str, ...], limit: int) -> bool:
        """Count a call in `key`'s one-second window, unless `limit` calls are in it already (then it is throttled,
        and not counted)."""
        now = self._clock()
        with self._cond:
            window = self._windows.setdefault(key, deque())
            while window and window[0] <= now - _RATE_WINDOW_SECONDS:
                window.popleft()
            if len(window) >= limit:
                return False
            window.append(now)
            return True

    def _throttle_room_operation(self, spec: _OperationSpec, principal: _Principal, resource_id: str) -> None:
        """ThrottlingException (429, the model's shape) past `room_tps_limit` calls of this operation a second in
        the caller's account and region; ListRooms, which names no room, gives the account as its resourceId."""
        if self._admit((spec.name, principal.account, principal.region), self.room_tps_limit):
            return
        raise self._modeled_error(
            "ThrottlingException",
            f"Request rate exceeded the limit of {self.room_tps_limit} {spec.name} calls per second "
            f"for account {principal.account} in {principal.region}",
            resourceId=resource_id,
            resourceType="ROOM",
            limit=self.room_tps_limit,
        )

    def _get_room(self, spec: _OperationSpec, principal: _Principal, fields: Mapping[str, Any]) -> dict[str, Any]:
        assert spec.room_rule is not None
        arn: str = fields[spec.room_rule.name]
        self._throttle_room_operation(spec, principal, _room_parts(arn)[2])
        room = self._reachable_room(spec, principal, arn)
        return self._describe_room(room, spec.output_members)

    def _list_rooms(self, spec: _OperationSpec, principal: _Principal, fields: Mapping[str, Any]) -> dict[str, Any]:
        """One page of the caller's rooms in the region that answered, newest update first.

        Empty filters count as absent. `messageReviewHandlerUri` matches a room's handler exactly. Rooms here have
        no logging configuration, so filtering on one matches none of them.
        """
        self._throttle_room_operation(spec, principal, principal.account)
        limit: int = fields.get("maxResults") or self._spec.default_max_results  # null counts as absent
        name: str = fields.get("name") or ""
        filters = tuple(
            sorted(
                (member, fields[member])
                for member in ("name", "messageReviewHandlerUri", "loggingConfigurationIdentifier")
                if fields.get(member)
            )
        )
        unmatchable = any(member == "loggingConfigurationIdentifier" for member, _ in filters)
        handler_uri: str = fields.get("messageReviewHandlerUri") or ""
        token: str = fields.get("nextToken") or ""
        with self._cond:
            cursor: _Cursor | None = None
            if token:
                cursor = self._page_tokens.get(token)
                if cursor is None or (cursor.account, cursor.region, cursor.filters) != (
                    principal.account,
                    principal.region,
                    filters,
                ):
                    # A token only continues the listing that issued it: same caller, region and filters.
                    raise self._modeled_error(
                        "ValidationException",
                        "The provided nextToken is not valid for this request",
                        reason="FIELD_VALIDATION_FAILED",
                        fieldList=[{"name": "nextToken", "message": "Member must be a token issued by ListRooms"}],
                    )
            matching = [
                room
                for room in self._rooms.values()
                if room.region == principal.region
                and room.account == principal.account
                and (not name or room.name == name)
                and (not handler_uri or (room.review_handler or {}).get("uri") == handler_uri)
                and not unmatchable
            ]
            matching.sort(key=lambda room: room.listing_key, reverse=True)
            if cursor is not None:
                matching = [room for room in matching if room.listing_key < cursor.after]
            page = matching[:limit]
            out: dict[str, Any] = {"rooms": [self._describe_room(room, self._spec.summary_members) for room in page]}
            if len(matching) > limit:
                issued = secrets.token_urlsafe(32)
                self._page_tokens[issued] = _Cursor(principal.account, principal.region, filters, page[-1].listing_key)
                out["nextToken"] = issued
        return out

    def _reachable_room(self, spec: _OperationSpec, principal: _Principal, arn: str) -> _Room:
        """The room an ARN names, as the caller's credentials and endpoint region can see it."""
        _, _, room_id = _room_parts(arn)
        with self._cond:
            room = self._rooms.get(arn)
        if room is None or room.region != principal.region:
            raise self._modeled_error(
                "ResourceNotFoundException",
                f"Room {arn} not found in {principal.region}",
                resourceId=room_id,
                resourceType="ROOM",
            )
        if room.account != principal.account:
            raise self._modeled_error(
                "AccessDeniedException",
                f"User: arn:aws:iam::{principal.account}:user/{principal.access_key} is not authorized to perform: "
                f"{SERVICE_NAME}:{spec.name} on resource: {arn}",
            )
        return room

    def _describe_room(self, room: _Room, members: tuple[str, ...]) -> dict[str, Any]:
        """A room as the model's output shape has it; members the shape lacks are left out."""
        full: dict[str, Any] = {
            "arn": room.arn,
            "id": room.room_id,
            "name": room.name,
            "createTime": _iso8601(room.created),
            "updateTime": _iso8601(room.updated),
            "maximumMessageRatePerSecond": self._spec.max_message_rate,
            "maximumMessageLength": self._spec.max_message_length,
            "tags": dict(room.tags),
            "loggingConfigurationIdentifiers": [],
        }
        if room.review_handler is not None:
            full["messageReviewHandler"] = dict(room.review_handler)
        return {name: value for name, value in full.items() if name in members}

    def _injected(self, injection: _Injection, room_id: str | None) -> _Reply:
        spec = self._spec.errors.get(injection.code)
        message = f"Injected {injection.code}"
        if spec is None:
            body: dict[str, Any] = {"message": message, **injection.members}
            return _Reply(injection.status, injection.code, body, _SERVICE_NAMESPACE)
        defaults: dict[str, Any] = {
            "resourceType": "ROOM",
            "limit": self.tps_limit,
            "reason": "OTHER",
        }
        if room_id is not None:
            defaults["resourceId"] = room_id
        defaults.update(injection.members)
        reply = self._modeled_error(injection.code, str(defaults.pop("message", message)), **defaults)
        reply.status = injection.status
        return reply

    def _modeled_error(self, code: str, message: str, **values: Any) -> _Reply:
        """Build a modeled error body holding exactly the model's members, and all required ones."""
        spec = self._spec.errors[code]
        values["message"] = message
        body = {name: values[name] for name in spec.members if name in values}
        missing = [name for name in spec.required if name not in body]
        if missing:
            raise RuntimeError(f"fake bug: {code} needs {missing}")
        for name, allowed in spec.enums.items():
            if name in body and body[name] not in allowed:
                raise RuntimeError(f"fake bug: {code}.{name}={body[name]!r} not in {allowed}")
        return _Reply(spec.status, code, body, _SERVICE_NAMESPACE)
