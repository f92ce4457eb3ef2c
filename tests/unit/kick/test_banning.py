"""A ban's records as the core writes them (kick.banning), against both stores: what a new ban replaces, and what
it must not make disappear from the audit trail."""

from __future__ import annotations

from datetime import timedelta

from bot.kick.banning import write_bans
from bot.kick.bans import Ban
from bot.kick.cases import Action
from bot.kick.expiry import end_lapsed

from ..store.conftest import dynamodb, store  # noqa: F401 (fixtures)
from ..store.test_case_store import ROOM, T0, new

HOUR = timedelta(hours=1)


def test_a_timeout_that_ran_out_before_the_viewer_was_banned_again_still_has_its_end_on_record(store):  # noqa: F811
    """The sweep that marks a timeout's end runs every few seconds, and not at all while the bot is down: a new ban
    of the same viewer in the same room made in between replaces the record, and must not take its end with it."""
    first, _ = store.open_case(new(action=Action.BAN, banned_until=T0 + HOUR, user_ids=("troll_42",)))
    store.put_ban(Ban(ROOM, "troll_42", first.number, "U0MOD", T0, T0 + HOUR))
    again_at = T0 + HOUR + timedelta(seconds=2)  # run out, but no sweep has marked it yet
    second, _ = store.open_case(new(created_at=again_at, action=Action.BAN, user_ids=("troll_42",)))

    assert write_bans(store, second, ROOM, None) == {}  # it had run out: the new ban replaces no ban in force
    end_lapsed(store, T0 + 2 * HOUR)  # the outbox's next sweep

    [ended] = [case for case in store.export() if case.action is Action.BAN_ENDED]
    assert ended.user_ids == ("troll_42",) and ended.banned_until == T0 + HOUR
    assert ended.detail == f"The timeout set in case #{first.number} (1 hour) ran out."
    assert store.ban_on(ROOM, "troll_42", T0 + 2 * HOUR).case_number == second.number
