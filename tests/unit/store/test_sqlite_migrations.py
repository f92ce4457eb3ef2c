import sqlite3

from bot.kick.bans import Ban
from bot.kick.cases import Action
from bot.store.sqlite import MIGRATIONS, SqliteCaseStore


def test_a_new_file_is_created_at_the_latest_schema_and_reopening_keeps_it(tmp_path):
    path = tmp_path / "cases.db"
    SqliteCaseStore(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    SqliteCaseStore(path).close()  # a second start migrates nothing and fails on nothing
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)


def test_a_file_from_before_bans_keeps_its_cases_and_gains_bans(tmp_path):
    path = tmp_path / "cases.db"
    old = sqlite3.connect(path)
    for script in MIGRATIONS[:6]:
        old.executescript(script)
    old.execute(
        "INSERT INTO cases (created_at, moderator_id, status, room_arn) VALUES (?, 'U0MOD', 'kicked', ?)",
        ("2026-11-26T15:00:00.000000+00:00", "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6"),
    )
    old.execute("PRAGMA user_version = 6")
    old.commit()
    old.close()
    store = SqliteCaseStore(path)
    case = store.get(1)
    assert case is not None and case.action is Action.KICK and case.banned_until is None
    store.put_ban(Ban(case.room_arn, "troll", 1, "U0MOD", case.created_at))
    assert store.ban_on(case.room_arn, "troll", case.created_at) is not None
