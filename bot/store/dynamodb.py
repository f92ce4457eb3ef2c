"""Cases in one DynamoDB table, shared by any number of bot instances on any number of hosts.

Every item is keyed (pk, sk) with sk a number, so one layout serves every lookup:

    pk = "CASE",           sk = n   the case itself (all cases in one collection: export reads it in order)
    pk = "COUNTER",        sk = 0   the last case number handed out (atomic ADD)
    pk = "SUB#<key>",      sk = 0   which case a modal submission became (written only if absent)
    pk = "USER#<user id>", sk = n   history by IVS user: one item per user named in case n
    pk = "ROOM#<arn>",     sk = n   history by room
    pk = "DRAFT#<key>",    sk = 0   a confirmation modal's draft (a raid's user IDs), gone after its TTL
    pk = "GROUP#<group id>#<user id>", sk = 0   the moderator group's latest change for that user
    pk = "SUMMARY#<lead>", sk = n   case n is covered by the summary post of case <lead> (kick.flood)
    pk = "GATE#<member>",  sk = 0   a member's audit gate: their recent refused and invalid audit posts
    pk = "BAN#<room or *>#<user id>", sk = 0   a ban (bot/store/bans.py has the layout token services read)

Three sparse global secondary indexes hold only the items a sweep or a listing has to look at, so none reads
the whole table: `undelivered` (cases whose audit post Slack has not yet accepted, by due time), `pending`
(cases still waiting for AWS, by creation time) and `bans` (bans not yet ended, by end time). An item carries
an index's key attribute only while it belongs there. Times are ISO-8601 UTC strings with microseconds, which
sort as text.

A raid names up to 500 users, and a transaction holds at most 100 items, so history items are not written in
the case's transaction: they are put (idempotently, in batches) before the case is written and deleted after
it changes, and history keeps only the cases that still name the user or room. A process that dies in between
leaves at most an item pointing at a case that does not name it, or at no case: history skips both.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError

from ..kick.bans import EXPIRED, Ban
from ..kick.cases import Action, Amendment, AuditPost, Case, CaseNotFound, NewCase, Status, Target
from ..kick.flood import FLOOD_PRONE, AuditGate
from ..kick.moderators import GroupChange
from . import StoreThrottled, TableOutdated
from .bans import (
    BANNED,
    BANS_INDEX,
    TTL_ATTRIBUTE,
    DynamoBanReader,
    ban_attributes,
    ban_from,
    ban_key,
    ending,
)
from .bans import iso as _time

# The bot does not depend on boto3 type stubs, so the low-level client is untyped here.
DynamoClient = Any
Item = dict[str, Any]

CASES = "CASE"
COUNTER = "COUNTER"
UNDELIVERED_INDEX = "undelivered"
PENDING_INDEX = "pending"
IN_INDEX = "Y"  # the value of a sparse index's key attribute while the case belongs there
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25  # DynamoDB's most items in one BatchWriteItem
BATCH_TRIES = 10  # rounds of a batch request while DynamoDB leaves part of it unprocessed (throttled)
TRANSACTION_TRIES = 3
GATE_TRIES = 10  # compare-and-set rounds on a member's audit gate before giving up (each is one read, one write)
R = TypeVar("R")
# The claim that left a case to a summary did not try to post it (see CaseStore.summarise).
_UNCOUNT_CLAIM = "#audit_tries = if_not_exists(#audit_tries, :one) - :one"

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _key_schema(hash_key: str, range_key: str) -> list[dict[str, str]]:
    return [{"AttributeName": hash_key, "KeyType": "HASH"}, {"AttributeName": range_key, "KeyType": "RANGE"}]


# The bans index: added by create_table, or to an older table by add_bans_index.
BANS_INDEX_SPEC = {
    "IndexName": BANS_INDEX,
    "KeySchema": _key_schema("banned", "ends_at"),
    "Projection": {"ProjectionType": "ALL"},  # a listing or a sweep gets whole bans in one query
}
BANS_INDEX_ATTRIBUTES = [
    {"AttributeName": "banned", "AttributeType": "S"},
    {"AttributeName": "ends_at", "AttributeType": "S"},
]


def create_table(client: DynamoClient, table_name: str) -> None:
    """Create the case table with its indexes (on-demand billing), wait until it is active, and enable the TTL
    that deletes expired drafts and ended bans (on `expires_epoch`; cases never carry it).

    Deletion protection is on because the table is the audit trail; turn it off by hand to drop it.
    """

    types = {"pk": "S", "sk": "N", "undelivered": "S", "audit_due_at": "S", "pending": "S", "created_at": "S"}
    client.create_table(
        TableName=table_name,
        BillingMode="PAY_PER_REQUEST",
        DeletionProtectionEnabled=True,
        AttributeDefinitions=[{"AttributeName": name, "AttributeType": kind} for name, kind in types.items()]
        + BANS_INDEX_ATTRIBUTES,
        KeySchema=_key_schema("pk", "sk"),
        GlobalSecondaryIndexes=[
            {
                "IndexName": UNDELIVERED_INDEX,
                "KeySchema": _key_schema("undelivered", "audit_due_at"),
                "Projection": {"ProjectionType": "ALL"},  # the outbox sweep gets whole cases in one query
            },
            {
                "IndexName": PENDING_INDEX,
                "KeySchema": _key_schema("pending", "created_at"),
                "Projection": {"ProjectionType": "KEYS_ONLY"},  # each stale case is then updated by number
            },
            BANS_INDEX_SPEC,
        ],
    )
    client.get_waiter("table_exists").wait(TableName=table_name, WaiterConfig={"Delay": 2, "MaxAttempts": 90})
    client.update_time_to_live(
        TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE}
    )


def add_bans_index(client: DynamoClient, table_name: str) -> bool:
    """Add the `bans` index to a table created before bans existed, and wait until it is active (minutes on a
    large table); False when it is there already. Needs dynamodb:UpdateTable and dynamodb:DescribeTable."""
    described = client.describe_table(TableName=table_name)["Table"]
    if any(index["IndexName"] == BANS_INDEX for index in described.get("GlobalSecondaryIndexes", [])):
        return False
    client.update_table(
        TableName=table_name,
        AttributeDefinitions=BANS_INDEX_ATTRIBUTES,
        GlobalSecondaryIndexUpdates=[{"Create": BANS_INDEX_SPEC}],
    )
    while True:
        indexes = client.describe_table(TableName=table_name)["Table"].get("GlobalSecondaryIndexes", [])
        if any(i["IndexName"] == BANS_INDEX and i.get("IndexStatus") == "ACTIVE" for i in indexes):
            return True
        time.sleep(2)


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _key(pk: str, sk: int = 0) -> Item:
    return {"pk": {"S": pk}, "sk": {"N": str(sk)}}


def _serialize(item: Mapping[str, Any]) -> Item:
    """Absent rather than NULL: conditions and sparse indexes test whether an attribute exists."""
    return {name: _serializer.serialize(value) for name, value in item.items() if value is not None}


def _deserialize(item: Mapping[str, Any]) -> Item:
    return {name: _deserializer.deserialize(value) for name, value in item.items()}


def _expression(values: Mapping[str, Any] | None = None, **expressions: str) -> dict[str, Any]:
    """Request parameters for expressions written with #name and :value.

    Every attribute name goes through a placeholder because DynamoDB reserves many plain words (status, ...).
    """
    params: dict[str, Any] = dict(expressions)
    names = set(re.findall(r"#(\w+)", " ".join(expressions.values())))
    if names:
        params["ExpressionAttributeNames"] = {f"#{name}": name for name in names}
    if values:
        params["ExpressionAttributeValues"] = {f":{name}": _serializer.serialize(v) for name, v in values.items()}
    return params


def _set_or_remove(fields: Mapping[str, Any], *also_set: str) -> tuple[str, dict[str, Any]]:
    """An UpdateExpression setting each field that has a value and removing each that is None."""
    sets = [f"#{name} = :{name}" for name, value in fields.items() if value is not None] + list(also_set)
    removes = [f"#{name}" for name, value in fields.items() if value is None]
    clauses = ([f"SET {', '.join(sets)}"] if sets else []) + ([f"REMOVE {', '.join(removes)}"] if removes else [])
    return " ".join(clauses), {name: value for name, value in fields.items() if value is not None}


def _cancelled_by(error: ClientError) -> str | None:
    """Why a transaction's first write was refused (ConditionalCheckFailed, TransactionConflict, ...)."""
    reasons = error.response.get("CancellationReasons") or [{}]
    code = reasons[0].get("Code")
    return code if code and code != "None" else None


def _targets(targets: Iterable[Target]) -> list[dict[str, str | None]]:
    return [
        {"user_id": t.user_id, "result": t.result, "message": t.message, "request_id": t.request_id} for t in targets
    ]


def _index_keys(room_arn: str | None, user_ids: Iterable[str]) -> set[str]:
    """The history collections a case appears in; a user named twice in one case is listed once."""
    return ({f"ROOM#{room_arn}"} if room_arn else set()) | {f"USER#{user}" for user in user_ids}


def _case(item: Mapping[str, Any]) -> Case:
    return Case(
        number=int(item["sk"]),
        created_at=_parse_time(item["created_at"]),
        moderator_id=item["moderator_id"],
        team_id=item.get("team_id"),
        channel_id=item.get("channel_id"),
        status=Status(item["status"]),
        room_arn=item.get("room_arn"),
        room_name=item.get("room_name"),
        reason=item.get("reason"),
        targets=tuple(
            Target(t["user_id"], t.get("result"), t.get("message"), t.get("request_id"))
            for t in item.get("targets", [])
        ),
        detail=item.get("detail"),
        command_text=item.get("command_text"),
        submission_key=item.get("submission_key"),
        audit_post=AuditPost(item["audit_channel"], item["audit_ts"]) if "audit_ts" in item else None,
        audit_error=item.get("audit_error"),
        audit_tries=int(item.get("audit_tries") or 0),
        summarised_in=int(item["summarised_in"]) if "summarised_in" in item else None,
        amendments=tuple(
            Amendment(_parse_time(a["at"]), a["by"], a.get("old_reason"), a.get("new_reason"))
            for a in item.get("amendments", [])
        ),
        action=Action(item.get("action", Action.KICK.value)),
        banned_until=_parse_time(item["banned_until"]) if item.get("banned_until") else None,
    )


class DynamoCaseStore:
    """The CaseStore for several instances: every write that two of them could race on is conditional."""

    def __init__(self, table_name: str, *, client: DynamoClient | None = None) -> None:
        self.table_name = table_name
        self._owns_client = client is None
        self._client = client if client is not None else boto3.client("dynamodb")
        self._bans = DynamoBanReader(table_name, self._client)
        # Fail at start-up, not at the first kick, when the table is missing, the bot may not read it, or it
        # predates the bans index.
        self.ping()
        try:
            self._client.query(
                TableName=self.table_name,
                IndexName=BANS_INDEX,
                Limit=1,
                **_expression({"in": BANNED}, KeyConditionExpression="#banned = :in"),
            )
        except ClientError as error:
            # DynamoDB answers ValidationException ("does not have the specified index"); moto, ResourceNotFound.
            # The table itself was just read, so either means the index.
            if error.response.get("Error", {}).get("Code") not in ("ValidationException", "ResourceNotFoundException"):
                raise
            raise TableOutdated(
                f"The case table {table_name} has no bans index (it was created before bans): add it once with "
                f'`python -c "import boto3; from bot.store.dynamodb import add_bans_index; '
                f"add_bans_index(boto3.client('dynamodb'), '{table_name}')\"` (README, Several instances)."
            ) from error

    def ping(self) -> None:
        self._client.get_item(TableName=self.table_name, Key=_key(COUNTER))

    # -- writing ---------------------------------------------------------------------------

    def save_draft(self, key: str, payload: str, expires_at: datetime) -> None:
        """A `DRAFT#<key>` item; the table's TTL on `expires_epoch` deletes it some time after it expires (until
        then load_draft refuses it by `expires_at`)."""
        self._client.put_item(
            TableName=self.table_name,
            Item=_serialize(
                {
                    "pk": f"DRAFT#{key}",
                    "sk": 0,
                    "payload": payload,
                    "expires_at": _time(expires_at),
                    TTL_ATTRIBUTE: int(expires_at.timestamp()),
                }
            ),
        )

    def load_draft(self, key: str, now: datetime) -> str | None:
        found = self._client.get_item(TableName=self.table_name, Key=_key(f"DRAFT#{key}"), ConsistentRead=True)
        item = _deserialize(found["Item"]) if "Item" in found else None
        if item is None or item["expires_at"] < _time(now):
            return None
        return str(item["payload"])

    def open_case(self, new: NewCase) -> tuple[Case, bool]:
        if new.submission_key:
            earlier = self._submitted(new.submission_key)
            if earlier is not None:
                return earlier, False
        number = self._next_number()
        item: Item = {
            "pk": CASES,
            "sk": number,
            "created_at": _time(new.created_at),
            "moderator_id": new.moderator_id,
            "team_id": new.team_id,
            "channel_id": new.channel_id,
            "status": new.status.value,
            "room_arn": new.room_arn,
            "room_name": new.room_name,
            "reason": new.reason,
            "targets": _targets(Target(user) for user in new.user_ids),
            "detail": new.detail,
            "command_text": new.command_text,
            "submission_key": new.submission_key,
            "audit_due_at": _time(new.audit_due_at or new.created_at),
            "amendments": [],
            "undelivered": IN_INDEX,
            "pending": IN_INDEX if new.status is Status.PENDING else None,
            "action": new.action.value,
            "banned_until": _time(new.banned_until) if new.banned_until else None,
        }
        self._index(number, add=_index_keys(new.room_arn, new.user_ids))
        writes = [self._put(item)]
        if not new.submission_key:
            self._client.transact_write_items(TransactItems=writes)
            return _case(item), True
        # The submission's key item goes first, so the first cancellation reason says whether it was taken.
        writes.insert(0, self._put({"pk": f"SUB#{new.submission_key}", "sk": 0, "case_number": number}))
        attempt = 0
        while True:
            attempt += 1
            try:
                self._client.transact_write_items(TransactItems=writes)
                return _case(item), True
            except self._client.exceptions.TransactionCanceledException as error:
                # Another instance is writing, or has written, the same submission (a double click reaching two
                # instances): its case stands, and the number drawn here stays unused.
                reason = _cancelled_by(error)
                if reason not in ("ConditionalCheckFailed", "TransactionConflict"):
                    raise
                winner = self._submitted(new.submission_key)
                if winner is not None:
                    return winner, False
                if reason != "TransactionConflict" or attempt == TRANSACTION_TRIES:
                    raise
                time.sleep(0.05 * attempt)

    def record_outcome(
        self,
        number: int,
        status: Status,
        targets: Sequence[Target],
        detail: str | None,
        audit_due_at: datetime,
        room: tuple[str, str | None] | None = None,
    ) -> Case:
        current = self._require(number)
        room_arn, room_name = room or (current.room_arn, current.room_name)
        old = _index_keys(current.room_arn, current.user_ids)
        new = _index_keys(room_arn, (t.user_id for t in targets))
        update, values = _set_or_remove(
            {
                "status": status.value,
                "detail": detail,
                "audit_due_at": _time(audit_due_at),
                "targets": _targets(targets),
                "pending": IN_INDEX if status is Status.PENDING else None,
                "room_arn": room_arn,
                "room_name": room_name,
            }
        )
        self._index(number, add=new - old)
        case = self._found(
            number, self._update({"Key": _key(CASES, number), **self._exists(values, UpdateExpression=update)})
        )
        self._index(number, remove=old - new)
        return case

    def claim_delivery(self, number: int, now: datetime, until: datetime) -> Case | None:
        # None when posted, without an outcome yet, claimed by someone else, or no such case.
        return self._update(
            {
                "Key": _key(CASES, number),
                **_expression(
                    {"until": _time(until), "now": _time(now), "pending": Status.PENDING.value, "one": 1},
                    UpdateExpression="SET #claimed_until = :until ADD #audit_tries :one",
                    ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(#audit_ts)"
                    " AND #status <> :pending"
                    " AND (attribute_not_exists(#claimed_until) OR #claimed_until < :now)",
                ),
            }
        )

    def renew_claim(self, number: int, held_until: datetime, until: datetime) -> bool:
        return (
            self._update(
                {
                    "Key": _key(CASES, number),
                    **_expression(
                        {"until": _time(until), "held": _time(held_until)},
                        UpdateExpression="SET #claimed_until = :until",
                        ConditionExpression="attribute_not_exists(#audit_ts) AND #claimed_until = :held",
                    ),
                }
            )
            is not None
        )

    def mark_delivered(self, number: int, post: AuditPost) -> None:
        fields = {"audit_channel": post.channel, "audit_ts": post.ts}
        gone = {"audit_error": None, "audit_due_at": None, "claimed_until": None, "undelivered": None}
        update, values = _set_or_remove(fields | gone)
        # Like the SQLite store, bookkeeping for a number that does not exist changes nothing.
        self._update({"Key": _key(CASES, number), **self._exists(values, UpdateExpression=update)})

    def note_delivery_failure(self, number: int, error: str, retry_at: datetime) -> None:
        update, values = _set_or_remove({"audit_error": error, "audit_due_at": _time(retry_at), "claimed_until": None})
        self._update({"Key": _key(CASES, number), **self._exists(values, UpdateExpression=update)})

    def keep_alive(self, number: int, at: datetime) -> bool:
        beat = _expression(
            {"at": _time(at), "pending": Status.PENDING.value},
            UpdateExpression="SET #alive_at = :at",
            ConditionExpression="#status = :pending",
        )
        return self._update({"Key": _key(CASES, number), **beat}) is not None

    def interrupt_stale(self, silent_since: datetime, detail: str) -> list[Case]:
        # The index finds the pending cases created before then; the update's condition skips each that beat since.
        candidates = self._query(
            IndexName=PENDING_INDEX,
            **_expression(
                {"in": IN_INDEX, "before": _time(silent_since)},
                KeyConditionExpression="#pending = :in AND #created_at < :before",
            ),
        )
        update, values = _set_or_remove({"status": Status.INTERRUPTED.value, "detail": detail, "pending": None})
        interrupted = []
        for item in candidates:
            case = self._update(
                {
                    "Key": _key(CASES, int(item["sk"])),
                    # Only if still pending and silent: an outcome or a heartbeat that lands meanwhile is kept.
                    **_expression(
                        values | {"was": Status.PENDING.value, "before": _time(silent_since)},
                        UpdateExpression=update,
                        ConditionExpression="#status = :was"
                        " AND (attribute_not_exists(#alive_at) OR #alive_at < :before)",
                    ),
                }
            )
            if case is not None:
                interrupted.append(case)
        return sorted(interrupted, key=lambda case: case.number)

    def change_gate(self, moderator_id: str, change: Callable[[AuditGate | None], tuple[AuditGate, R]]) -> R:
        """Optimistic: read the gate, write the change only if nobody changed it meanwhile (its version)."""
        key = _key(f"GATE#{moderator_id}")
        for attempt in range(GATE_TRIES):
            found = self._client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
            item = _deserialize(found["Item"]) if "Item" in found else None
            gate = None
            if item is not None:
                ends = _parse_time(item["summary_ends"]) if "summary_ends" in item else None
                summary = int(item["summary"]) if "summary" in item else None
                gate = AuditGate(tuple(_parse_time(at) for at in item.get("posted", [])), summary, ends)
            new, result = change(gate)
            version = int(item["version"]) if item else 0
            written = {
                "pk": f"GATE#{moderator_id}",
                "sk": 0,
                "version": version + 1,
                "posted": [_time(at) for at in new.posted],
                "summary": new.summary,
                "summary_ends": _time(new.summary_ends) if new.summary_ends else None,
            }
            condition = (
                _expression({"version": version}, ConditionExpression="#version = :version")
                if item
                else _expression(ConditionExpression="attribute_not_exists(#pk)")
            )
            try:
                self._client.put_item(TableName=self.table_name, Item=_serialize(written), **condition)
                return result
            except self._client.exceptions.ConditionalCheckFailedException:
                time.sleep(0.01 * (attempt + 1))  # another process admitted a case for this member first
        raise RuntimeError(f"the audit gate of {moderator_id} kept changing under {GATE_TRIES} tries")

    def summarise(self, number: int, lead: int, due_at: datetime) -> bool:
        if number == lead:
            update, values = _set_or_remove(
                {"summarised_in": lead, "audit_due_at": _time(due_at), "claimed_until": None}, _UNCOUNT_CLAIM
            )
            values["one"] = 1
            change = _expression(
                values,
                UpdateExpression=update,
                ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(#audit_ts)",
            )
            return self._update({"Key": _key(CASES, number), **change}) is not None
        # A member leaves the delivery index: its lead's summary posts for it, unless that was already posted.
        update, values = _set_or_remove(
            {"summarised_in": lead, "claimed_until": None, "undelivered": None}, _UNCOUNT_CLAIM
        )
        values["one"] = 1
        # The lead is checked by an update (counting its members) rather than a ConditionCheck, which would need
        # one more IAM action (dynamodb:ConditionCheckItem).
        writes = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _key(CASES, lead),
                    **_expression(
                        {"one": 1},
                        UpdateExpression="ADD #summary_size :one",
                        ConditionExpression="attribute_exists(#pk) AND attribute_not_exists(#audit_ts)",
                    ),
                }
            },
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": _key(CASES, number),
                    **self._exists(values, UpdateExpression=update),
                }
            },
            {"Put": {"TableName": self.table_name, "Item": _serialize({"pk": f"SUMMARY#{lead}", "sk": number})}},
        ]
        attempt = 0
        while True:
            attempt += 1
            try:
                self._client.transact_write_items(TransactItems=writes)
                return True
            except self._client.exceptions.TransactionCanceledException as error:
                reason = _cancelled_by(error)
                if reason == "ConditionalCheckFailed":
                    return False
                if reason != "TransactionConflict" or attempt == TRANSACTION_TRIES:
                    raise
                time.sleep(0.05 * attempt)  # another instance is adding to the same summary

    def summarised(self, lead: int) -> list[Case]:
        members = self._query(
            ConsistentRead=True, **_expression({"pk": f"SUMMARY#{lead}"}, KeyConditionExpression="#pk = :pk")
        )
        return sorted(self._load_many([lead, *(int(m["sk"]) for m in members)]), key=lambda case: case.number)

    def amend_reason(self, number: int, amendment: Amendment) -> Case:
        entry = {
            "at": _time(amendment.at),
            "by": amendment.by,
            "old_reason": amendment.old_reason,
            "new_reason": amendment.new_reason,
        }
        update, values = _set_or_remove(
            {"reason": amendment.new_reason}, "#amendments = list_append(#amendments, :entry)"
        )
        values["entry"] = [{name: value for name, value in entry.items() if value is not None}]
        return self._found(
            number, self._update({"Key": _key(CASES, number), **self._exists(values, UpdateExpression=update)})
        )

    # -- reading ---------------------------------------------------------------------------

    def get(self, number: int) -> Case | None:
        found = self._client.get_item(TableName=self.table_name, Key=_key(CASES, number), ConsistentRead=True)
        return _case(_deserialize(found["Item"])) if "Item" in found else None

    def due_deliveries(self, now: datetime) -> list[Case]:
        items = self._query(
            IndexName=UNDELIVERED_INDEX,
            **_expression(
                {"in": IN_INDEX, "now": _time(now), "pending": Status.PENDING.value},
                KeyConditionExpression="#undelivered = :in AND #audit_due_at <= :now",
                FilterExpression="#status <> :pending"
                " AND (attribute_not_exists(#claimed_until) OR #claimed_until < :now)",
            ),
        )
        return sorted((_case(item) for item in items), key=lambda case: (case.status in FLOOD_PRONE, case.number))

    def undelivered(self) -> list[Case]:
        items = self._query(
            IndexName=UNDELIVERED_INDEX,
            **_expression({"in": IN_INDEX}, KeyConditionExpression="#undelivered = :in"),
        )
        return sorted((_case(item) for item in items), key=lambda case: case.number)

    def history(self, *, user_id: str | None = None, room_arn: str | None = None, limit: int = 10) -> list[Case]:
        if user_id is not None:
            collection = f"USER#{user_id}"
        elif room_arn is not None:
            collection = f"ROOM#{room_arn}"
        else:
            return []
        if limit < 1:
            return []
        entries = self._query(
            ConsistentRead=True,
            ScanIndexForward=False,
            Limit=limit,  # a page; more only when some entries are left over from a crash (see the module)
            **_expression({"pk": collection}, KeyConditionExpression="#pk = :pk"),
        )
        found: list[Case] = []
        while len(found) < limit and (page := list(itertools.islice(entries, limit))):
            cases = self._load_many(int(entry["sk"]) for entry in page)
            found += [c for c in cases if (user_id in c.user_ids if user_id is not None else c.room_arn == room_arn)]
        return found[:limit]

    def export(self, since: datetime | None = None) -> Iterator[Case]:
        """Reads every case (not the index items) in number order, a page at a time."""
        condition = {"FilterExpression": "#created_at >= :since"} if since else {}
        values = {"pk": CASES} | ({"since": _time(since)} if since else {})
        for item in self._query(
            ConsistentRead=True, **_expression(values, KeyConditionExpression="#pk = :pk", **condition)
        ):
            yield _case(item)

    def record_group_change(self, group_id: str, change: GroupChange) -> None:
        """A conditional put, so instances racing on the same user keep the newest (GroupChange.supersedes)."""
        at = Decimal(str(change.at))
        newer = "attribute_not_exists(#pk) OR #at < :at"
        values: dict[str, Any] = {"at": at}
        if not change.added:  # at the same time, a removal wins over an addition
            newer += " OR (#at = :at AND #added = :added)"
            values["added"] = True
        item = {"pk": f"GROUP#{group_id}#{change.user_id}", "sk": 0, "added": change.added, "at": at}
        try:
            self._client.put_item(
                TableName=self.table_name, Item=_serialize(item), **_expression(values, ConditionExpression=newer)
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            pass  # newer news about this user is already on record

    def group_change(self, group_id: str, user_id: str) -> GroupChange | None:
        found = self._client.get_item(
            TableName=self.table_name, Key=_key(f"GROUP#{group_id}#{user_id}"), ConsistentRead=True
        )
        if "Item" not in found:
            return None
        item = _deserialize(found["Item"])
        return GroupChange(user_id, bool(item["added"]), float(item["at"]))

    def put_ban(self, ban: Ban) -> Ban | None:
        answer = self._client.put_item(
            TableName=self.table_name, Item=_serialize(ban_attributes(ban)), ReturnValues="ALL_OLD"
        )
        replaced = ban_from(_deserialize(answer["Attributes"])) if answer.get("Attributes") else None
        return replaced if replaced and replaced.holds_at(ban.created_at) else None

    def end_ban(self, room: str, user_id: str, at: datetime, by: str, case_number: int | None = None) -> Ban | None:
        key = _key(ban_key(room, user_id))
        found = self._client.get_item(TableName=self.table_name, Key=key, ConsistentRead=True)
        ban = ban_from(_deserialize(found["Item"])) if "Item" in found else None
        if ban is None or not ending(ban, at, by, case_number):
            return None
        ended = ban.expires_at if by == EXPIRED and ban.expires_at else at
        gone = ban_attributes(Ban(**{**ban.__dict__, "ended_at": ended, "ended_by": by}))
        try:
            self._client.update_item(
                TableName=self.table_name,
                Key=key,
                **_expression(
                    {"ended_at": gone["ended_at"], "by": by, "ttl": gone[TTL_ATTRIBUTE], "case": ban.case_number},
                    UpdateExpression=f"SET #ended_at = :ended_at, #ended_by = :by, #{TTL_ATTRIBUTE} = :ttl"
                    " REMOVE #banned",
                    ConditionExpression="#case_number = :case AND attribute_not_exists(#ended_at)",
                ),
            )
        except self._client.exceptions.ConditionalCheckFailedException:
            return None  # replaced or ended meanwhile, by another instance
        return ban

    def ban_on(self, room_arn: str, user_id: str, now: datetime) -> Ban | None:
        return self._bans.ban_on(room_arn, user_id, now)

    def active_bans(self, now: datetime, room: str | None = None) -> list[Ban]:
        items = self._query(
            IndexName=BANS_INDEX,
            **_expression(
                {"in": BANNED, "now": _time(now)}, KeyConditionExpression="#banned = :in AND #ends_at > :now"
            ),
        )
        bans = [ban for ban in map(ban_from, items) if room is None or ban.room == room]
        return sorted(bans, key=lambda ban: (ban.created_at, ban.case_number), reverse=True)

    def lapsed_bans(self, now: datetime) -> list[Ban]:
        items = self._query(
            IndexName=BANS_INDEX,
            **_expression(
                {"in": BANNED, "now": _time(now)}, KeyConditionExpression="#banned = :in AND #ends_at <= :now"
            ),
        )
        # An index lags behind the table: each ban it names is read again, consistently, so a ban lifted or
        # replaced a moment ago is not taken for one that ran out.
        keys = [_key(ban_key(item["room"], item["user_id"])) for item in items]
        bans = [ban_from(item) for item in self._consistent_items(keys)]
        lapsed = [ban for ban in bans if ban.ended_at is None and ban.expires_at is not None and ban.expires_at <= now]
        return sorted(lapsed, key=lambda ban: (ban.expires_at, ban.case_number))

    def close(self) -> None:
        if self._owns_client:
            self._client.close()

    # -- helpers ---------------------------------------------------------------------------

    def _next_number(self) -> int:
        counted = self._client.update_item(
            TableName=self.table_name,
            Key=_key(COUNTER),
            ReturnValues="UPDATED_NEW",
            **_expression({"one": 1}, UpdateExpression="ADD #last_number :one"),
        )
        return int(counted["Attributes"]["last_number"]["N"])

    def _submitted(self, submission_key: str) -> Case | None:
        found = self._client.get_item(TableName=self.table_name, Key=_key(f"SUB#{submission_key}"), ConsistentRead=True)
        if "Item" not in found:
            return None
        return self.get(int(found["Item"]["case_number"]["N"]))

    def _require(self, number: int) -> Case:
        return self._found(number, self.get(number))

    @staticmethod
    def _found(number: int, case: Case | None) -> Case:
        if case is None:
            raise CaseNotFound(number)
        return case

    def _index(self, number: int, *, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        """Put, or delete, case `number`'s items in the history collections named (`USER#…`, `ROOM#…`), in
        batches of BATCH_WRITE_LIMIT. Both are idempotent, so a retry or a second writer changes nothing."""
        requests = [{"PutRequest": {"Item": _serialize({"pk": pk, "sk": number})}} for pk in sorted(add)]
        requests += [{"DeleteRequest": {"Key": _key(pk, number)}} for pk in sorted(remove)]
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            batch = {self.table_name: requests[start : start + BATCH_WRITE_LIMIT]}
            for _ in self._batched("batch_write_item", batch, "UnprocessedItems"):
                pass

    def _batched(self, operation: str, request: Item, unprocessed: str) -> Iterator[Item]:
        """Send a batch request, then again whatever DynamoDB left unprocessed (throttled), backing off as it
        asks; yields each answer. StoreThrottled when part of it is still unprocessed after BATCH_TRIES rounds."""
        for attempt in range(BATCH_TRIES):
            answer = getattr(self._client, operation)(RequestItems=request)
            yield answer
            request = answer.get(unprocessed) or {}
            if not request:
                return
            time.sleep(min(0.05 * 2**attempt, 2.0))
        raise StoreThrottled(f"DynamoDB kept part of a {operation} unprocessed after {BATCH_TRIES} tries")

    def _put(self, item: Mapping[str, Any]) -> dict[str, Any]:
        """A transaction Put that never overwrites: no item this store creates is ever created twice."""
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": _serialize(item),
                **_expression(ConditionExpression="attribute_not_exists(#pk)"),
            }
        }

    @staticmethod
    def _exists(values: Mapping[str, Any], **expressions: str) -> dict[str, Any]:
        """Guard an update so that it changes a case and never creates a stray item for a missing number."""
        return _expression(values, ConditionExpression="attribute_exists(#pk)", **expressions)

    def _update(self, change: Mapping[str, Any]) -> Case | None:
        """Apply a conditional update to a case: the case as written, or None if the condition did not hold."""
        try:
            updated = self._client.update_item(TableName=self.table_name, ReturnValues="ALL_NEW", **change)
        except self._client.exceptions.ConditionalCheckFailedException:
            return None
        return _case(_deserialize(updated["Attributes"]))

    def _query(self, *, limit: int | None = None, **params: Any) -> Iterator[Item]:
        """Every item a query matches (or the first `limit`), following pages."""
        seen = 0
        while True:
            page = self._client.query(TableName=self.table_name, **params, **({"Limit": limit - seen} if limit else {}))
            for item in page["Items"]:
                yield _deserialize(item)
            seen += page["Count"]
            if "LastEvaluatedKey" not in page or (limit and seen >= limit):
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _load_many(self, numbers: Iterable[int]) -> list[Case]:
        """Cases by number, in the order given, with strongly consistent batch reads."""
        wanted = list(dict.fromkeys(numbers))
        found = {case.number: case for case in map(_case, self._consistent_items([_key(CASES, n) for n in wanted]))}
        return [found[number] for number in wanted if number in found]

    def _consistent_items(self, keys: Sequence[Item]) -> Iterator[Item]:
        """The items with these keys that exist, read strongly consistently, BATCH_GET_LIMIT keys a request."""
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self.table_name: {"Keys": list(keys[start : start + BATCH_GET_LIMIT]), "ConsistentRead": True}
            }
            for answer in self._batched("batch_get_item", request, "UnprocessedKeys"):
                for item in answer["Responses"].get(self.table_name, []):
                    yield _deserialize(item)
