"""The SQLite case store's files are readable by their owner only."""

import logging
import os
import sqlite3
import stat

import pytest

from bot.store.sqlite import SqliteCaseStore

from .test_case_store import new

SUFFIXES = ("", "-wal", "-shm")


def _modes(path) -> dict[str, int]:
    return {suffix: stat.S_IMODE(os.stat(f"{path}{suffix}").st_mode) for suffix in SUFFIXES}


@pytest.fixture
def permissive_umask():
    """The umask most shells and containers run with, which leaves new files readable by everyone."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_store_and_its_wal_and_shm_files_are_mode_0600(tmp_path, permissive_umask, caplog):
    path = tmp_path / "cases.db"
    store = SqliteCaseStore(path)
    store.open_case(new())
    try:
        assert _modes(path) == {suffix: 0o600 for suffix in SUFFIXES}  # -wal and -shm take the file's mode
    finally:
        store.close()
    assert "could be read by other users" not in caplog.text


@pytest.mark.parametrize("wide", [0o644, 0o640, 0o666], ids=["0644", "0640", "0666"])
def test_existing_files_readable_by_others_are_tightened_with_one_warning(tmp_path, permissive_umask, caplog, wide):
    path = tmp_path / "cases.db"
    SqliteCaseStore(path).close()
    other = sqlite3.connect(path)  # another process holding the database open keeps its -wal and -shm files
    other.execute("PRAGMA journal_mode = WAL")
    other.execute("CREATE TABLE IF NOT EXISTS t (x)")
    for suffix in SUFFIXES:
        os.chmod(f"{path}{suffix}", wide)

    with caplog.at_level(logging.WARNING, logger="bot.store.sqlite"):
        store = SqliteCaseStore(path)
    try:
        assert _modes(path) == {suffix: 0o600 for suffix in SUFFIXES}
        store.open_case(new())
    finally:
        store.close()
        other.close()
    [warning] = [r for r in caplog.records if "could be read by other users" in r.getMessage()]
    assert warning.fields["files"] == {f"{path}{suffix}": f"{wide:04o}" for suffix in SUFFIXES}


def test_reopening_a_private_store_warns_of_nothing(tmp_path, permissive_umask, caplog):
    path = tmp_path / "cases.db"
    SqliteCaseStore(path).close()
    SqliteCaseStore(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600 and "could be read" not in caplog.text
