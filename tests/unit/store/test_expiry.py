"""A timeout's end: one BAN_ENDED case however many processes sweep, and the bans marked ended (both stores)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from bot.kick.bans import ALL_ROOMS, Ban
from bot.kick.cases import Action, Status
from bot.kick.expiry import end_lapsed
from bot.store.dynamodb import DynamoCaseStore
from bot.store.sqlite import SqliteCaseStore

from .conftest import TABLE
from .test_case_store import ROOM, T0, new

HOUR = timedelta(hours=1)


def timeout(store, users, *, room=ROOM, hours=1):
    case, _ = store.open_case(new(action=Action.BAN, banned_until=T0 + hours * HOUR, user_ids=tuple(users),
                                  reason="raid", room_arn=room))  # fmt: skip
    for user in users:
        store.put_ban(Ban(room, user, case.number, "U0MOD", T0, T0 + hours * HOUR))
    return case


def test_a_timeout_ends_in_one_case_listing_every_viewer_it_kept_out(store):
    ban_case = timeout(store, ["raider1", "raider2"])
    permanent, _ = store.open_case(new(action=Action.BAN))
    store.put_ban(Ban(ROOM, "troll", permanent.number, "U0MOD", T0))
    assert end_lapsed(store, T0 + HOUR - timedelta(seconds=1)) == []
    [ended] = end_lapsed(store, T0 + HOUR + timedelta(seconds=3))
    assert ended.action is Action.BAN_ENDED and ended.status is Status.DONE
    assert ended.user_ids == ("raider1", "raider2") and ended.room_arn == ROOM and ended.reason == "raid"
    assert ended.banned_until == T0 + HOUR and ended.moderator_id == "U0MOD"
    assert ended.detail == f"The timeout set in case #{ban_case.number} (1 hour) ran out."
    assert [c.number for c in store.due_deliveries(T0 + 2 * HOUR)][-1] == ended.number  # the outbox posts it
    assert end_lapsed(store, T0 + 2 * HOUR) == [] and store.lapsed_bans(T0 + 2 * HOUR) == []
    assert store.ban_on(ROOM, "troll", T0 + 2 * HOUR) is not None


def test_a_timeout_lifted_or_replaced_before_it_ran_out_makes_no_end_case(store):
    timeout(store, ["lifted"])
    store.end_ban(ROOM, "lifted", T0 + timedelta(minutes=5), "U0MOD")
    timeout(store, ["extended"])
    later, _ = store.open_case(new(action=Action.BAN))
    store.put_ban(Ban(ROOM, "extended", later.number, "U0MOD", T0 + timedelta(minutes=10), T0 + 10 * HOUR))
    assert end_lapsed(store, T0 + 2 * HOUR) == []
    assert store.ban_on(ROOM, "extended", T0 + 2 * HOUR).case_number == later.number


class DiesBeforeEndingBans:
    """The store as a process sees it that is killed right after it opened the end case."""

    def __init__(self, store):
        self._store = store

    def __getattr__(self, name):
        return getattr(self._store, name)

    def end_ban(self, *args, **kwargs):
        raise SystemExit("killed")


def test_a_sweep_that_died_after_opening_the_case_is_finished_by_the_next(store):
    timeout(store, ["v"], room=ALL_ROOMS)
    with pytest.raises(SystemExit):
        end_lapsed(DiesBeforeEndingBans(store), T0 + 2 * HOUR)
    assert len(store.lapsed_bans(T0 + 2 * HOUR)) == 1
    assert end_lapsed(store, T0 + 2 * HOUR) == []  # the case exists: only the ban is left to mark
    assert store.lapsed_bans(T0 + 2 * HOUR) == []
    assert [c.action for c in store.export()] == [Action.BAN, Action.BAN_ENDED]


def test_two_instances_sweeping_at_once_open_one_case(tmp_path, dynamodb):
    for kind in ("sqlite", "dynamodb"):
        if kind == "sqlite":
            a, b = SqliteCaseStore(tmp_path / "c.db"), SqliteCaseStore(tmp_path / "c.db")
        else:
            a, b = DynamoCaseStore(TABLE, client=dynamodb), DynamoCaseStore(TABLE, client=dynamodb)
        for n in range(20):
            timeout(a, [f"viewer{n}"])
        with ThreadPoolExecutor(2) as pool:
            opened = list(pool.map(lambda store: end_lapsed(store, T0 + 2 * HOUR), [a, b]))
        ended = [c for c in a.export() if c.action is Action.BAN_ENDED]
        assert len(ended) == 20 == len(opened[0]) + len(opened[1]), kind
        assert len({c.submission_key for c in ended}) == 20, kind
        assert a.lapsed_bans(T0 + 2 * HOUR) == [] == a.active_bans(T0), kind
