"""The IVS Chat fake must behave like the service as seen through real boto3.

Why: e2e tests trust this fake to reject what AWS rejects. These tests drive it only with genuine
botocore clients (or botocore-signed raw requests) so any drift between fake and SDK shows up here.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.auth
import botocore.config
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, ConnectionClosedError, ParamValidationError, ReadTimeoutError
from botocore.loaders import Loader

from rig.fakes.ivschat import FakeIvsChat

ACCESS_KEY = "AKIDIVSKICKTEST"
SECRET_KEY = "ivs-kick-test-secret"
ACCOUNT = "123456789012"
REGION = "eu-west-1"
ROOM = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/AbCdEf123456"
# Read independently of the fake, so a fake that ignored the model would be caught.
MODEL: dict[str, Any] = Loader().load_service_model("ivschat", "service-2")


def _shape(name: str) -> dict[str, Any]:
    shape: dict[str, Any] = MODEL["shapes"][name]
    return shape


@pytest.fixture
def fake() -> Iterator[FakeIvsChat]:
    """A fake whose room operations' quota the tests of other rules never reach; the quota has tests of its own."""
    with FakeIvsChat(room_tps_limit=1000) as server:
        server.add_room(ROOM)
        yield server


ClientFactory = Callable[..., Any]


@pytest.fixture
def make_client(fake: FakeIvsChat) -> ClientFactory:
    """boto3 ivschat clients aimed at the fake; one attempt unless told otherwise."""

    def build(
        *,
        access_key: str = ACCESS_KEY,
        secret_key: str = SECRET_KEY,
        session_token: str | None = None,
        region: str = REGION,
        attempts: int = 1,
        **config: Any,
    ) -> Any:
        session = boto3.session.Session(
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            aws_session_token=session_token,
            region_name=region,
        )
        # botocore's `max_attempts` counts retries (1 means two tries); total_max_attempts counts tries.
        cfg = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": attempts}, **config)
        return session.client("ivschat", endpoint_url=fake.url, config=cfg)

    return build


def _raw_signed(
    fake: FakeIvsChat,
    body: bytes,
    *,
    path: str = "/DisconnectUser",
    service: str = "ivschat",
    send_body: bytes | None = None,
) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Sign with botocore's signer but send bytes ourselves, to reach cases boto3 never produces."""
    request = AWSRequest(method="POST", url=fake.url + path, data=body, headers={"Content-Type": "application/json"})
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), service, REGION).add_auth(request)
    prepared = request.prepare()
    parts = urlsplit(fake.url)
    assert parts.hostname is not None and parts.port is not None
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=5)
    try:
        payload = body if send_body is None else send_body
        connection.request("POST", path, body=payload, headers=dict(prepared.headers))
        response = connection.getresponse()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return response.status, headers, json.loads(response.read())
    finally:
        connection.close()


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = excinfo.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["ResponseMetadata"]["RequestId"],
    )


# ---------------------------------------------------------------------------------------------


def test_success_records_what_was_sent_and_absent_reason_is_none(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    client = make_client()
    first = client.disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    second = client.disconnect_user(roomIdentifier=ROOM, userId="viewer-2", reason="spam")

    calls = fake.wait_for_calls(2)
    assert [c.user_id for c in fake.disconnects()] == ["viewer-1", "viewer-2"]
    assert calls[0].reason is None and b"reason" not in calls[0].raw_body
    assert calls[1].reason == "spam"
    for call, response in zip(calls, (first, second)):
        assert call.room_arn == ROOM
        assert call.region == REGION
        assert call.access_key == ACCESS_KEY
        assert call.status == 200 and call.error is None
        assert call.request_id == response["ResponseMetadata"]["RequestId"]
        assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/json"
    assert calls[0].at <= calls[1].at


def test_endpoint_from_environment_variable(fake: FakeIvsChat, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_IVSCHAT", fake.url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    client = boto3.session.Session().client("ivschat")
    assert client.meta.endpoint_url == fake.url

    client.disconnect_user(roomIdentifier=ROOM, userId="viewer-env")

    (call,) = fake.disconnects()
    assert (call.user_id, call.region, call.access_key) == ("viewer-env", REGION, ACCESS_KEY)


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("AccessDeniedException", 403),
        ("PendingVerification", 403),
        ("ResourceNotFoundException", 404),
        ("ThrottlingException", 429),
        ("ValidationException", 400),
    ],
)
def test_injected_modeled_errors_surface_as_botocore_errors(
    fake: FakeIvsChat, make_client: ClientFactory, code: str, status: int
) -> None:
    assert _shape(code)["error"]["httpStatusCode"] == status
    client = make_client()
    fake.fail_next(code)

    with pytest.raises(ClientError) as excinfo:
        client.disconnect_user(roomIdentifier=ROOM, userId="viewer-1")

    assert isinstance(excinfo.value, getattr(client.exceptions, code))
    got_code, got_status, request_id = _error(excinfo)
    assert (got_code, got_status) == (code, status)
    (call,) = fake.calls
    assert (call.request_id, call.status, call.error) == (request_id, status, code)
    headers = excinfo.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amzn-errortype"].startswith(f"{code}:")
    for member in _shape(code)["required"]:
        assert member in excinfo.value.response, member
    if "resourceType" in excinfo.value.response:
        assert excinfo.value.response["resourceType"] == "ROOM"
        assert excinfo.value.response["resourceId"] == "AbCdEf123456"
    assert fake.disconnects() == []

    client.disconnect_user(roomIdentifier=ROOM, userId="viewer-1")  # injection is used up
    assert len(fake.disconnects()) == 1


def test_internal_server_error_is_unmodeled_and_retried_by_standard_mode(
    fake: FakeIvsChat, make_client: ClientFactory
) -> None:
    fake.fail_next("InternalServerError")
    with pytest.raises(ClientError) as excinfo:
        make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    assert _error(excinfo)[:2] == ("InternalServerError", 500)

    fake.fail_next("InternalServerError", times=2)
    response = make_client(attempts=3).disconnect_user(roomIdentifier=ROOM, userId="viewer-1")

    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert [c.status for c in fake.calls[1:]] == [500, 500, 200]
    assert len({c.request_id for c in fake.calls}) == 4


def test_fail_next_rejects_unmodeled_errors_without_status(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    with pytest.raises(ValueError):
        fake.fail_next("ServiceUnavailableException")
    fake.fail_next("ServiceUnavailableException", status=503)
    with pytest.raises(ClientError) as excinfo:
        make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    assert _error(excinfo)[:2] == ("ServiceUnavailableException", 503)


def test_wrong_secret_is_an_invalid_signature(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    with pytest.raises(ClientError) as excinfo:
        make_client(secret_key="not-the-secret").disconnect_user(roomIdentifier=ROOM, userId="viewer-1")

    code, status, request_id = _error(excinfo)
    assert (code, status) == ("InvalidSignatureException", 403)
    (call,) = fake.calls
    assert (call.error, call.request_id, call.access_key) == ("InvalidSignatureException", request_id, ACCESS_KEY)
    assert fake.disconnects() == []


def test_unknown_access_key_and_missing_auth(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    with pytest.raises(ClientError) as excinfo:
        make_client(access_key="AKIDUNKNOWN").disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    assert _error(excinfo)[:2] == ("UnrecognizedClientException", 403)

    with pytest.raises(ClientError) as excinfo:
        make_client(signature_version=botocore.UNSIGNED).disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    assert _error(excinfo)[:2] == ("MissingAuthenticationTokenException", 403)
    assert fake.disconnects() == []


def test_session_credentials(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.add_credentials("ASIAIVSKICKSTS", "sts-secret", session_token="sts-token")

    make_client(access_key="ASIAIVSKICKSTS", secret_key="sts-secret", session_token="sts-token").disconnect_user(
        roomIdentifier=ROOM, userId="viewer-1"
    )
    with pytest.raises(ClientError) as excinfo:
        make_client(access_key="ASIAIVSKICKSTS", secret_key="sts-secret", session_token="stale").disconnect_user(
            roomIdentifier=ROOM, userId="viewer-1"
        )
    assert _error(excinfo)[:2] == ("UnrecognizedClientException", 403)
    # Keys registered without a token accept a signed token too.
    make_client(session_token="anything").disconnect_user(roomIdentifier=ROOM, userId="viewer-2")

    assert [c.access_key for c in fake.disconnects()] == ["ASIAIVSKICKSTS", ACCESS_KEY]


@pytest.mark.parametrize(("skew", "phrase"), [(-10, "Signature expired"), (10, "Signature not yet current")])
def test_stale_or_future_signature_is_rejected(
    fake: FakeIvsChat, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch, skew: int, phrase: str
) -> None:
    real_now = botocore.auth.get_current_datetime

    def skewed_now(*args: Any, **kwargs: Any) -> datetime:
        moment: datetime = real_now(*args, **kwargs) + timedelta(minutes=skew)
        return moment

    monkeypatch.setattr(botocore.auth, "get_current_datetime", skewed_now)
    with pytest.raises(ClientError) as excinfo:
        make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    assert _error(excinfo)[:2] == ("InvalidSignatureException", 403)
    assert phrase in excinfo.value.response["Error"]["Message"]


def test_room_exists_only_in_its_own_region(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    with pytest.raises(ClientError) as excinfo:
        make_client(region="us-east-1").disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)
    assert excinfo.value.response["resourceType"] == "ROOM"
    assert excinfo.value.response["resourceId"] == "AbCdEf123456"
    (call,) = fake.calls
    assert call.region == "us-east-1"

    with pytest.raises(ClientError) as excinfo:
        make_client().disconnect_user(roomIdentifier=ROOM.replace("AbCdEf", "Missing"), userId="viewer-1")
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)


def test_room_of_another_account_is_access_denied(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.add_credentials("AKIDOTHERACCOUNT", "other-secret", account="210987654321")
    with pytest.raises(ClientError) as excinfo:
        make_client(access_key="AKIDOTHERACCOUNT", secret_key="other-secret").disconnect_user(
            roomIdentifier=ROOM, userId="viewer-1"
        )
    assert _error(excinfo)[:2] == ("AccessDeniedException", 403)


def test_add_room_rejects_what_the_model_rejects(fake: FakeIvsChat) -> None:
    with pytest.raises(ValueError):
        fake.add_room("arn:aws:ivs:eu-west-1:123456789012:channel/abc")


def _max_len(shape: str) -> int:
    value: int = _shape(shape)["max"]
    return value


@pytest.mark.parametrize(
    ("kwargs", "field", "constraint", "client_catches"),
    [
        # botocore's own validator checks required/type/min only; max and pattern are left to AWS.
        ({"userId": "u" * (_max_len("UserID") + 1)}, "userId", "length less than or equal to", False),
        ({"userId": "viewer-1", "reason": ""}, "reason", "length greater than or equal to 1", True),
        ({"userId": "viewer-1", "reason": "r" * (_max_len("Reason") + 1)}, "reason", "less than or equal to", False),
        ({"userId": "viewer-1", "roomIdentifier": "room/AbCdEf123456"}, "roomIdentifier", "regular expression", False),
        ({"userId": "viewer-1", "roomIdentifier": ROOM + "/extra"}, "roomIdentifier", "regular expression", False),
        ({}, "userId", "must not be null", True),
    ],
)
def test_server_side_validation(
    fake: FakeIvsChat,
    make_client: ClientFactory,
    kwargs: dict[str, str],
    field: str,
    constraint: str,
    client_catches: bool,
) -> None:
    params = {"roomIdentifier": ROOM, **kwargs}
    if client_catches:
        with pytest.raises(ParamValidationError):
            make_client().disconnect_user(**params)
        assert fake.calls == []  # botocore refused to send it
        client = make_client(parameter_validation=False)
    else:
        client = make_client()

    with pytest.raises(ClientError) as excinfo:
        client.disconnect_user(**params)

    assert _error(excinfo)[:2] == ("ValidationException", 400)
    response = excinfo.value.response
    assert response["reason"] == "FIELD_VALIDATION_FAILED"
    assert [entry["name"] for entry in response["fieldList"]] == [field]
    assert constraint in response["fieldList"][0]["message"]
    if "userId" in kwargs:
        assert kwargs["userId"] not in response["Error"]["Message"]  # sensitive in the model
    (call,) = fake.calls
    assert call.error == "ValidationException"
    assert call.reason == kwargs.get("reason")


def test_limits_come_from_the_model(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    client = make_client()
    client.disconnect_user(roomIdentifier=ROOM, userId="u" * _max_len("UserID"), reason="r" * _max_len("Reason"))
    assert len(fake.disconnects()) == 1


def test_requests_boto3_never_sends(fake: FakeIvsChat) -> None:
    good = json.dumps({"roomIdentifier": ROOM, "userId": "viewer-1"}).encode()

    status, headers, body = _raw_signed(fake, good, send_body=good.replace(b"viewer-1", b"viewer-2"))
    assert (status, headers["x-amzn-errortype"].split(":")[0]) == (403, "InvalidSignatureException")
    assert fake.calls[-1].user_id == "viewer-2" and fake.calls[-1].status == 403

    status, headers, body = _raw_signed(fake, good, service="ivs")
    assert (status, headers["x-amzn-errortype"].split(":")[0]) == (403, "InvalidSignatureException")
    assert "ivschat" in body["message"]

    status, headers, body = _raw_signed(fake, b'{"roomIdentifier": ')
    assert (status, body["reason"]) == (400, "OTHER")
    assert headers["x-amzn-errortype"].startswith("ValidationException:")

    before = len(fake.calls)
    status, headers, body = _raw_signed(fake, good, path="/DeleteRoom")
    assert (status, body["reason"]) == (400, "UNKNOWN_OPERATION")
    assert len(fake.calls) == before  # never reached DisconnectUser

    status, headers, body = _raw_signed(fake, good)
    assert (status, body) == (200, {})
    assert headers["content-type"] == "application/json" and headers["x-amzn-requestid"]
    assert fake.disconnects()[-1].user_id == "viewer-1"


def test_account_rate_limit() -> None:
    other_room = "arn:aws:ivschat:eu-west-1:210987654321:room/OtherRoom1"
    now = [1000.0]  # the rate window's clock, stepped by hand: a loaded machine cannot stretch it
    with FakeIvsChat(tps_limit=3, clock=lambda: now[0]) as fake:
        fake.add_room(ROOM)
        fake.add_room(other_room)
        fake.add_credentials("AKIDOTHERACCOUNT", "other-secret", account="210987654321")
        cfg = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})
        session = boto3.session.Session(ACCESS_KEY, SECRET_KEY, region_name=REGION)
        client = session.client("ivschat", endpoint_url=fake.url, config=cfg)
        other = boto3.session.Session("AKIDOTHERACCOUNT", "other-secret", region_name=REGION).client(
            "ivschat", endpoint_url=fake.url, config=cfg
        )

        for n in range(3):
            client.disconnect_user(roomIdentifier=ROOM, userId=f"viewer-{n}")
        with pytest.raises(ClientError) as excinfo:
            client.disconnect_user(roomIdentifier=ROOM, userId="viewer-3")
        other.disconnect_user(roomIdentifier=other_room, userId="viewer-x")  # separate account, separate bucket

        assert _error(excinfo)[:2] == ("ThrottlingException", 429)
        response = excinfo.value.response
        assert (response["limit"], response["resourceType"], response["resourceId"]) == (3, "ROOM", "AbCdEf123456")
        assert [c.status for c in fake.calls] == [200, 200, 200, 429, 200]

        now[0] += 0.99  # still within the second: throttled
        with pytest.raises(ClientError):
            client.disconnect_user(roomIdentifier=ROOM, userId="viewer-4")
        now[0] += 0.02  # a second after the first three: the window has room again
        client.disconnect_user(roomIdentifier=ROOM, userId="viewer-4")
        assert len(fake.disconnects()) == 5


def test_slow_aws_times_out_the_client_but_the_call_still_lands(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.set_delay(0.6)
    with pytest.raises(ReadTimeoutError):
        make_client(read_timeout=0.2).disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    (call,) = fake.wait_for_calls(1)
    assert call.status == 200

    fake.set_delay(0)
    make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-2")
    assert len(fake.disconnects()) == 2


def test_wait_for_calls_times_out_loudly(fake: FakeIvsChat) -> None:
    with pytest.raises(AssertionError):
        fake.wait_for_calls(1, timeout=0.05)


# -- GetRoom and ListRooms -------------------------------------------------------------------

OTHER_ACCOUNT = "210987654321"


def _room(suffix: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:ivschat:{region}:{account}:room/{suffix}"


def _documented_default(shape: str, member: str) -> int:
    """Read independently of the fake: the model gives these defaults only in prose."""
    documentation: str = _shape(shape)["members"][member]["documentation"]
    marker = "Default: "
    assert marker in documentation, documentation
    return int(documentation.split(marker, 1)[1].split(".", 1)[0])


def _all_pages(client: Any, **params: Any) -> list[dict[str, Any]]:
    """Every ListRooms page, through botocore's paginator when it has one (the model ships none today)."""
    if client.can_paginate("list_rooms"):
        return list(client.get_paginator("list_rooms").paginate(**params))
    pages: list[dict[str, Any]] = []
    while True:
        page = client.list_rooms(**params)
        pages.append(page)
        if "nextToken" not in page:
            return pages
        params = {**params, "nextToken": page["nextToken"]}


def _arns(response: dict[str, Any]) -> list[str]:
    return [room["arn"] for room in response["rooms"]]


HANDLER = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ivs-kick-review:live"


def test_a_rooms_review_handler_is_reported_as_get_room_and_list_rooms_report_it(
    fake: FakeIvsChat, make_client: ClientFactory
) -> None:
    fake.add_room(_room("Reviewed0001"), name="reviewed", review_handler=HANDLER, fallback_result="DENY")
    fake.add_room(_room("Unchecked001"), name="unchecked")
    client = make_client()
    handler = {"uri": HANDLER, "fallbackResult": "DENY"}
    assert client.get_room(identifier=_room("Reviewed0001"))["messageReviewHandler"] == handler
    assert "messageReviewHandler" not in client.get_room(identifier=_room("Unchecked001"))
    listed = {room["arn"]: room for room in client.list_rooms()["rooms"]}
    assert listed[_room("Reviewed0001")]["messageReviewHandler"] == handler
    assert "messageReviewHandler" not in listed[_room("Unchecked001")]
    assert _arns(client.list_rooms(messageReviewHandlerUri=HANDLER)) == [_room("Reviewed0001")]
    assert client.list_rooms(messageReviewHandlerUri=HANDLER + "2")["rooms"] == []


@pytest.mark.parametrize(
    ("handler", "fallback"),
    [
        ("arn:aws:lambda:eu-west-1:123456789012:layer:f", "ALLOW"),  # not a function
        ("arn:aws:lambda:eu-west-1:1234:function:f", "ALLOW"),  # the account is 12 digits
        (f"arn:aws:lambda:eu-west-1:123456789012:function:{'f' * 130}", "ALLOW"),  # past the model's 170
        ("", "ALLOW"),  # an empty uri means no handler: leave it out instead
        (HANDLER, "MAYBE"),
    ],
)
def test_a_review_handler_the_model_would_refuse_is_refused(fake: FakeIvsChat, handler: str, fallback: str) -> None:
    with pytest.raises(ValueError, match="review handler|fallback_result"):
        fake.add_room(_room("Reviewed0001"), review_handler=handler, fallback_result=fallback)
    assert MODEL["shapes"]["LambdaArn"]["max"] == 170 and "MAYBE" not in MODEL["shapes"]["FallbackResult"]["enum"]


def test_get_room_answers_with_the_model_members(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    named = _room("NamedRoom123")
    before = datetime.now().astimezone()
    fake.add_room(named, name="main-stage", tags={"team": "moderation"})
    client = make_client()

    response = client.get_room(identifier=named)

    assert set(response) - {"ResponseMetadata"} <= set(_shape("GetRoomResponse")["members"])
    assert (response["arn"], response["id"], response["name"]) == (named, "NamedRoom123", "main-stage")
    assert response["tags"] == {"team": "moderation"}
    # botocore parsed the model's iso8601 strings, so the wire format is right.
    assert before - timedelta(seconds=1) <= response["createTime"] <= datetime.now().astimezone()
    assert response["updateTime"] == response["createTime"]
    assert response["maximumMessageRatePerSecond"] == _documented_default(
        "GetRoomResponse", "maximumMessageRatePerSecond"
    )
    assert response["maximumMessageLength"] == _documented_default("GetRoomResponse", "maximumMessageLength")
    assert client.get_room(identifier=ROOM)["name"] == ""  # rooms may be unnamed

    reads = fake.calls_to("GetRoom")
    assert [(c.params, c.status, c.region) for c in reads] == [
        ({"identifier": named}, 200, REGION),
        ({"identifier": ROOM}, 200, REGION),
    ]
    assert reads[0].request_id == response["ResponseMetadata"]["RequestId"]
    assert fake.calls == [] and fake.calls_to("DisconnectUser") == []  # `calls` stays DisconnectUser only


def test_get_room_unknown_other_region_other_account_and_bad_arn(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    with pytest.raises(ClientError) as excinfo:
        make_client().get_room(identifier=_room("NoSuchRoom99"))
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)
    assert (excinfo.value.response["resourceId"], excinfo.value.response["resourceType"]) == ("NoSuchRoom99", "ROOM")

    with pytest.raises(ClientError) as excinfo:
        make_client(region="us-east-1").get_room(identifier=ROOM)
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)

    fake.add_credentials("AKIDOTHERACCOUNT", "other-secret", account=OTHER_ACCOUNT)
    with pytest.raises(ClientError) as excinfo:
        make_client(access_key="AKIDOTHERACCOUNT", secret_key="other-secret").get_room(identifier=ROOM)
    assert _error(excinfo)[:2] == ("AccessDeniedException", 403)
    assert "ivschat:GetRoom" in excinfo.value.response["Error"]["Message"]

    with pytest.raises(ClientError) as excinfo:
        make_client().get_room(identifier="room/AbCdEf123456")
    assert _error(excinfo)[:2] == ("ValidationException", 400)
    assert [entry["name"] for entry in excinfo.value.response["fieldList"]] == ["identifier"]
    assert [(c.status, c.error) for c in fake.calls_to("GetRoom")] == [
        (404, "ResourceNotFoundException"),
        (404, "ResourceNotFoundException"),
        (403, "AccessDeniedException"),
        (400, "ValidationException"),
    ]


def test_list_rooms_pages_through_the_callers_region_and_account(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    mine = [ROOM] + [_room(f"Room{n:08d}") for n in range(6)]
    for arn in mine[1:]:
        fake.add_room(arn)
    elsewhere = _room("UsEastRoom12", region="us-east-1")
    theirs = _room("TheirRoom123", account=OTHER_ACCOUNT)
    fake.add_room(elsewhere)
    fake.add_room(theirs)
    client = make_client()

    pages = _all_pages(client, maxResults=3)

    assert [len(page["rooms"]) for page in pages] == [3, 3, 1]
    # The model documents descending updateTime; rooms here are never updated, so newest first.
    assert [arn for page in pages for arn in _arns(page)] == mine[::-1]
    tokens = [page["nextToken"] for page in pages[:-1]]
    assert len(set(tokens)) == 2 and not any("room" in token.lower() for token in tokens)  # opaque
    first = pages[0]["rooms"][0]
    assert set(first) <= set(_shape("RoomSummary")["members"])
    assert "maximumMessageLength" not in first  # a summary, not GetRoom
    assert [c.params.get("nextToken") for c in fake.calls_to("ListRooms")] == [None, *tokens]

    assert _arns(make_client(region="us-east-1").list_rooms()) == [elsewhere]
    fake.add_credentials("AKIDOTHERACCOUNT", "other-secret", account=OTHER_ACCOUNT)
    assert _arns(make_client(access_key="AKIDOTHERACCOUNT", secret_key="other-secret").list_rooms()) == [theirs]
    assert _arns(make_client(region="ap-south-1").list_rooms()) == []


def test_list_rooms_default_page_size_is_the_documented_one(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    default = _documented_default("ListRoomsRequest", "maxResults")
    assert default == _shape("MaxRoomResults")["max"]
    for n in range(default):  # plus ROOM from the fixture
        fake.add_room(_room(f"Room{n:08d}"))

    first = make_client().list_rooms()
    assert len(first["rooms"]) == default and "nextToken" in first
    assert _arns(make_client().list_rooms(nextToken=first["nextToken"])) == [ROOM]


def test_list_rooms_name_filter_matches_exactly(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.add_room(_room("MainStage001"), name="main-stage")
    fake.add_room(_room("MainStage002"), name="main-stage")  # names need not be unique
    fake.add_room(_room("MainStage003"), name="main-stage-2")
    fake.add_room(_room("MainStage004", region="us-east-1"), name="main-stage")
    client = make_client()

    assert _arns(client.list_rooms(name="main-stage")) == [_room("MainStage002"), _room("MainStage001")]
    assert client.list_rooms(name="main")["rooms"] == []  # not a prefix match
    assert client.list_rooms(name="Main-Stage")["rooms"] == []

    first = client.list_rooms(name="main-stage", maxResults=1)
    assert _arns(first) == [_room("MainStage002")]
    assert _arns(client.list_rooms(name="main-stage", maxResults=1, nextToken=first["nextToken"])) == [
        _room("MainStage001")
    ]
    # Rooms here have no review handler or logging configuration, so those filters match none.
    assert client.list_rooms(messageReviewHandlerUri=HANDLER)["rooms"] == []
    logging = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:logging-configuration/AbCdEf123456"
    assert client.list_rooms(loggingConfigurationIdentifier=logging)["rooms"] == []


@pytest.mark.parametrize("bound", ["min", "max"])
def test_list_rooms_max_results_range_comes_from_the_model(
    fake: FakeIvsChat, make_client: ClientFactory, bound: str
) -> None:
    limit = _shape("MaxRoomResults")[bound]
    outside = limit - 1 if bound == "min" else limit + 1
    if bound == "min":  # botocore checks minimums itself; the service must still refuse
        with pytest.raises(ParamValidationError):
            make_client().list_rooms(maxResults=outside)
        client = make_client(parameter_validation=False)
    else:
        client = make_client()

    with pytest.raises(ClientError) as excinfo:
        client.list_rooms(maxResults=outside)

    assert _error(excinfo)[:2] == ("ValidationException", 400)
    response = excinfo.value.response
    assert response["reason"] == "FIELD_VALIDATION_FAILED"
    assert response["fieldList"] == [
        {
            "name": "maxResults",
            "message": f"Member must have value {'greater' if bound == 'min' else 'less'} than or equal to {limit}",
        }
    ]
    assert len(client.list_rooms(maxResults=limit)["rooms"]) == 1


def test_list_rooms_refuses_tokens_it_did_not_issue_for_this_listing(
    fake: FakeIvsChat, make_client: ClientFactory
) -> None:
    fake.add_room(_room("SecondRoom12"), name="stage")
    fake.add_room(_room("ThirdRoom123"), name="stage")
    fake.add_credentials("AKIDOTHERACCOUNT", "other-secret", account=OTHER_ACCOUNT)
    client = make_client()
    token = client.list_rooms(maxResults=1)["nextToken"]
    elsewhere = make_client(region="us-east-1")
    other_account = make_client(access_key="AKIDOTHERACCOUNT", secret_key="other-secret")

    attempts: list[tuple[Any, dict[str, Any]]] = [
        (client, {"nextToken": "not-a-token"}),
        (client, {"nextToken": token + "x"}),
        (elsewhere, {"nextToken": token}),
        (other_account, {"nextToken": token}),
        (client, {"nextToken": token, "name": "stage"}),  # filters changed mid-listing
    ]
    for caller, params in attempts:
        with pytest.raises(ClientError) as excinfo:
            caller.list_rooms(**params)
        assert _error(excinfo)[:2] == ("ValidationException", 400), params
        assert [entry["name"] for entry in excinfo.value.response["fieldList"]] == ["nextToken"]

    again = client.list_rooms(maxResults=1, nextToken=token)  # still good for its own listing
    assert _arns(again) == [_room("SecondRoom12")]


def _reader(fake: FakeIvsChat, region: str = REGION, access_key: str = ACCESS_KEY, secret: str = SECRET_KEY) -> Any:
    cfg = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})
    session = boto3.session.Session(access_key, secret, region_name=region)
    return session.client("ivschat", endpoint_url=fake.url, config=cfg)


@pytest.mark.parametrize("operation", ["GetRoom", "ListRooms"])
def test_room_operations_are_throttled_past_5_a_second_per_account_and_region(operation: str) -> None:
    now = [1000.0]  # the rate window's clock, stepped by hand: a loaded machine cannot stretch it
    with FakeIvsChat(clock=lambda: now[0]) as fake:
        fake.add_room(ROOM)
        fake.add_credentials("AKIDOTHERACCOUNT", "other-secret", account=OTHER_ACCOUNT)
        client = _reader(fake)
        call = {"GetRoom": partial(client.get_room, identifier=ROOM), "ListRooms": client.list_rooms}[operation]

        for _ in range(5):
            call()
        with pytest.raises(ClientError) as excinfo:
            call()
        _reader(fake, region="us-east-1").list_rooms()  # another region: another quota
        _reader(fake, access_key="AKIDOTHERACCOUNT", secret="other-secret").list_rooms()  # another account

        assert _error(excinfo)[:2] == ("ThrottlingException", 429)
        response = excinfo.value.response
        resource = "AbCdEf123456" if operation == "GetRoom" else ACCOUNT
        assert (response["limit"], response["resourceType"], response["resourceId"]) == (5, "ROOM", resource)
        assert set(response) - {"Error", "ResponseMetadata"} == set(_shape("ThrottlingException")["members"])
        assert [c.status for c in fake.calls_to(operation)][:6] == [200] * 5 + [429]

        now[0] += 0.99  # still within the second of the first five
        with pytest.raises(ClientError):
            call()
        now[0] += 0.02  # a second after them: the window has room again
        call()


def test_get_room_and_list_rooms_have_a_quota_each_and_disconnect_user_its_own() -> None:
    now = [1000.0]
    with FakeIvsChat(tps_limit=2, clock=lambda: now[0]) as fake:
        fake.add_room(ROOM)
        client = _reader(fake)
        for _ in range(5):
            client.get_room(identifier=ROOM)
            client.list_rooms()
        client.disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
        client.disconnect_user(roomIdentifier=ROOM, userId="viewer-2")
        with pytest.raises(ClientError) as excinfo:
            client.disconnect_user(roomIdentifier=ROOM, userId="viewer-3")

        assert _error(excinfo)[:2] == ("ThrottlingException", 429)
        assert [c.operation for c in fake.requests] == ["GetRoom", "ListRooms"] * 5 + ["DisconnectUser"] * 3
        assert [c.status for c in fake.requests] == [200] * 12 + [429]
        assert [c.request_id for c in fake.calls] == [c.request_id for c in fake.calls_to("DisconnectUser")]


def test_botocore_retries_a_throttled_read_as_it_would_aws_throttling() -> None:
    def clock() -> float:  # stands still until the first refusal, then a second and a half later
        return 1000.0 + (1.5 if any(c.status == 429 for c in fake.calls_to("GetRoom")) else 0.0)

    with FakeIvsChat(clock=clock) as fake:
        fake.add_room(ROOM)
        cfg = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 2})
        client = boto3.session.Session(ACCESS_KEY, SECRET_KEY, region_name=REGION).client(
            "ivschat", endpoint_url=fake.url, config=cfg
        )
        answers = [client.get_room(identifier=ROOM) for _ in range(6)]

        assert [c.status for c in fake.calls_to("GetRoom")] == [200] * 5 + [429, 200]
        assert answers[-1]["ResponseMetadata"]["RetryAttempts"] == 1


def test_fail_next_and_set_delay_per_operation(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    client = make_client()
    fake.fail_next("AccessDeniedException", operation="GetRoom")
    client.disconnect_user(roomIdentifier=ROOM, userId="viewer-1")  # other operations are unaffected
    with pytest.raises(ClientError) as excinfo:
        client.get_room(identifier=ROOM)
    assert _error(excinfo)[:2] == ("AccessDeniedException", 403)
    assert client.get_room(identifier=ROOM)["arn"] == ROOM

    fake.fail_next("ResourceNotFoundException", operation="ListRooms", members={"resourceId": "AbCdEf123456"})
    with pytest.raises(ClientError) as excinfo:
        client.list_rooms()
    assert _error(excinfo)[:2] == ("ResourceNotFoundException", 404)
    fake.fail_next("InternalServerError", operation="ListRooms")
    with pytest.raises(ClientError) as excinfo:
        client.list_rooms()
    assert _error(excinfo)[:2] == ("InternalServerError", 500)

    with pytest.raises(ValueError):
        fake.fail_next("ThrottlingException", operation="GetRoom")  # not in GetRoom's modeled errors
    with pytest.raises(ValueError):
        fake.fail_next("ResourceNotFoundException", operation="ListRooms")  # no room to name by default
    with pytest.raises(ValueError):
        fake.fail_next("AccessDeniedException", operation="DeleteRoom")
    with pytest.raises(ValueError):
        fake.set_delay(1, operation="DeleteRoom")
    with pytest.raises(ValueError):
        fake.calls_to("DeleteRoom")

    fake.set_delay(0.6, operation="GetRoom")
    with pytest.raises(ReadTimeoutError):
        make_client(read_timeout=0.2).get_room(identifier=ROOM)
    make_client(read_timeout=0.2).list_rooms()  # only GetRoom is slow
    fake.set_delay(0, operation="GetRoom")
    fake.set_delay(0.6)  # every operation
    with pytest.raises(ReadTimeoutError):
        make_client(read_timeout=0.2).list_rooms()


def test_add_room_name_tags_and_update(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    with pytest.raises(ValueError):
        fake.add_room(_room("BadName12345"), name="has spaces")
    with pytest.raises(ValueError):
        fake.add_room(_room("BadName12345"), name="n" * (_max_len("RoomName") + 1))
    with pytest.raises(ValueError):
        fake.add_room(_room("BadTags12345"), tags={f"k{n}": "v" for n in range(_shape("Tags")["max"] + 1)})
    with pytest.raises(ValueError):
        fake.add_room(_room("BadTags12345"), tags={"": "v"})

    fake.add_room(_room("LaterRoom123"))
    client = make_client()
    created = client.get_room(identifier=ROOM)["createTime"]
    time.sleep(0.002)  # timestamps have millisecond resolution
    fake.add_room(ROOM, name="renamed", tags={"k": "v"})

    again = client.get_room(identifier=ROOM)
    assert (again["name"], again["tags"], again["createTime"]) == ("renamed", {"k": "v"}, created)
    assert again["updateTime"] > created
    assert _arns(client.list_rooms()) == [ROOM, _room("LaterRoom123")]  # most recently updated first


# --------------------------------------------------------------------------------------------
# Chaos: random faults, and whether each one disconnected the viewer
# --------------------------------------------------------------------------------------------


def test_chaos_throttling_and_server_errors_disconnect_nobody(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("throttling",))
    with pytest.raises(ClientError) as throttled:
        make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    fake.set_chaos(seed=1, rate=1.0, kinds=("server_error",))
    with pytest.raises(ClientError) as failed:
        make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")

    assert _error(throttled)[:2] == ("ThrottlingException", 429)
    assert throttled.value.response["resourceId"] == "AbCdEf123456"
    assert _error(failed)[:2] == ("InternalServerError", 500)
    assert fake.disconnect_count(ROOM, "viewer-1") == 0
    assert [(f.kind, f.took_effect, f.user_id) for f in fake.chaos_log] == [
        ("throttling", False, "viewer-1"),
        ("server_error", False, "viewer-1"),
    ]


def test_chaos_drop_disconnects_the_user_but_loses_the_answer(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("drop",))

    with pytest.raises(ConnectionClosedError):
        make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")

    [call] = fake.calls
    assert call.took_effect and not call.answered and call.fault == "drop"
    assert fake.disconnect_count(ROOM, "viewer-1") == 1
    assert [(f.kind, f.took_effect) for f in fake.chaos_log] == [("drop", True)]


def test_a_retry_after_a_lost_answer_is_one_invocation_disconnecting_twice(
    fake: FakeIvsChat, make_client: ClientFactory
) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("drop",))

    with pytest.raises(ConnectionClosedError):
        make_client(attempts=2).disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    fake.calm()
    make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")  # the caller asks again, on purpose

    calls = fake.calls
    assert [c.attempt for c in calls] == [1, 2, 1]
    assert calls[0].invocation_id == calls[1].invocation_id != calls[2].invocation_id
    assert fake.disconnect_count(ROOM, "viewer-1") == 3
    assert fake.disconnect_invocations(ROOM, "viewer-1") == 2
    assert fake.disconnect_invocations(ROOM, "someone-else") == 0


def test_chaos_timeout_disconnects_and_holds_the_answer_past_the_read_timeout(
    fake: FakeIvsChat, make_client: ClientFactory
) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("timeout",), hold=0.6)

    with pytest.raises(ReadTimeoutError):
        make_client(read_timeout=0.2).disconnect_user(roomIdentifier=ROOM, userId="viewer-1")

    [call] = fake.wait_for_calls(1)
    assert call.took_effect and not call.answered and call.fault == "timeout"
    assert fake.chaos_tally() == {"timeout": 1}


def test_chaos_slow_answers_late_and_disconnects(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("slow",), slow=(0.2, 0.3))
    started = time.monotonic()

    make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")

    assert time.monotonic() - started >= 0.2  # the answer waited; how much longer depends on the machine
    assert fake.calls[0].fault == "slow" and [f.kind for f in fake.chaos_log] == ["slow"]
    assert fake.calls[0].answered and fake.disconnect_count(ROOM, "viewer-1") == 1


def test_chaos_is_replayed_by_its_seed_and_spares_other_operations() -> None:
    def outcomes(seed: int) -> list[str]:
        with FakeIvsChat() as server:
            server.add_room(ROOM)
            server.set_chaos(seed=seed, rate=0.5, kinds=("throttling", "server_error"))
            client = boto3.session.Session(
                aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY, region_name=REGION
            ).client(
                "ivschat",
                endpoint_url=server.url,
                config=botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1}),
            )
            seen = []
            for n in range(20):
                try:
                    client.disconnect_user(roomIdentifier=ROOM, userId=f"viewer-{n}")
                    seen.append("ok")
                except ClientError as error:
                    seen.append(error.response["Error"]["Code"])
            client.get_room(identifier=ROOM)  # never faulted
            return seen

    first = outcomes(5)
    assert first == outcomes(5) and first != outcomes(6)
    assert {"ok", "ThrottlingException", "InternalServerError"} == set(first)


def test_calm_or_rate_0_turns_chaos_off(fake: FakeIvsChat, make_client: ClientFactory) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("server_error",))
    fake.calm()
    make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-1")
    fake.set_chaos(seed=1, rate=0)
    make_client().disconnect_user(roomIdentifier=ROOM, userId="viewer-2")

    assert not fake.chaos_log and len(fake.disconnects()) == 2
    with pytest.raises(ValueError):
        fake.set_chaos(seed=1, rate=0.5, kinds=("meteor",))
