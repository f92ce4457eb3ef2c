import pytest

from bot.store.sqlite import SqliteCaseStore


@pytest.fixture(params=["sqlite"])
def store(request, tmp_path):
    store = SqliteCaseStore(tmp_path / "cases.db")
    yield store
    store.close()
