import sqlite3

from bot.store.sqlite import MIGRATIONS, SqliteCaseStore


def test_a_new_file_is_created_at_the_latest_schema_and_reopening_keeps_it(tmp_path):
    path = tmp_path / "cases.db"
    SqliteCaseStore(path).close()
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    SqliteCaseStore(path).close()  # a second start migrates nothing and fails on nothing
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
