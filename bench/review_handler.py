"""The message review handler, warm: the time to answer each message, against moto's DynamoDB server on loopback
holding N bans, and against a SQLite file the bot wrote; the DynamoDB calls and read units each message costs;
and a cold container's import of bot.review, its init as Lambda runs it, and its first answer.

    python -m bench.review_handler [--bans 10000] [--messages 2000] [--seed 7]

Messages come from a mix of senders: about 10% banned in the room, 5% banned in every room (`*`), 5% whose
timeout ran out or whose ban is in another room, and 80% never banned; every answer is checked against the bans.
The handler runs as Lambda runs it (bot.review.handler, settings from the environment, the DynamoDB client's 80 ms
timeouts, each read on its reader thread under the 150 ms deadline), in this process; moto answers from a thread
of this process too, so the figures include its work and are an upper bound for the handler's own share. IVS
Chat's budget is 200 ms. Nothing leaves this machine.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3
from boto3.dynamodb.types import TypeSerializer

import bot.review
from bot.kick.bans import ALL_ROOMS, Ban
from bot.kick.cases import Action, NewCase, Status
from bot.store.bans import ban_attributes
from bot.store.sqlite import SqliteCaseStore
from rig.moto import MotoServer, dynamodb_table
from rig.world import ROOM, ROOM_EU, ROOT

TABLE = "ivs-kick-cases"
OTHER_ROOM = "arn:aws:ivschat:us-west-2:123456789012:room/Other0Room12"
WARM_UP = 20  # messages answered before the timing starts: the container is warm
USERS_PER_CASE = 500  # a raid's ban names up to 500 viewers in one case
FAKE_AWS = {
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDIVSKICKBENCH", "AWS_SECRET_ACCESS_KEY": "unused",
    "AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull, "AWS_EC2_METADATA_DISABLED": "true",
}  # fmt: skip


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def make_bans(count: int, now: datetime, rng: random.Random) -> list[Ban]:
    """`count` bans on record: 70% in one of three rooms, 10% in every room, 20% timeouts that have run out."""
    bans = []
    for n in range(count):
        user, case = f"banned-{n}", 1 + n // USERS_PER_CASE
        kind = rng.random()
        if kind < 0.1:
            bans.append(Ban(ALL_ROOMS, user, case, "U0MOD", now, None))
        elif kind < 0.3:
            bans.append(Ban(ROOM, user, case, "U0MOD", now - timedelta(hours=3), now - timedelta(hours=2)))
        else:
            room = rng.choice((ROOM, ROOM_EU, OTHER_ROOM))
            bans.append(Ban(room, user, case, "U0MOD", now, now + timedelta(days=rng.choice((1, 7, 30)))))
    return bans


def make_senders(bans: list[Ban], count: int, now: datetime, rng: random.Random) -> list[tuple[str, bool]]:
    """`count` (sender, banned in ROOM?) pairs, in the mix the module docstring gives."""
    here = [b.user_id for b in bans if b.room == ROOM and b.holds_at(now)]
    everywhere = [b.user_id for b in bans if b.room == ALL_ROOMS]
    elsewhere = [b.user_id for b in bans if b.room != ALL_ROOMS and not (b.room == ROOM and b.holds_at(now))]
    senders = []
    for n in range(count):
        kind = rng.random()
        if kind < 0.10:
            senders.append((rng.choice(here), True))
        elif kind < 0.15:
            senders.append((rng.choice(everywhere), True))
        elif kind < 0.20:
            senders.append((rng.choice(elsewhere), False))
        else:
            senders.append((f"viewer-{rng.randrange(10**9)}", False))
    return senders


def event(user: str) -> dict[str, Any]:
    return {
        "Content": "gg", "MessageId": "mGZMDUZ8qOZs", "RoomArn": ROOM, "Attributes": {},
        "Sender": {"UserId": user, "Ip": "203.0.113.7", "Attributes": {}},
    }  # fmt: skip


def fill_sqlite(path: Path, bans: list[Ban]) -> None:
    """The bans as the bot records them: one ban case per 500 viewers (a raid's), then each viewer's ban."""
    store = SqliteCaseStore(path)
    for first in range(0, len(bans), USERS_PER_CASE):
        batch = bans[first : first + USERS_PER_CASE]
        store.open_case(
            NewCase(batch[0].created_at, "U0MOD", "T0", "C0", Status.DONE, room_arn=batch[0].room,
                    user_ids=tuple(b.user_id for b in batch), action=Action.BAN)
        )  # fmt: skip
        for ban in batch:
            store.put_ban(ban)
    store.close()


def fill_dynamodb(client: Any, bans: list[Ban]) -> None:
    """The ban items exactly as DynamoCaseStore.put_ban writes them (bot.store.bans.ban_attributes), 25 a batch."""
    serializer = TypeSerializer()
    items = [{k: serializer.serialize(v) for k, v in ban_attributes(b).items() if v is not None} for b in bans]
    for first in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        assert not client.batch_write_item(RequestItems={TABLE: requests}).get("UnprocessedItems")


@dataclass
class DynamoCalls:
    """Every DynamoDB call the default boto3 session's clients make, and the read units DynamoDB reports."""

    calls: Counter
    units: float = 0.0

    @classmethod
    def watch(cls) -> "DynamoCalls":
        watched = cls(Counter())
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        # Ask for ConsumedCapacity, as the real DynamoDB reports it only when asked.
        events.register("provide-client-params.dynamodb", cls._ask_for_units)
        events.register("after-call.dynamodb", watched._count)
        return watched

    @staticmethod
    def _ask_for_units(params: dict[str, Any], **_: Any) -> None:
        params["ReturnConsumedCapacity"] = "TOTAL"

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        consumed = parsed.get("ConsumedCapacity") or []
        self.units += sum(c.get("CapacityUnits", 0) for c in (consumed if isinstance(consumed, list) else [consumed]))


@contextmanager
def environment(**settings: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


@dataclass
class Run:
    times_ms: list[float]
    cpu_ms: list[float]
    wrong: int
    denied: int


def review_all(senders: list[tuple[str, bool]], on_each: Callable[[], None] = lambda: None) -> Run:
    """Each message through bot.review.handler in a new container (settings read from the environment now)."""
    bot.review._reviewer = None  # a new container: the handler opens the store at its first message
    for user, _ in senders[:WARM_UP]:
        bot.review.handler(event(user), None)
    # The read runs on the handler's own reader thread (under its deadline): its CPU is counted there.
    reader = bot.review._reviewer._reader
    read_cpu: list[float] = []
    read = reader.ban_on

    def timed_read(*args: Any) -> Any:
        started = time.thread_time()
        try:
            return read(*args)
        finally:
            read_cpu.append(time.thread_time() - started)

    reader.ban_on = timed_read
    run = Run([], [], 0, 0)
    for user, banned in senders[WARM_UP:]:
        wall, cpu = time.perf_counter(), time.thread_time()
        answer = bot.review.handler(event(user), None)
        run.cpu_ms.append((time.thread_time() - cpu + read_cpu.pop()) * 1000)
        run.times_ms.append((time.perf_counter() - wall) * 1000)
        run.denied += answer["ReviewResult"] == "DENY"
        run.wrong += (answer["ReviewResult"] == "DENY") != banned
    return run


COLD = """
import json, sys, time
started = time.perf_counter()
import bot.review
imported = time.perf_counter()
answer = bot.review.handler({"Content": "gg", "RoomArn": sys.argv[1], "Sender": {"UserId": "viewer-1"}}, None)
print(json.dumps({"import_ms": (imported - started) * 1000, "first_ms": (time.perf_counter() - imported) * 1000,
                  "answer": answer["ReviewResult"]}))
"""


def cold_starts(env: dict[str, str], runs: int = 7) -> tuple[float, float]:
    """Median ms of a fresh interpreter's `import bot.review` (in Lambda, with AWS_LAMBDA_FUNCTION_NAME set, that
    is the container's init: it opens the store), and of its first answer after it."""
    results = []
    for _ in range(runs):
        ran = subprocess.run(
            [sys.executable, "-c", COLD, ROOM], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        )
        results.append(json.loads(ran.stdout))
    assert all(r["answer"] == "ALLOW" for r in results), results
    return statistics.median(r["import_ms"] for r in results), statistics.median(r["first_ms"] for r in results)


def row(store: str, run: Run, per_message: str) -> str:
    t, c = run.times_ms, run.cpu_ms
    return (
        f"| {store} | {len(t)} | {run.denied} | {run.wrong} | {percentile(t, 0.5):.3f} | {percentile(t, 0.99):.3f} "
        f"| {max(t):.3f} | {statistics.mean(c):.3f} | {per_message} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.review_handler", description=__doc__.split("\n\n")[0])
    parser.add_argument("--bans", type=int, default=10_000, help="bans on record (default 10,000)")
    parser.add_argument("--messages", type=int, default=2_000, help="messages timed per store (default 2,000)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's server: no line per request
    rng, now = random.Random(args.seed), datetime.now(timezone.utc)
    bans = make_bans(args.bans, now, rng)
    senders = make_senders(bans, args.messages + WARM_UP, now, rng)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IVS_KICK_"))}
    base_env.update(FAKE_AWS, PYTHONPATH=str(ROOT))
    print(f"{args.bans} bans on record, {args.messages} messages per store after {WARM_UP} to warm up\n")
    print("| store | messages | denied | wrong answers | p50 ms | p99 ms | max ms | CPU ms/message | per message |")
    print("|---|---|---|---|---|---|---|---|---|")

    with tempfile.TemporaryDirectory() as workdir:
        path = Path(workdir) / "cases.db"
        started = time.perf_counter()
        fill_sqlite(path, bans)
        filled = time.perf_counter() - started
        with environment(IVS_KICK_STORE="sqlite", IVS_KICK_DB=str(path), **FAKE_AWS):
            print(row("SQLite", review_all(senders), "1 SELECT"), flush=True)
        sqlite_env = {**base_env, "IVS_KICK_STORE": "sqlite", "IVS_KICK_DB": str(path)}
        import_alone = cold_starts(sqlite_env)[0]
        sqlite_cold = cold_starts({**sqlite_env, "AWS_LAMBDA_FUNCTION_NAME": "bench"})

    with MotoServer() as moto, environment(AWS_ENDPOINT_URL_DYNAMODB=moto.url, **FAKE_AWS):
        dynamodb_table(moto, TABLE)
        fill_dynamodb(boto3.client("dynamodb"), bans)
        boto3.setup_default_session()
        watched = DynamoCalls.watch()
        with environment(IVS_KICK_STORE=f"dynamodb:{TABLE}"):
            run = review_all(senders)
        messages = args.messages + WARM_UP
        calls = ", ".join(f"{count / messages:g} {name}" for name, count in watched.calls.items())
        print(row("DynamoDB (moto, loopback)", run, f"{calls}, {watched.units / messages:g} read units"))
        dynamodb_env = {**base_env, "AWS_ENDPOINT_URL_DYNAMODB": moto.url, "IVS_KICK_STORE": f"dynamodb:{TABLE}"}
        dynamodb_cold = cold_starts({**dynamodb_env, "AWS_LAMBDA_FUNCTION_NAME": "bench"})

    print(f"\n(SQLite file of {args.bans} bans written by the bot's store in {filled:.1f} s)")
    print("\ncold container, median of 7 fresh interpreters each:")
    print(f"  import bot.review alone: {import_alone:.0f} ms (it loads neither boto3 nor Slack's libraries)")
    print("  in Lambda (AWS_LAMBDA_FUNCTION_NAME set), the init then the first answer:")
    print(f"    SQLite:   init {sqlite_cold[0]:.0f} ms (opens the file), first answer {sqlite_cold[1]:.1f} ms")
    print(
        f"    DynamoDB: init {dynamodb_cold[0]:.0f} ms (imports boto3, makes the client), "
        f"first answer {dynamodb_cold[1]:.0f} ms (connects)"
    )


if __name__ == "__main__":
    main()
