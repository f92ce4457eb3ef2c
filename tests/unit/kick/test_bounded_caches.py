"""Every cache keyed by what people type stays within its documented bound, whatever 10,000 inputs arrive.

Made-up regions go through real boto3 clients to the local IVS Chat fake, which must see no call at all. Inputs
that do reach AWS (real rooms, names, moderators) are answered by stand-in clients instead: the bound is what is
under test, and 10,000 round trips to the fake would take minutes.
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import botocore.config
import pytest

from bot.kick.ivs import MAX_CLIENTS, MAX_ROLE_SESSIONS, IvsChatGateway, Result
from bot.kick.regions import ivschat_regions
from bot.kick.request import KickRequest
from bot.kick.rooms import Ambiguous, Found, Room, RoomDirectory, Unknown
from rig.fakes.ivschat import FakeIvsChat

ACCOUNT = "123456789012"
ROLE = "arn:aws:iam::123456789012:role/ivs-kick-moderator"
MANY = 10_000
REAL_REGIONS = tuple(sorted(ivschat_regions()))
REGIONS = ("us-west-2", "eu-central-1")
UNPACED = math.inf  # stand-in clients have no quota; ten thousand look-ups at IVS Chat's pace would take hours


def room_arn(region: str, room_id: str = "abc") -> str:
    return f"arn:aws:ivschat:{region}:{ACCOUNT}:room/{room_id}"


MADE_UP_ARNS = [room_arn(f"xx-fake-{n}") for n in range(MANY)]


@pytest.fixture
def fake() -> Iterator[FakeIvsChat]:
    with FakeIvsChat(account=ACCOUNT) as server:
        yield server


class StandInClient:
    """Answers AssumeRole, DisconnectUser, GetRoom and ListRooms at once, and counts what it was asked."""

    keys = itertools.count()

    def __init__(
        self, asked: list[tuple[str, str]], region: str, on_list: Callable[[], None] | None = None, finds: bool = True
    ) -> None:
        self._asked, self._region, self._on_list, self._finds = asked, region, on_list, finds

    def assume_role(self, RoleArn: str, RoleSessionName: str, DurationSeconds: int) -> dict[str, Any]:
        self._asked.append(("AssumeRole", RoleSessionName))
        expires = datetime.now(timezone.utc) + timedelta(seconds=DurationSeconds)
        return {
            "Credentials": {
                "AccessKeyId": f"ASIA{next(self.keys):012d}",
                "SecretAccessKey": "secret",
                "SessionToken": "token",
                "Expiration": expires,
            }
        }

    def disconnect_user(self, **params: Any) -> dict[str, Any]:
        self._asked.append(("DisconnectUser", params["roomIdentifier"]))
        return {"ResponseMetadata": {"RequestId": "0d6c2a8e"}}

    def get_room(self, identifier: str) -> dict[str, Any]:
        self._asked.append(("GetRoom", identifier))
        return {"arn": identifier, "name": "a-room"}

    def list_rooms(self, **params: Any) -> dict[str, Any]:
        self._asked.append(("ListRooms", params.get("name", "")))
        if self._on_list:
            self._on_list()
        name = params.get("name")
        found = name and self._finds
        return {"rooms": [{"arn": room_arn(self._region, f"{name}-room"), "name": name}] if found else []}


class StandInSession:
    """What IvsChatGateway asks of a boto3 session: clients, here stand-ins."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []
        self.clients_made = 0

    def client(self, service: str, region_name: str, config: Any, **credentials: str) -> StandInClient:
        self.clients_made += 1
        return StandInClient(self.asked, region_name)


def fake_client_for(fake: FakeIvsChat):
    config = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": 1})

    def client_for(region: str) -> Any:
        session = boto3.session.Session(fake.access_key, fake.secret_key, region_name=region)
        return session.client("ivschat", endpoint_url=fake.url, config=config)

    return client_for


# -- the gateway: clients per region and moderator, credentials per moderator -----------------------


def test_made_up_regions_reach_no_aws_and_leave_no_client(fake: FakeIvsChat, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_IVSCHAT", fake.url)  # anything sent would reach the fake
    session = boto3.session.Session(fake.access_key, fake.secret_key)
    gateway = IvsChatGateway(session, disconnects_per_second=1e9)
    for arn in MADE_UP_ARNS:
        outcome = gateway.disconnect(KickRequest(arn, "viewer1"))
        assert outcome.result is Result.INVALID and "does not exist in region xx-fake-" in outcome.message
    assert gateway.cache_sizes == {"clients": 0, "role_sessions": 0}
    assert not fake.requests


def test_made_up_regions_assume_no_role() -> None:
    session = StandInSession()
    gateway = IvsChatGateway(session, role_arn=ROLE, disconnects_per_second=1e9)  # type: ignore[arg-type]
    for n, arn in enumerate(MADE_UP_ARNS):
        assert gateway.disconnect(KickRequest(arn, "viewer1"), f"slack-T1-U{n}").result is Result.INVALID
    assert (session.asked, session.clients_made) == ([], 0)
    assert gateway.cache_sizes == {"clients": 0, "role_sessions": 0}


def test_moderators_credentials_and_clients_stay_within_their_bounds() -> None:
    session = StandInSession()
    gateway = IvsChatGateway(session, role_arn=ROLE, disconnects_per_second=1e9)  # type: ignore[arg-type]
    for n in range(MANY):
        room = room_arn(REAL_REGIONS[n % len(REAL_REGIONS)])
        assert gateway.disconnect(KickRequest(room, "viewer1"), f"slack-T1-U{n}").ok
        sizes = gateway.cache_sizes
        assert sizes["role_sessions"] <= MAX_ROLE_SESSIONS and sizes["clients"] <= MAX_CLIENTS, (n, sizes)
    assert gateway.cache_sizes["role_sessions"] == MAX_ROLE_SESSIONS

    assume_roles = sum(1 for operation, _ in session.asked if operation == "AssumeRole")
    assert assume_roles == MANY
    gateway.disconnect(KickRequest(room_arn("us-west-2"), "viewer2"), f"slack-T1-U{MANY - 1}")
    assert sum(1 for operation, _ in session.asked if operation == "AssumeRole") == MANY  # recent: reused
    gateway.disconnect(KickRequest(room_arn("us-west-2"), "viewer2"), "slack-T1-U0")
    assert session.asked[-2] == ("AssumeRole", "slack-T1-U0")  # dropped long ago: costs one new AssumeRole


def test_without_a_role_there_is_one_client_per_region() -> None:
    session = StandInSession()
    gateway = IvsChatGateway(session, disconnects_per_second=1e9)  # type: ignore[arg-type]
    for n in range(MANY):
        assert gateway.disconnect(KickRequest(room_arn(REAL_REGIONS[n % len(REAL_REGIONS)]), f"viewer{n}")).ok
    assert gateway.cache_sizes == {"clients": len(REAL_REGIONS), "role_sessions": 0}
    assert session.clients_made == len(REAL_REGIONS)


# -- the room directory: rooms, answers, per-region clients and listings, look-ups in flight --------


def test_made_up_region_arns_are_no_rooms_and_reach_no_aws(fake: FakeIvsChat) -> None:
    directory = RoomDirectory(fake_client_for(fake), REGIONS, lookup_timeout=5)
    try:
        for arn in MADE_UP_ARNS:
            assert directory.known(arn) is None
            assert isinstance(directory.resolve(arn), Unknown)
        assert directory.cache_sizes == {"rooms": 0, "answers": 0, "listings": 0, "clients": 0, "in_flight": 0}
    finally:
        directory.close()
    assert not fake.requests


def test_rooms_by_arn_stay_within_max_rooms() -> None:
    asked: list[tuple[str, str]] = []
    directory = RoomDirectory(
        lambda region: StandInClient(asked, region), REAL_REGIONS, max_rooms=500, reads_per_second=UNPACED
    )
    try:
        for n in range(MANY):
            arn = room_arn(REAL_REGIONS[n % len(REAL_REGIONS)], f"Room{n:08d}")
            assert directory.resolve(arn) == Found(Room(arn, "a-room"))
            assert directory.cache_sizes["rooms"] <= 500
        sizes = directory.cache_sizes
        assert sizes["rooms"] == 500 and sizes["clients"] == len(REAL_REGIONS) and sizes["in_flight"] == 0
        assert len(asked) == MANY
    finally:
        directory.close()


def test_names_looked_up_at_once_stay_within_max_rooms_and_threads() -> None:
    callers, asked, peak, lock = 8, [], [0], threading.Lock()

    def note_in_flight() -> None:
        with lock:
            peak[0] = max(peak[0], directory.cache_sizes["in_flight"])

    directory = RoomDirectory(
        lambda region: StandInClient(asked, region, note_in_flight), REGIONS, max_rooms=500, reads_per_second=UNPACED
    )
    try:
        with ThreadPoolExecutor(max_workers=callers) as pool:
            results = list(pool.map(directory.resolve, (f"room-{n}" for n in range(MANY))))
        assert all(isinstance(result, Ambiguous) for result in results)  # the name in both regions
        sizes = directory.cache_sizes
        assert sizes["answers"] <= 500 and sizes["rooms"] <= 500 and sizes["in_flight"] == 0
        assert 1 <= peak[0] <= callers
    finally:
        directory.close()


def test_names_not_found_are_not_cached() -> None:
    asked: list[tuple[str, str]] = []
    directory = RoomDirectory(
        lambda region: StandInClient(asked, region, finds=False), REGIONS, reads_per_second=UNPACED
    )
    try:
        for n in range(MANY):
            assert isinstance(directory.resolve(f"missing-{n}"), Unknown)
        assert directory.cache_sizes["answers"] == 0 and directory.cache_sizes["rooms"] == 0
        assert len(asked) == 2 * MANY  # each asked again: a room created since is found
    finally:
        directory.close()
