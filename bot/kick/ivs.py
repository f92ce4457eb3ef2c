"""The IVS Chat gateway: DisconnectUser in the room's own region, and every AWS answer as an Outcome.

Retries, timeouts and credentials are botocore's (standard retry mode, the default credential chain);
`AWS_ENDPOINT_URL_IVSCHAT` is honoured by botocore itself.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass
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

from .request import KickRequest

IAM_ACTION = "ivschat:DisconnectUser"
DEFAULT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3},  # the first try and two retries
    connect_timeout=3,
    read_timeout=10,
    user_agent_extra="ivs-kick",
)


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


class IvsChatGateway:
    """Disconnects users through one boto3 client per region, created on first use and then reused."""

    def __init__(self, session: boto3.session.Session | None = None, config: Config = DEFAULT_CONFIG) -> None:
        self._session = session or boto3.session.Session()
        self._config = config
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()  # boto3 sessions are not safe for concurrent client creation

    def client_for(self, region: str) -> Any:
        with self._lock:
            if region not in self._clients:
                self._clients[region] = self._session.client("ivschat", region_name=region, config=self._config)
            return self._clients[region]

    def disconnect(self, request: KickRequest) -> Outcome:
        params = {"roomIdentifier": request.room_arn, "userId": request.user_id}
        if request.reason is not None:
            params["reason"] = request.reason
        try:
            response = self.client_for(request.region).disconnect_user(**params)
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
