"""What only the DynamoDB store has: several instances racing, sparse indexes, the raw item layout."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.kick.bans import Ban
from bot.kick.cases import Amendment, AuditPost, CaseNotFound, Status, Target
from bot.store import TableOutdated
from bot.store.dynamodb import DynamoCaseStore, add_bans_index

from .conftest import TABLE
from .test_case_store import ROOM, T0, new


class Spy:
    """The store's client with every request noted; a test can stand in for one request, once."""

    def __init__(self, client):
        self.client, self.requests, self.once = client, [], {}

    def __getattr__(self, name):
        attribute = getattr(self.client, name)
        if not callable(attribute):
            return attribute

        def call(**kwargs):
            self.requests.append((name, kwargs))
            instead = self.once.pop(name, None)
            return instead(attribute, **kwargs) if instead else attribute(**kwargs)

        return call


def index_numbers(client, index):
    answer = client.query(
        TableName=TABLE,
        IndexName=index,
        KeyConditionExpression="#k = :y",
        ExpressionAttributeNames={"#k": index},
        ExpressionAttributeValues={":y": {"S": "Y"}},
    )
    return sorted(int(item["sk"]["N"]) for item in answer["Items"])


def raw_case(client, number):
    return client.get_item(TableName=TABLE, Key={"pk": {"S": "CASE"}, "sk": {"N": str(number)}}).get("Item")


def test_a_submission_raced_by_another_instance_is_still_one_case(dynamodb):
    first = DynamoCaseStore(TABLE, client=dynamodb)
    late = Spy(dynamodb)
    second = DynamoCaseStore(TABLE, client=late)
    late.once["get_item"] = lambda real, **kwargs: {}  # its look-up ran just before the first instance's write

    case, created = first.open_case(new(submission_key="V123"))
    again, created_again = second.open_case(new(submission_key="V123", reason="double click"))

    assert created and not created_again and again == case
    assert any(name == "transact_write_items" for name, _ in late.requests)  # it lost at the write, not the read
    assert [c.number for c in first.export()] == [1]
    assert first.open_case(new())[0].number == 3  # the loser's number stays unused: a gap, never a duplicate


def test_no_operation_scans_the_table_and_the_outbox_reads_only_its_indexes(dynamodb):
    spy = Spy(dynamodb)
    store = DynamoCaseStore(TABLE, client=spy)
    case, _ = store.open_case(new(submission_key="V1"))
    store.open_case(new(created_at=T0 + timedelta(minutes=5)))
    store.record_outcome(case.number, Status.KICKED, [Target("viewer42", "kicked")], None, T0)
    spy.requests.clear()

    store.due_deliveries(T0)
    store.undelivered()
    store.interrupt_stale(T0 + timedelta(minutes=1), "the bot stopped")
    assert {(name, kwargs.get("IndexName")) for name, kwargs in spy.requests} == {
        ("query", "undelivered"),
        ("query", "pending"),
    }

    store.claim_delivery(case.number, T0, T0 + timedelta(minutes=1))
    store.note_delivery_failure(case.number, "not_in_channel", T0)
    store.mark_delivered(case.number, AuditPost("C0AUDIT", "1.2"))
    store.amend_reason(case.number, Amendment(T0, "U0MOD", "spam", None))
    store.history(user_id="viewer42")
    store.history(room_arn=ROOM)
    list(store.export(T0))
    assert not any(name == "scan" for name, _ in spy.requests)


def test_only_cases_the_outbox_still_needs_are_in_the_sparse_indexes(dynamodb):
    store = DynamoCaseStore(TABLE, client=dynamodb)
    pending, _ = store.open_case(new())
    refused, _ = store.open_case(new(status=Status.REFUSED))
    assert index_numbers(dynamodb, "pending") == [pending.number]
    assert index_numbers(dynamodb, "undelivered") == [pending.number, refused.number]

    store.record_outcome(pending.number, Status.KICKED, [Target("viewer42", "kicked")], None, T0)
    store.mark_delivered(refused.number, AuditPost("C0AUDIT", "1.2"))
    store.note_delivery_failure(refused.number, "late answer from an expired claim", T0)  # must not requeue it
    assert index_numbers(dynamodb, "pending") == []
    assert index_numbers(dynamodb, "undelivered") == [pending.number]


def test_an_outcome_that_lands_while_stale_cases_are_swept_is_kept(dynamodb):
    spy = Spy(dynamodb)
    store = DynamoCaseStore(TABLE, client=spy)
    case, _ = store.open_case(new())

    def outcome_arrives_meanwhile(real, **kwargs):
        answer = real(**kwargs)
        store.record_outcome(case.number, Status.KICKED, [Target("viewer42", "kicked")], None, T0)
        return answer

    spy.once["query"] = outcome_arrives_meanwhile
    assert store.interrupt_stale(T0 + timedelta(minutes=5), "the bot stopped") == []
    assert store.get(case.number).status is Status.KICKED


def test_history_follows_the_users_the_outcome_names(dynamodb):
    store = DynamoCaseStore(TABLE, client=dynamodb)
    case, _ = store.open_case(new(user_ids=("a", "a")))
    assert [c.number for c in store.history(user_id="a")] == [case.number]  # once, though named twice

    store.record_outcome(case.number, Status.KICKED, [Target("b", "kicked"), Target("c", "kicked")], None, T0)
    assert store.history(user_id="a") == []
    assert [c.number for c in store.history(user_id="b")] == [case.number]
    assert [c.number for c in store.history(room_arn=ROOM)] == [case.number]


def test_times_are_sortable_utc_text_and_come_back_aware(dynamodb):
    store = DynamoCaseStore(TABLE, client=dynamodb)
    berlin = datetime(2026, 11, 26, 16, 0, 0, 250, tzinfo=timezone(timedelta(hours=1)))
    case, _ = store.open_case(new(created_at=berlin))
    assert raw_case(dynamodb, case.number)["created_at"] == {"S": "2026-11-26T15:00:00.000250+00:00"}
    read = store.get(case.number)
    assert read.created_at == berlin and read.created_at.utcoffset() == timedelta(0)


def test_a_missing_case_is_reported_and_no_stray_item_is_written(dynamodb):
    store = DynamoCaseStore(TABLE, client=dynamodb)
    with pytest.raises(CaseNotFound):
        store.record_outcome(7, Status.KICKED, [], None, T0)
    with pytest.raises(CaseNotFound):
        store.amend_reason(7, Amendment(T0, "U0MOD", None, "spam"))
    assert store.claim_delivery(7, T0, T0) is None
    store.mark_delivered(7, AuditPost("C0AUDIT", "1.2"))
    store.note_delivery_failure(7, "channel_not_found", T0)
    assert raw_case(dynamodb, 7) is None and store.get(7) is None


def test_without_a_client_the_standard_aws_chain_is_used(dynamodb, monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    store = DynamoCaseStore(TABLE)
    try:
        assert store.open_case(new())[0].number == 1
    finally:
        store.close()


def test_create_table_makes_the_documented_keys_and_indexes(dynamodb):
    table = dynamodb.describe_table(TableName=TABLE)["Table"]
    keys = {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]}
    indexes = {
        i["IndexName"]: ([k["AttributeName"] for k in i["KeySchema"]], i["Projection"]["ProjectionType"])
        for i in table["GlobalSecondaryIndexes"]
    }
    assert keys == {("pk", "HASH"), ("sk", "RANGE")}
    assert indexes == {
        "undelivered": (["undelivered", "audit_due_at"], "ALL"),
        "pending": (["pending", "created_at"], "KEYS_ONLY"),
        "bans": (["banned", "ends_at"], "ALL"),
    }
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST" and table["TableStatus"] == "ACTIVE"


def test_a_raid_of_500_viewers_is_recorded_with_each_viewer_in_history(dynamodb):
    spy = Spy(dynamodb)
    store = DynamoCaseStore(TABLE, client=spy)
    raiders = tuple(f"raider-{i:03d}-" + "x" * 117 for i in range(500))  # 128 characters, IVS's longest user ID
    case, created = store.open_case(new(user_ids=raiders, submission_key="V500"))
    assert created and store.get(case.number).user_ids == raiders
    assert all(len(kwargs["TransactItems"]) <= 100 for name, kwargs in spy.requests if name == "transact_write_items")
    assert [c.number for c in store.history(user_id=raiders[-1])] == [case.number]

    why = "IVS Chat answered InternalServerException: " + "m" * 300  # each target's own words, as long as any
    targets = [Target(user, "failed", why, f"{i:08d}-0000-4000-8000-000000000000") for i, user in enumerate(raiders)]
    store.record_outcome(case.number, Status.FAILED, targets, None, T0)  # within DynamoDB's 400 KB per item
    assert [c.number for c in store.history(user_id=raiders[0])] == [case.number]
    assert store.get(case.number).request_ids[-1].startswith("00000499-")

    others = [Target(f"other-{i}", "kicked") for i in range(300)]  # an outcome naming 800 changes of history
    store.record_outcome(case.number, Status.KICKED, others, None, T0)
    assert store.history(user_id=raiders[-1]) == [] and [c.number for c in store.history(user_id="other-299")] == [1]


def test_history_skips_items_a_crash_left_behind(dynamodb):
    store = DynamoCaseStore(TABLE, client=dynamodb)
    cases = [store.open_case(new())[0] for _ in range(3)]
    for number, user in ((99, "viewer42"), (cases[1].number, "viewer42-gone")):  # no such case; not named
        dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": f"USER#{user}"}, "sk": {"N": str(number)}})
    dynamodb.put_item(TableName=TABLE, Item={"pk": {"S": "USER#viewer42"}, "sk": {"N": "98"}})
    assert [c.number for c in store.history(user_id="viewer42", limit=2)] == [3, 2]  # two dead entries passed over
    assert store.history(user_id="viewer42-gone") == []


def test_create_table_turns_on_the_ttl_that_deletes_drafts(dynamodb):
    ttl = dynamodb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_epoch"}
    store = DynamoCaseStore(TABLE, client=dynamodb)
    store.save_draft("V1", '["raider1"]', T0 + timedelta(minutes=30))
    item = dynamodb.get_item(TableName=TABLE, Key={"pk": {"S": "DRAFT#V1"}, "sk": {"N": "0"}})["Item"]
    assert int(item["expires_epoch"]["N"]) == int((T0 + timedelta(minutes=30)).timestamp())
    assert store.load_draft("V1", T0) == '["raider1"]' and store.load_draft("V1", T0 + timedelta(hours=1)) is None


def test_a_table_from_before_bans_is_refused_at_start_until_its_bans_index_is_added(dynamodb):
    old = "ivs-kick-cases-before-bans"
    dynamodb.create_table(
        TableName=old,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "N"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    )
    with pytest.raises(TableOutdated, match=f"The case table {old} has no bans index.*add_bans_index"):
        DynamoCaseStore(old, client=dynamodb)
    assert add_bans_index(dynamodb, old) is True
    assert add_bans_index(dynamodb, old) is False  # already there: nothing to do
    store = DynamoCaseStore(old, client=dynamodb)
    store.open_case(new())
    store.put_ban(Ban(ROOM, "troll", 1, "U0MOD", T0))
    assert [b.case_number for b in store.active_bans(T0)] == [1]
