"""Room references as moderators type them, resolved against the local IVS Chat fake through real boto3 clients.

Why through the fake: pagination tokens, the name filter, per-region endpoints and AWS's error answers are what
break in production, and a mocked client would agree with whatever the code assumes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.config
import pytest

from bot.kick.ivs import IvsChatGateway
from bot.kick.rooms import (
    Ambiguous,
    Found,
    LookupFailed,
    Room,
    RoomDirectory,
    Unknown,
    parse_aliases,
    parse_regions,
)
from rig.fakes.ivschat import FakeIvsChat

ACCOUNT = "123456789012"
WEST, EAST = "us-west-2", "eu-central-1"
REGIONS = (WEST, EAST)


def arn(room_id: str, region: str = WEST) -> str:
    return f"arn:aws:ivschat:{region}:{ACCOUNT}:room/{room_id}"


MAIN = arn("g1H2I3j4k5L6")
BACKSTAGE = arn("BackStage001", EAST)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> Iterator[FakeIvsChat]:
    with FakeIvsChat(account=ACCOUNT) as server:
        yield server


Make = Callable[..., RoomDirectory]


@pytest.fixture
def make(fake: FakeIvsChat) -> Iterator[Make]:
    """Directories whose per-region clients talk to the fake; closed after the test."""
    made: list[RoomDirectory] = []
    config = botocore.config.Config(
        retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2, read_timeout=5
    )

    def client_for(region: str) -> Any:
        session = boto3.session.Session(fake.access_key, fake.secret_key, region_name=region)
        return session.client("ivschat", endpoint_url=fake.url, config=config)

    def build(regions: tuple[str, ...] = REGIONS, aliases: dict[str, str] | None = None, **kw: Any) -> RoomDirectory:
        directory = RoomDirectory(client_for, regions, aliases, **kw)
        made.append(directory)
        return directory

    yield build
    for directory in made:
        directory.close()


def until(condition: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll for something a background thread does; fail loudly rather than hang."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"not true within {timeout}s")


# -- parsing the environment ---------------------------------------------------------------


def test_parse_aliases_lower_cases_aliases_and_skips_blanks() -> None:
    assert parse_aliases("") == {}
    assert parse_aliases(f" Main={MAIN} , back.stage_2={BACKSTAGE},") == {"main": MAIN, "back.stage_2": BACKSTAGE}
    assert parse_aliases(f"main={MAIN},MAIN={MAIN}") == {"main": MAIN}


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("main", "main"),
        ("main=room/g1H2I3j4k5L6", "main=room/g1H2I3j4k5L6"),
        (f"main stage={MAIN}", "main stage="),
        (f"{'a' * 65}={MAIN}", "a" * 20),
        (f"={MAIN}", f"={MAIN[:20]}"),
        ("main=arn:aws:ivs:us-west-2:123456789012:channel/abc", "channel/abc"),
    ],
)
def test_parse_aliases_names_the_variable_the_pair_and_the_form(text: str, shown: str) -> None:
    with pytest.raises(ValueError) as excinfo:
        parse_aliases(f"ok={BACKSTAGE}, {text}")
    message = str(excinfo.value)
    assert "IVS_KICK_ROOMS" in message and shown in message
    assert "main=arn:aws:ivschat:us-west-2:123456789012:room/" in message  # what a good pair looks like
    assert "1–64" in message


def test_parse_aliases_refuses_one_alias_for_two_rooms() -> None:
    with pytest.raises(ValueError, match="IVS_KICK_ROOMS.*Main.*two rooms") as excinfo:
        parse_aliases(f"main={MAIN}, Main={BACKSTAGE}")
    assert MAIN in str(excinfo.value) and BACKSTAGE in str(excinfo.value)


def test_parse_regions() -> None:
    assert parse_regions("") == ()
    assert parse_regions(" us-west-2, eu-central-1,us-west-2 ,") == (WEST, EAST)
    for bad in ("uswest2", "US-WEST-2", "us-west", "us-west-2a", "arn:aws:ivschat", "us-gov-west-1"):
        with pytest.raises(ValueError, match=f"IVS_KICK_REGIONS.*{bad}"):
            parse_regions(f"{WEST},{bad}")


def test_room_knows_its_region_id_and_label() -> None:
    assert (Room(MAIN).region, Room(MAIN).id) == (WEST, "g1H2I3j4k5L6")
    assert Room(MAIN, "main-stage").label() == "main-stage (us-west-2)"
    assert Room(MAIN).label() == Room(MAIN, "").label() == "g1H2I3j4k5L6"


# -- resolving ------------------------------------------------------------------------------


def test_arn_is_found_with_its_name_and_cached(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    directory = make()

    assert directory.resolve(f" {MAIN} ") == Found(Room(MAIN, "main-stage"))
    assert directory.resolve(MAIN) == Found(Room(MAIN, "main-stage"))

    (call,) = fake.calls_to("GetRoom")
    assert (call.params, call.region) == ({"identifier": MAIN}, WEST)
    assert directory.known(MAIN) == Room(MAIN, "main-stage")


def test_arn_of_a_missing_room_is_unknown_in_its_region(make: Make) -> None:
    assert make().resolve(MAIN) == Unknown(MAIN, (WEST,))


def test_arn_stays_usable_when_get_room_is_denied(
    fake: FakeIvsChat, make: Make, caplog: pytest.LogCaptureFixture
) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.fail_next("AccessDeniedException", operation="GetRoom")
    directory = make()

    with caplog.at_level(logging.WARNING, logger="bot.kick.rooms"):
        assert directory.resolve(MAIN) == Found(Room(MAIN))

    assert any("ivschat:GetRoom" in str(getattr(record, "fields", "")) for record in caplog.records)
    assert directory.resolve(MAIN) == Found(Room(MAIN))  # not asked again within the TTL
    assert len(fake.calls_to("GetRoom")) == 1


def test_alias_is_case_insensitive_and_resolves_as_its_arn(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(BACKSTAGE, name="backstage-room")
    directory = make(aliases={"Back": BACKSTAGE})

    assert directory.known("BACK") == Room(BACKSTAGE)
    assert directory.resolve("bAcK") == Found(Room(BACKSTAGE, "backstage-room"))
    assert directory.known("back") == Room(BACKSTAGE, "backstage-room")
    assert fake.calls_to("ListRooms") == []


def test_room_id_is_found_in_the_listing(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.add_room(BACKSTAGE)

    assert make().resolve("g1H2I3j4k5L6") == Found(Room(MAIN, "main-stage"))
    assert make().resolve("BackStage001") == Found(Room(BACKSTAGE, ""))


def test_name_in_one_region_is_found(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.add_room(BACKSTAGE, name="backstage")
    directory = make()

    assert directory.resolve("main-stage") == Found(Room(MAIN, "main-stage"))

    calls = fake.calls_to("ListRooms")
    assert sorted((c.region, dict(c.params)) for c in calls) == [
        (EAST, {"name": "main-stage"}),
        (WEST, {"name": "main-stage"}),
    ]


def test_same_name_in_two_regions_is_ambiguous(fake: FakeIvsChat, make: Make) -> None:
    twin = arn("TwinRoom0001", EAST)
    fake.add_room(MAIN, name="main-stage")
    fake.add_room(twin, name="main-stage")
    directory = make()

    result = directory.resolve("main-stage")

    assert result == Ambiguous("main-stage", (Room(twin, "main-stage"), Room(MAIN, "main-stage")))
    assert directory.known("main-stage") is None
    assert directory.resolve("main-stage") == result  # from the cache
    assert len(fake.calls_to("ListRooms")) == 2


def test_unknown_names_the_regions_and_is_not_cached(fake: FakeIvsChat, make: Make) -> None:
    directory = make()

    assert directory.resolve("nowhere") == Unknown("nowhere", REGIONS)

    fake.add_room(MAIN, name="nowhere")  # created a moment later
    assert directory.resolve("nowhere") == Found(Room(MAIN, "nowhere"))


def test_what_cannot_be_a_room_name_or_id_is_unknown_without_asking(fake: FakeIvsChat, make: Make) -> None:
    assert make().resolve("main stage!") == Unknown("main stage!", REGIONS)
    assert make(regions=()).resolve("main-stage") == Unknown("main-stage", ())
    assert fake.requests == []


def test_every_page_is_read(fake: FakeIvsChat, make: Make) -> None:
    first = arn("Room00000000")
    for n in range(120):  # the oldest room comes last: ListRooms lists the newest first, 50 a page
        fake.add_room(arn(f"Room{n:08d}"), name=f"room-{n:03d}")
    for n in range(60):
        fake.add_room(arn(f"Crowd{n:07d}"), name="crowd")
    directory = make(regions=(WEST,))

    crowd = directory.resolve("crowd")
    assert directory.resolve("Room00000000") == Found(Room(first, "room-000"))

    assert isinstance(crowd, Ambiguous) and len(crowd.candidates) == 60
    by_name = [c.params for c in fake.calls_to("ListRooms") if "name" in c.params]
    assert [(p["name"], "nextToken" in p) for p in by_name] == [
        ("crowd", False),
        ("crowd", True),
        ("Room00000000", False),  # an ID might also be a name
    ]
    assert len([c for c in fake.calls_to("ListRooms") if "name" not in c.params]) == 4  # 180 rooms, 50 a page


def test_a_second_resolve_asks_aws_nothing(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    directory = make()
    directory.resolve("main-stage")
    asked = len(fake.requests)

    assert directory.resolve("main-stage") == Found(Room(MAIN, "main-stage"))
    assert directory.resolve(MAIN) == Found(Room(MAIN, "main-stage"))  # the name answer taught the ARN's name
    assert directory.known("main-stage") == Room(MAIN, "main-stage")
    assert len(fake.requests) == asked


def test_cached_answers_expire_after_the_ttl(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    clock = Clock()
    directory = make(ttl=60, clock=clock)
    directory.resolve("main-stage")

    clock.now += 59
    assert directory.known("main-stage") == Room(MAIN, "main-stage")
    clock.now += 2
    assert directory.known("main-stage") is None
    assert directory.known(MAIN) == Room(MAIN)

    fake.add_room(MAIN, name="renamed")
    fake.add_room(BACKSTAGE, name="main-stage")
    assert directory.resolve("main-stage") == Found(Room(BACKSTAGE, "main-stage"))
    assert len(fake.calls_to("ListRooms")) == 4


def test_known_never_asks_aws(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    directory = make(aliases={"main": MAIN})

    assert directory.known(MAIN) == Room(MAIN)
    assert directory.known("MAIN") == Room(MAIN)
    assert directory.known("main-stage") is None
    assert directory.known("g1H2I3j4k5L6") is None
    assert fake.requests == []


def test_the_cache_is_bounded(fake: FakeIvsChat, make: Make) -> None:
    rooms = [arn(f"Bounded{n:05d}") for n in range(3)]
    for n, room in enumerate(rooms):
        fake.add_room(room, name=f"bounded-{n}")
    directory = make(max_rooms=2)

    for room in rooms:
        directory.resolve(room)

    assert [directory.known(room) for room in rooms] == [
        Room(rooms[0]),  # least recently used, evicted
        Room(rooms[1], "bounded-1"),
        Room(rooms[2], "bounded-2"),
    ]


def test_concurrent_resolves_agree(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    directory = make()
    results: list[Any] = []

    threads = [threading.Thread(target=lambda: results.append(directory.resolve("main-stage"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert results == [Found(Room(MAIN, "main-stage"))] * 8


# -- failures -------------------------------------------------------------------------------


def test_list_rooms_denied_everywhere_is_a_failed_look_up_naming_the_action(fake: FakeIvsChat, make: Make) -> None:
    fake.fail_next("AccessDeniedException", operation="ListRooms")

    result = make(regions=(WEST,)).resolve("main-stage")

    assert isinstance(result, LookupFailed) and result.reference == "main-stage"
    assert "ivschat:ListRooms" in result.message and WEST in result.message


def test_a_region_that_fails_is_named_and_the_others_are_used(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.fail_next("InternalServerError", operation="ListRooms")  # whichever region asks first
    directory = make()

    result = directory.resolve("main-stage")

    (failed,) = [c.region for c in fake.calls_to("ListRooms") if c.status == 500]
    if failed == WEST:
        assert result == Unknown("main-stage", (EAST,), unsearched=(WEST,))
    else:
        assert result == Found(Room(MAIN, "main-stage"), unsearched=(EAST,))
    assert directory.known("main-stage") is None  # an incomplete answer is not cached


def test_slow_regions_time_out(fake: FakeIvsChat, make: Make) -> None:
    fake.set_delay(1.5, operation="ListRooms")
    directory = make(lookup_timeout=0.3)

    result = directory.resolve("main-stage")  # had it waited for the regions, they would have answered

    assert isinstance(result, LookupFailed)
    assert "did not answer within 0.3 s" in result.message and WEST in result.message and EAST in result.message


# -- the picker -----------------------------------------------------------------------------


def test_picker_answers_at_once_and_fills_behind(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.add_room(BACKSTAGE, name="backstage")
    fake.add_room(arn("Lobby0000001"), name="lobby")
    fake.set_delay(2, operation="ListRooms")
    directory = make()

    assert directory.rooms("stage") == []  # from the empty cache: had it waited for the listing, both would show
    until(lambda: len(fake.calls_to("ListRooms")) == 2)
    assert directory.rooms("stage") == []  # still in flight: no second refresh starts
    assert len(fake.calls_to("ListRooms")) == 2

    filled = until(lambda: len(directory.rooms("stage")) == 2 and directory.rooms("stage"))  # regions land apart

    assert filled == [Room(BACKSTAGE, "backstage"), Room(MAIN, "main-stage")]
    assert len(fake.calls_to("ListRooms")) == 2


def test_picker_right_after_start_waits_for_the_listing_in_flight(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.add_room(BACKSTAGE, name="backstage")
    fake.set_delay(0.5, operation="ListRooms")
    directory = make()
    directory.refresh()  # as at start-up
    until(lambda: len(fake.calls_to("ListRooms")) == 2)

    assert directory.rooms("stage", wait=10) == [Room(BACKSTAGE, "backstage"), Room(MAIN, "main-stage")]
    assert len(fake.calls_to("ListRooms")) == 2  # it shared the listing in flight


def test_picker_waits_no_longer_than_it_is_given_for_a_first_listing(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.set_delay(30, operation="ListRooms")
    directory = make()

    assert directory.rooms("stage", wait=0.2) == []  # returns (with nothing) long before AWS answers
    until(lambda: len(fake.calls_to("ListRooms")) == 2)  # but the listing it started goes on behind


def test_picker_does_not_wait_once_a_listing_has_come(fake: FakeIvsChat, make: Make) -> None:
    clock = Clock()
    fake.add_room(MAIN, name="main-stage")
    directory = make(clock=clock)
    directory.refresh(wait=True)
    fake.add_room(BACKSTAGE, name="backstage")
    fake.set_delay(30, operation="ListRooms")
    clock.now += 3600  # stale

    assert directory.rooms("stage", wait=60) == [Room(MAIN, "main-stage")]  # the stale listing, not the new one
    until(lambda: len(fake.calls_to("ListRooms")) == 4)  # refreshed behind


def test_picker_filters_sorts_limits_and_shows_aliases(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    fake.add_room(BACKSTAGE, name="Backstage")
    fake.add_room(arn("Lobby0000001"), name="lobby")
    elsewhere = arn("FarAway00001", "ap-south-1")
    directory = make(aliases={"vip": elsewhere, "front": MAIN})
    directory.refresh(wait=True)
    asked = len(fake.requests)

    assert [room.label() for room in directory.rooms()] == [
        "Backstage (eu-central-1)",
        "FarAway00001",
        "lobby (us-west-2)",
        "main-stage (us-west-2)",
    ]
    assert directory.rooms("STAGE") == [Room(BACKSTAGE, "Backstage"), Room(MAIN, "main-stage")]
    assert directory.rooms("g1h2") == [Room(MAIN, "main-stage")]  # by id
    assert directory.rooms("fro") == [Room(MAIN, "main-stage")]  # by alias
    assert directory.rooms("vip") == [Room(elsewhere)]
    assert directory.rooms(limit=1) == [Room(BACKSTAGE, "Backstage")]
    assert len(fake.requests) == asked
    # A full, fresh listing answers names and IDs without asking AWS.
    assert directory.resolve("lobby") == Found(Room(arn("Lobby0000001"), "lobby"))
    assert directory.known("BackStage001") == Room(BACKSTAGE, "Backstage")
    assert len(fake.requests) == asked


def test_a_stale_listing_is_served_while_it_is_refreshed(fake: FakeIvsChat, make: Make) -> None:
    fake.add_room(MAIN, name="main-stage")
    clock = Clock()
    directory = make(ttl=60, clock=clock)
    directory.refresh(wait=True)
    assert len(fake.calls_to("ListRooms")) == 2

    fake.add_room(BACKSTAGE, name="backstage")
    clock.now += 61
    assert directory.rooms("stage") == [Room(MAIN, "main-stage")]

    until(lambda: len(directory.rooms("stage")) == 2)
    assert len(fake.calls_to("ListRooms")) == 4


# -- IVS Chat's room operations quota ---------------------------------------------------------


def test_a_large_accounts_listing_completes_under_the_quota_with_two_instances_listing_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """365 rooms, 300 of them (six pages) in one region, listed by two instances of the bot at the same time: more
    ListRooms calls a second than IVS Chat's 5 allow, and yet each instance ends up with every room."""
    counts = {WEST: 300, EAST: 40, "ap-northeast-1": 25}
    with FakeIvsChat(account=ACCOUNT) as fake:  # the default quota: IVS Chat's own
        for region, count in counts.items():
            for n in range(count):
                fake.add_room(arn(f"Large{n:07d}", region), name=f"stage-{n:03d}")
        monkeypatch.setenv("AWS_ENDPOINT_URL_IVSCHAT", fake.url)
        instances = [
            RoomDirectory(IvsChatGateway(boto3.session.Session(fake.access_key, fake.secret_key)).reader, tuple(counts))
            for _ in range(2)
        ]
        try:
            for directory in instances:
                directory.refresh()
            for directory in instances:
                directory.refresh(wait=True)

            for directory in instances:
                listed = directory.rooms(limit=1000)
                assert len(listed) == sum(counts.values())
                assert {room.region for room in listed} == set(counts)
            assert {c.status for c in fake.calls_to("ListRooms")} <= {200, 429}
        finally:
            for directory in instances:
                directory.close()
