"""The IVS Chat gateway: DisconnectUser in the room's own region, and every AWS answer as an Outcome.

Retries, timeouts and credentials are botocore's (standard retry mode, the default credential chain);
`AWS_ENDPOINT_URL_IVSCHAT` is honoured by botocore itself.
"""

from __future__ import annotations

import enum
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ParamValidationError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from .regions import has_ivschat, ivschat_regions_text
from .request import KickRequest, partition_of

# IVS Chat allows 100 DisconnectUser calls a second per account, not adjustable: stay well below by default,
# leaving room for other tools in the same account.
DEFAULT_DISCONNECTS_PER_SECOND = 50.0
BULK_WORKERS = 16
# Refresh an assumed role's credentials this long before they expire, so no kick starts on dying keys.
CREDENTIALS_MARGIN = timedelta(minutes=5)
ROLE_SESSION_SECONDS = 3600
# With IVS_KICK_ROLE_ARN, the assumed-role credentials of at most this many moderators are kept (least recently
# used dropped first): more than a moderation team, and a dropped moderator's next kick costs one AssumeRole.
MAX_ROLE_SESSIONS = 256
# boto3 clients kept (least recently used dropped first), about 0.2 MB each: one per region, plus with a role one
# per moderator and region in use. A dropped client is made again on the next call (a few milliseconds).
MAX_CLIENTS = 64

IAM_ACTION = "ivschat:DisconnectUser"
DEFAULT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},  # the first try and two retries
    connect_timeout=3,
    read_timeout=10,
    user_agent_extra="ivs-kick",
)
# GetRoom and ListRooms are held to 5 TPS each per account and region, not adjustable (IVS Chat User Guide, Service
# Quotas), a quota every instance and tool in the account shares. A look-up is safe to repeat, so a throttled one
# is retried longer than a kick: standard mode backs off up to 1, 2, 4, 8 and 16 s between its six tries.
READ_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 6})


class Result(enum.Enum):
    KICKED = "kicked"
    ROOM_NOT_FOUND = "room_not_found"
    ACCESS_DENIED = "access_denied"
    THROTTLED = "throttled"
    PENDING_VERIFICATION = "pending_verification"
    INVALID = "invalid"
    NO_CREDENTIALS = "no_credentials"
    UNREACHABLE = "unreachable"
    FAILED = "failed"


@dataclass(frozen=True)
class Outcome:
    """What happened, in words a moderator can act on (plain text, not yet escaped for Slack)."""

    result: Result
    message: str
    request_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is Result.KICKED


def _request_id(response: dict[str, Any]) -> str | None:
    return response.get("ResponseMetadata", {}).get("RequestId") or None


def _client_error_outcome(request: KickRequest, error: ClientError) -> Outcome:
    code = error.response.get("Error", {}).get("Code", "")
    aws_message = error.response.get("Error", {}).get("Message", "") or str(error)
    request_id = _request_id(error.response)
    room, region = request.room_arn, request.region
    if code == "ResourceNotFoundException":
        return Outcome(
            Result.ROOM_NOT_FOUND,
            f"IVS Chat has no room {room} in region {region}. Check the room ARN (region, account and room ID); "
            "the room may have been deleted.",
            request_id,
        )
    if code == "AccessDeniedException":
        return Outcome(
            Result.ACCESS_DENIED,
            f"AWS denied {IAM_ACTION} on {room}. Allow the bot's AWS identity the action {IAM_ACTION} "
            "on this room (see the IAM policy in the README).",
            request_id,
        )
    if code == "PendingVerification":
        return Outcome(
            Result.PENDING_VERIFICATION,
            "The AWS account that owns the room is pending verification, and IVS Chat refuses changes until "
            "it is verified. Check the account's email or the AWS Support Center.",
            request_id,
        )
    if code == "ThrottlingException":
        return Outcome(
            Result.THROTTLED,
            "IVS Chat throttled DisconnectUser (at most 100 requests per second per AWS account, not adjustable) "
            "and the retries did not get through. Try again in a few seconds.",
            request_id,
        )
    if code == "ValidationException":
        return Outcome(Result.INVALID, f"IVS Chat rejected the request as invalid: {aws_message}", request_id)
    return Outcome(Result.FAILED, f"IVS Chat answered {code or 'an error'}: {aws_message}", request_id)


class Pacer:
    """At most `rate` calls a second, spaced evenly, shared by every thread: bursts never reach AWS's quota."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            time.sleep(slot - now)


def role_session_name(team_id: str | None, user_id: str) -> str:
    """The name CloudTrail shows for a kick: which Slack user, in which workspace (2–64 of [\\w+=,.@-])."""
    name = re.sub(r"[^\w+=,.@-]", "-", f"slack-{team_id or 'unknown'}-{user_id}")
    return name[:64]


@dataclass(frozen=True)
class _Identity:
    access_key: str
    secret_key: str
    token: str
    expires: datetime


def _assume_role_outcome(role_arn: str, error: ClientError) -> Outcome:
    code = error.response.get("Error", {}).get("Code", "")
    return Outcome(
        Result.ACCESS_DENIED,
        f"The bot could not assume {role_arn} (sts:AssumeRole answered {code or 'an error'}). Allow the bot's AWS "
        "identity sts:AssumeRole on that role, and trust it in the role's trust policy (see the README).",
        _request_id(error.response),
    )


class IvsChatGateway:
    """Disconnects users through boto3 clients created on first use and then reused: one per region, or with
    `role_arn`, one per region and moderator, under credentials of that role assumed in the moderator's name.

    At most MAX_CLIENTS clients and MAX_ROLE_SESSIONS moderators' credentials are kept, and a room in a region
    without IVS Chat is refused before either is made.
    """

    def __init__(
        self,
        session: boto3.session.Session | None = None,
        config: Config = DEFAULT_CONFIG,
        role_arn: str | None = None,
        disconnects_per_second: float = DEFAULT_DISCONNECTS_PER_SECOND,
    ) -> None:
        self._session = session or boto3.session.Session()
        self._pacer = Pacer(disconnects_per_second)
        self._config = config
        self._role_arn = role_arn
        self._clients: OrderedDict[tuple[str, str | None], Any] = OrderedDict()
        self._identities: OrderedDict[str, _Identity] = OrderedDict()
        self._lock = threading.Lock()  # boto3 sessions are not safe for concurrent client creation
        self._assume_lock = threading.Lock()

    @property
    def cache_sizes(self) -> dict[str, int]:
        """Entries held now: clients (at most MAX_CLIENTS), role_sessions (at most MAX_ROLE_SESSIONS)."""
        with self._lock:
            return {"clients": len(self._clients), "role_sessions": len(self._identities)}

    def _client(self, service: str, region: str, identity: _Identity | None = None, *, reads: bool = False) -> Any:
        key = (f"{service}:{region}" + (":reads" if reads else ""), identity.access_key if identity else None)
        with self._lock:
            if key in self._clients:
                self._clients.move_to_end(key)
            else:
                credentials = (
                    {}
                    if identity is None
                    else {
                        "aws_access_key_id": identity.access_key,
                        "aws_secret_access_key": identity.secret_key,
                        "aws_session_token": identity.token,
                    }
                )
                config = self._config.merge(READ_RETRIES) if reads else self._config
                self._clients[key] = self._session.client(service, region_name=region, config=config, **credentials)
                while len(self._clients) > MAX_CLIENTS:
                    self._clients.popitem(last=False)
            return self._clients[key]

    def _identity(self, session_name: str, region: str) -> _Identity:
        """The role assumed for this moderator, reused until shortly before it expires; one AssumeRole at a time,
        so a bulk kick's threads share the first answer."""
        with self._assume_lock:
            cached = self._identities.get(session_name)
            if cached and cached.expires - datetime.now(timezone.utc) > CREDENTIALS_MARGIN:
                self._identities.move_to_end(session_name)
                return cached
            answer = self._client("sts", region).assume_role(
                RoleArn=self._role_arn, RoleSessionName=session_name, DurationSeconds=ROLE_SESSION_SECONDS
            )["Credentials"]
            identity = _Identity(
                answer["AccessKeyId"], answer["SecretAccessKey"], answer["SessionToken"], answer["Expiration"]
            )
            with self._lock:
                self._identities[session_name] = identity
                self._identities.move_to_end(session_name)
                dropped = {cached.access_key} if cached else set()
                while len(self._identities) > MAX_ROLE_SESSIONS:
                    dropped.add(self._identities.popitem(last=False)[1].access_key)
                for key in [key for key in self._clients if key[1] in dropped]:
                    del self._clients[key]  # made with credentials that will never be used again
            return identity

    def reader(self, region: str) -> Any:
        """The bot's own IVS Chat client for a region, for look-ups (GetRoom, ListRooms): READ_RETRIES."""
        return self._client("ivschat", region, reads=True)

    def disconnect_all(
        self,
        room_arn: str,
        user_ids: Sequence[str],
        reason: str | None,
        session_name: str | None = None,
        progress: Callable[[int], None] | None = None,
    ) -> list[Outcome]:
        """Disconnect each user, concurrently but paced below the account's quota; outcomes in `user_ids` order.
        `progress(done)` is called as calls finish."""
        requests = [KickRequest(room_arn, user, reason) for user in user_ids]
        if len(requests) == 1:
            return [self.disconnect(requests[0], session_name)]
        with ThreadPoolExecutor(max_workers=min(BULK_WORKERS, len(requests)), thread_name_prefix="kick") as pool:
            futures = {pool.submit(self.disconnect, request, session_name): i for i, request in enumerate(requests)}
            outcomes: list[Outcome | None] = [None] * len(requests)
            for done, future in enumerate(as_completed(futures), start=1):
                outcomes[futures[future]] = future.result()
                if progress:
                    progress(done)
        return [outcome for outcome in outcomes if outcome is not None]

    def disconnect(self, request: KickRequest, session_name: str | None = None) -> Outcome:
        """Kick; with a role configured, as `session_name` (see role_session_name) so CloudTrail names the person."""
        if not has_ivschat(request.region, partition_of(request.room_arn)):
            return Outcome(
                Result.INVALID,
                f"IVS Chat does not exist in region {request.region}, so {request.room_arn} cannot be a room. "
                f"IVS Chat rooms are in {ivschat_regions_text()}.",
            )
        params = {"roomIdentifier": request.room_arn, "userId": request.user_id}
        if request.reason is not None:
            params["reason"] = request.reason
        try:
            identity = None
            if self._role_arn:
                try:
                    identity = self._identity(session_name or "ivs-kick", request.region)
                except ClientError as error:
                    return _assume_role_outcome(self._role_arn, error)
                except (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError) as error:
                    return Outcome(
                        Result.UNREACHABLE,
                        f"Could not reach AWS STS in {request.region} to assume {self._role_arn} ({error}). Check the "
                        "bot's network access to AWS and AWS_ENDPOINT_URL_STS if it is set. Nothing was kicked.",
                    )
            self._pacer.wait()
            response = self._client("ivschat", request.region, identity).disconnect_user(**params)
        except ClientError as error:
            return _client_error_outcome(request, error)
        except (NoCredentialsError, PartialCredentialsError):
            return Outcome(
                Result.NO_CREDENTIALS,
                "The bot found no AWS credentials. Give it an AWS identity through the standard chain "
                "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance/task role).",
            )
        except (EndpointConnectionError, ConnectTimeoutError) as error:
            return Outcome(
                Result.UNREACHABLE,
                f"Could not reach IVS Chat in {request.region} ({error}). Check the bot's network access to AWS "
                "and AWS_ENDPOINT_URL_IVSCHAT if it is set.",
            )
        except ReadTimeoutError:
            return Outcome(
                Result.UNREACHABLE,
                f"IVS Chat in {request.region} did not answer in time; the viewer may or may not have been "
                "disconnected. Try again: disconnecting twice is harmless.",
            )
        except ParamValidationError as error:
            return Outcome(Result.INVALID, f"The request was not valid for IVS Chat: {error}")
        except BotoCoreError as error:
            return Outcome(Result.FAILED, f"The AWS SDK failed: {error}")
        return Outcome(
            Result.KICKED,
            f"Disconnected {request.user_id} from {request.room_arn}.",
            _request_id(response),
        )
