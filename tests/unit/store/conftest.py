import threading

import boto3
import pytest
from moto import mock_aws

from bot.store.dynamodb import DynamoCaseStore, create_table
from bot.store.sqlite import SqliteCaseStore

TABLE = "ivs-kick-cases"


class OneRequestAtATime:
    """A DynamoDB client whose requests moto handles one at a time.

    DynamoDB applies each request atomically; moto's in-memory tables are not safe to use from several threads at
    once (a transaction copies a table while another thread writes it), so a lock around each call gives the
    concurrency tests the guarantee the real service gives, and no more.
    """

    def __init__(self, client):
        self._client, self._lock = client, threading.Lock()

    def __getattr__(self, name):
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            with self._lock:
                return attribute(*args, **kwargs)

        return call


@pytest.fixture
def dynamodb(monkeypatch):
    """A client for a fresh case table in moto, inside this process: nothing reaches AWS."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws():
        client = OneRequestAtATime(boto3.client("dynamodb", region_name="us-east-1"))
        create_table(client, TABLE)
        yield client


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, tmp_path):
    if request.param == "dynamodb":
        store = DynamoCaseStore(TABLE, client=request.getfixturevalue("dynamodb"))
    else:
        store = SqliteCaseStore(tmp_path / "cases.db")
    yield store
    store.close()
