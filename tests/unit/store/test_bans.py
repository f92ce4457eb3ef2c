"""The ban part of the case store contract, run against every store, and the read path enforcers use."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.kick.bans import ALL_ROOMS, EXPIRED, Ban
from bot.kick.cases import Action, Status
from bot.store.bans import DynamoBanReader, SqliteBanReader
from bot.store.sqlite import SqliteCaseStore

from .conftest import TABLE
from .test_case_store import ROOM, T0, new

OTHER_ROOM = "arn:aws:ivschat:eu-central-1:123456789012:room/EuRoom12345"
HOUR = timedelta(hours=1)


def ban(case_number: int, *, room: str = ROOM, user: str = "troll", at: datetime = T0, hours: float | None = 1) -> Ban:
    expires = None if hours is None else at + timedelta(hours=hours)
    return Ban(room, user, case_number, "U0MOD", at, expires)


@pytest.fixture
def bans(store):
    """A store with cases 1-4 on record, for the bans below to point at."""
    for _ in range(4):
        store.open_case(new(action=Action.BAN))
    return store


def test_a_ban_case_keeps_its_action_and_end(store):
    case, _ = store.open_case(new(action=Action.BAN, banned_until=T0 + HOUR))
    assert store.get(case.number).action is Action.BAN and store.get(case.number).banned_until == T0 + HOUR
    kick, _ = store.open_case(new())
    assert kick.action is Action.KICK and kick.banned_until is None


def test_a_timeout_holds_until_it_ends_then_not(bans):
    assert bans.put_ban(ban(1)) is None
    assert bans.ban_on(ROOM, "troll", T0 + timedelta(minutes=59)).case_number == 1
    assert bans.ban_on(ROOM, "troll", T0 + HOUR) is None
    assert bans.ban_on(OTHER_ROOM, "troll", T0) is None
    assert bans.ban_on(ROOM, "someone-else", T0) is None


def test_a_ban_on_every_room_holds_in_each_and_the_longest_ban_wins(bans):
    bans.put_ban(ban(1, room=ALL_ROOMS, hours=None))
    bans.put_ban(ban(2, hours=1))
    assert bans.ban_on(OTHER_ROOM, "troll", T0 + timedelta(days=400)).case_number == 1
    assert bans.ban_on(ROOM, "troll", T0).case_number == 1  # permanent beats an hour


def test_a_new_ban_replaces_the_one_in_force_and_says_which(bans):
    bans.put_ban(ban(1, hours=1))
    replaced = bans.put_ban(ban(2, at=T0 + timedelta(minutes=30), hours=24))
    assert replaced is not None and replaced.case_number == 1
    assert bans.ban_on(ROOM, "troll", T0 + 2 * HOUR).case_number == 2
    # A ban that had already run out is not "replaced".
    assert bans.put_ban(ban(3, at=T0 + timedelta(days=2), hours=1)) is None


def test_an_unban_ends_a_ban_once(bans):
    bans.put_ban(ban(1, hours=None))
    ended = bans.end_ban(ROOM, "troll", T0 + HOUR, "U0OTHERMOD")
    assert ended is not None and ended.case_number == 1 and ended.ended_at is None
    assert bans.ban_on(ROOM, "troll", T0 + 2 * HOUR) is None
    assert bans.end_ban(ROOM, "troll", T0 + 2 * HOUR, "U0OTHERMOD") is None
    assert bans.end_ban(ROOM, "nobody", T0, "U0MOD") is None


def test_an_unban_after_a_timeout_ran_out_changes_nothing(bans):
    bans.put_ban(ban(1, hours=1))
    assert bans.end_ban(ROOM, "troll", T0 + 2 * HOUR, "U0MOD") is None
    assert [b.case_number for b in bans.lapsed_bans(T0 + 2 * HOUR)] == [1]


def test_a_lapsed_timeout_is_ended_once_at_its_expiry_and_only_if_still_that_ban(bans):
    bans.put_ban(ban(1, hours=1))
    bans.put_ban(ban(2, user="other", hours=None))
    assert bans.lapsed_bans(T0 + timedelta(minutes=59)) == []
    [lapsed] = bans.lapsed_bans(T0 + 2 * HOUR)
    assert bans.end_ban(ROOM, "troll", T0 + 2 * HOUR, EXPIRED, case_number=2) is None  # not the ban case 2 made
    assert bans.end_ban(ROOM, "troll", T0 + 2 * HOUR, EXPIRED, case_number=1) == lapsed
    assert bans.end_ban(ROOM, "troll", T0 + 3 * HOUR, EXPIRED, case_number=1) is None
    assert bans.lapsed_bans(T0 + 3 * HOUR) == []


def test_active_bans_are_listed_newest_first_and_by_room(bans):
    bans.put_ban(ban(1, hours=1))
    bans.put_ban(ban(2, user="b", at=T0 + timedelta(minutes=1), hours=None))
    bans.put_ban(ban(3, user="c", room=ALL_ROOMS, at=T0 + timedelta(minutes=2), hours=48))
    bans.put_ban(ban(4, user="gone", hours=0.5))
    bans.end_ban(ROOM, "b", T0 + timedelta(minutes=50), "U0MOD")
    now = T0 + timedelta(minutes=40)
    assert [b.case_number for b in bans.active_bans(now)] == [3, 1]
    assert [b.case_number for b in bans.active_bans(now, room=ALL_ROOMS)] == [3]
    assert [b.case_number for b in bans.active_bans(now, room=ROOM)] == [1]


def test_the_enforcers_reader_sees_what_the_bot_wrote(tmp_path, dynamodb):
    sqlite = SqliteCaseStore(tmp_path / "cases.db")
    sqlite.open_case(new(action=Action.BAN))
    sqlite.put_ban(ban(1, room=ALL_ROOMS, hours=None))
    from bot.store.dynamodb import DynamoCaseStore

    dynamo = DynamoCaseStore(TABLE, client=dynamodb)
    dynamo.put_ban(ban(1, room=ALL_ROOMS, hours=None))
    for reader in (SqliteBanReader(str(tmp_path / "cases.db")), DynamoBanReader(TABLE, dynamodb)):
        assert reader.ban_on(ROOM, "troll", T0).case_number == 1
        assert reader.ban_on(ROOM, "other", T0) is None
    sqlite.end_ban(ALL_ROOMS, "troll", T0, "U0MOD")
    dynamo.end_ban(ALL_ROOMS, "troll", T0, "U0MOD")
    for reader in (SqliteBanReader(str(tmp_path / "cases.db")), DynamoBanReader(TABLE, dynamodb)):
        assert reader.ban_on(ROOM, "troll", T0 + HOUR) is None


def test_an_unban_case_settles_as_done(store):
    case, _ = store.open_case(new(action=Action.UNBAN))
    settled = store.record_outcome(case.number, Status.DONE, case.targets, None, T0)
    assert settled.status is Status.DONE and settled.action is Action.UNBAN


class AlwaysThrottled:
    """A DynamoDB client whose BatchGetItem leaves every key unprocessed, as DynamoDB does when it throttles part
    of a batch instead of failing the call."""

    def __init__(self) -> None:
        self.calls = 0

    def batch_get_item(self, RequestItems):
        self.calls += 1
        return {"Responses": {}, "UnprocessedKeys": RequestItems}


def test_keys_left_unprocessed_through_every_try_are_a_store_error():
    from bot.store import STORE_ERRORS, StoreThrottled

    client = AlwaysThrottled()
    with pytest.raises(StoreThrottled) as raised:
        DynamoBanReader(TABLE, client).ban_on(ROOM, "troll", T0)
    assert isinstance(raised.value, STORE_ERRORS) and client.calls == 5
