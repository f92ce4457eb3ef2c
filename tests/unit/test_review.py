"""The message review handler against the stores the bot writes: SQLite (a file SqliteCaseStore made) and DynamoDB
on moto's server, over HTTP on loopback."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone

import boto3
import pytest

import bot.review
from bot.kick.bans import ALL_ROOMS
from bot.kick.request import room_rule, user_rule
from bot.review import MAX_ROOM_ARN, MAX_USER_ID, ROOM_ARN, Reviewer, handler
from bot.store.dynamodb import DynamoCaseStore
from bot.store.sqlite import SqliteCaseStore
from rig.bans import record_ban
from rig.moto import MotoServer, dynamodb_table
from rig.world import ROOM, ROOM_EU, ROOT, free_port

HOUR = timedelta(hours=1)
TABLES = (f"ivs-kick-cases-{n}" for n in itertools.count())


def event(user: str = "troll_42", room: str = ROOM, content: str = "buy followers at spam.example") -> dict:
    """A review event as IVS Chat sends it."""
    return {
        "Content": content,
        "MessageId": "mGZMDUZ8qOZs",
        "RoomArn": room,
        "Attributes": {},
        "Sender": {"UserId": user, "Ip": "203.0.113.7", "Attributes": {"displayName": "Troll"}},
    }


def now() -> datetime:
    return datetime.now(timezone.utc)


def log_lines(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


@pytest.fixture(scope="module")
def moto():
    with MotoServer() as server:
        yield server


def use_moto(monkeypatch, server: MotoServer) -> None:
    """The process's AWS settings pointed at moto, as a Lambda's are at its region's DynamoDB."""
    for name, value in {
        "AWS_ENDPOINT_URL_DYNAMODB": server.url, "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "AKIDIVSKICKTEST", "AWS_SECRET_ACCESS_KEY": "unused-by-moto",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, value)


@pytest.fixture(params=["sqlite", "dynamodb"])
def world(request, tmp_path, monkeypatch):
    """(the bot's own case store, to ban with; the settings a handler reads the same store with)."""
    if request.param == "sqlite":
        store = SqliteCaseStore(tmp_path / "cases.db")
        settings = {"IVS_KICK_STORE": "sqlite", "IVS_KICK_DB": str(tmp_path / "cases.db")}
    else:
        server = request.getfixturevalue("moto")
        use_moto(monkeypatch, server)
        table = next(TABLES)
        dynamodb_table(server, table)
        store = DynamoCaseStore(table, client=boto3.client("dynamodb"))
        settings = {"IVS_KICK_STORE": f"dynamodb:{table}"}
    yield store, settings
    store.close()


def reviewer(settings: dict[str, str]) -> Reviewer:
    # moto on a loaded machine can take longer than the 80 ms the handler allows DynamoDB in a Lambda.
    return Reviewer(settings, store_seconds=10)


def test_a_viewer_banned_in_the_room_is_denied_and_told_until_when(world, capsys):
    store, settings = world
    ban = record_ban(store, ROOM, "troll_42", now(), HOUR)
    answer = reviewer(settings).review(event())
    until = (ban.expires_at.replace(second=0, microsecond=0) + timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M")
    assert answer == {
        "ReviewResult": "DENY",
        "Content": "buy followers at spam.example",
        "Attributes": {"Reason": f"You are banned from this chat until {until} UTC."},
    }
    assert "U0MOD" not in json.dumps(answer) and f"#{ban.case_number}" not in json.dumps(answer)
    assert reviewer(settings).review(event(room=ROOM_EU)) == {"ReviewResult": "ALLOW", "Content": event()["Content"]}
    assert capsys.readouterr().err == ""  # nothing to report


def test_a_ban_on_every_room_denies_in_each_and_a_permanent_one_says_so(world):
    store, settings = world
    record_ban(store, ALL_ROOMS, "troll_42", now())
    review = reviewer(settings)
    for room in (ROOM, ROOM_EU):
        assert review.review(event(room=room))["Attributes"] == {"Reason": "You are banned from this chat permanently."}
    assert review.review(event(user="troll_43"))["ReviewResult"] == "ALLOW"


def test_a_timeout_that_has_run_out_lets_the_viewer_talk_again(world):
    store, settings = world
    record_ban(store, ROOM, "troll_42", now() - 2 * HOUR, HOUR)
    assert reviewer(settings).review(event()) == {"ReviewResult": "ALLOW", "Content": event()["Content"]}


def test_a_ban_and_an_unban_count_from_the_next_message(world):
    store, settings = world
    review = reviewer(settings)  # one warm container throughout
    assert review.review(event())["ReviewResult"] == "ALLOW"
    record_ban(store, ALL_ROOMS, "troll_42", now(), 24 * HOUR)
    assert review.review(event())["ReviewResult"] == "DENY"
    assert store.end_ban(ALL_ROOMS, "troll_42", now(), "U0OTHERMOD") is not None
    assert review.review(event()) == {"ReviewResult": "ALLOW", "Content": event()["Content"]}


@pytest.mark.parametrize(
    "broken, field",
    [
        ("not an event", "the event must be an object"),
        ({"Content": "free v-bucks", "RoomArn": ROOM}, "Sender.UserId must be a string"),
        ({"Content": "free v-bucks", "RoomArn": ROOM, "Sender": {"UserId": "x" * 129}}, "got 129 characters"),
        ({"Content": "free v-bucks", "Sender": {"UserId": "troll_42"}}, "RoomArn must be a string"),
        ({"Content": None, "RoomArn": ROOM, "Sender": {"UserId": "troll_42"}}, "Content must be a string"),
        # IVS Chat sends the room's ARN, which never holds `#` (ban keys are BAN#<room>#<user>) and is never `*`
        ({"Content": "free v-bucks", "RoomArn": "*", "Sender": {"UserId": "troll_42"}}, "RoomArn must be"),
        ({"Content": "free v-bucks", "RoomArn": f"{ROOM}#a", "Sender": {"UserId": "b"}}, "RoomArn must be"),
        ({"Content": "free v-bucks", "RoomArn": "main-stage", "Sender": {"UserId": "b"}}, "RoomArn must be"),
        ({"Content": "free v-bucks", "RoomArn": ROOM, "Sender": {"UserId": "a\ud800"}}, "lone surrogate"),
    ],
)
@pytest.mark.parametrize("on_error", ["allow", "deny"])
def test_a_malformed_event_gets_the_operators_answer_and_one_line_without_the_message(
    tmp_path, capsys, broken, field, on_error
):
    review = Reviewer({"IVS_KICK_DB": str(tmp_path / "unused.db"), "IVS_KICK_REVIEW_ON_ERROR": on_error})
    answer = review.review(broken, "req-1")
    assert answer["ReviewResult"] == on_error.upper()
    assert answer.get("Content") == (broken.get("Content") if isinstance(broken, dict) else None)
    [line] = log_lines(capsys)
    assert line["msg"] == "review event malformed" and field in line["problem"]
    assert line["level"] == "error" and line["answer"] == on_error.upper() and line["request_id"] == "req-1"
    assert "v-bucks" not in json.dumps(line)


@pytest.mark.parametrize("kind", ["sqlite", "dynamodb"])
@pytest.mark.parametrize("on_error", ["allow", "deny"])
def test_a_store_that_cannot_be_read_gets_the_operators_answer_and_one_line(
    monkeypatch, tmp_path, capsys, kind, on_error
):
    """Through the Lambda entry point, with the handler's own timeouts: nothing answers on the closed port."""
    store = {"IVS_KICK_DB": str(tmp_path / "not-here.db")}
    if kind == "dynamodb":
        closed = f"http://127.0.0.1:{free_port()}"
        for name, value in {
            "IVS_KICK_STORE": "dynamodb:ivs-kick-cases", "AWS_ENDPOINT_URL_DYNAMODB": closed,
            "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDIVSKICKTEST",
            "AWS_SECRET_ACCESS_KEY": "not-a-secret-but-never-logged",
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
    for name, value in {**store, "IVS_KICK_REVIEW_ON_ERROR": on_error}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(bot.review, "_reviewer", None)  # a new container

    class Context:
        aws_request_id = "3f1e8a2c-req"

    answer = handler(event(content="hello there"), Context())
    expected = {"ReviewResult": on_error.upper(), "Content": "hello there"}
    if on_error == "deny":
        expected["Attributes"] = {"Reason": "Your message could not be checked; try again in a minute."}
    assert answer == expected
    [line] = log_lines(capsys)
    assert line["msg"] == "case store unreadable" and line["answer"] == on_error.upper()
    assert line["room"] == ROOM and line["user_id"] == "troll_42" and line["request_id"] == "3f1e8a2c-req"
    assert ("OperationalError" if kind == "sqlite" else "EndpointConnectionError") in line["error"]
    assert "hello there" not in json.dumps(line) and "never-logged" not in json.dumps(line)
    assert "Traceback" not in line["error"]


def test_an_invalid_on_error_setting_is_said_once_and_errors_are_allowed(tmp_path, capsys):
    review = Reviewer({"IVS_KICK_DB": str(tmp_path / "not-here.db"), "IVS_KICK_REVIEW_ON_ERROR": "block"})
    [warning] = log_lines(capsys)
    assert warning["msg"] == "review setting invalid"
    assert warning["problem"].startswith("IVS_KICK_REVIEW_ON_ERROR must be allow or deny; got 'block'.")
    for _ in range(2):
        assert review.review(event())["ReviewResult"] == "ALLOW"
        [line] = log_lines(capsys)  # one line per message, the setting's warning not repeated
        assert line["msg"] == "case store unreadable" and line["answer"] == "ALLOW"


def test_a_store_that_comes_back_is_used_without_a_new_container(tmp_path, capsys):
    path = tmp_path / "cases.db"
    review = reviewer({"IVS_KICK_DB": str(path)})
    assert review.review(event())["ReviewResult"] == "ALLOW" and len(log_lines(capsys)) == 1
    record_ban(SqliteCaseStore(path), ROOM, "troll_42", now(), HOUR)
    assert review.review(event())["ReviewResult"] == "DENY" and log_lines(capsys) == []


def test_the_handlers_limits_are_ivs_chats_own():
    assert (MAX_ROOM_ARN, MAX_USER_ID) == (room_rule().max_len, user_rule().max_len)
    assert ROOM_ARN.pattern == room_rule().pattern.pattern


def test_a_room_arn_cannot_reach_another_rooms_or_viewers_ban(world):
    """`BAN#<room>#<user>` reads back unambiguously only because a room ARN never holds `#`: an event whose RoomArn
    does is not IVS Chat's, and must not find the ban of viewer `a#b` for viewer `b`."""
    store, settings = world
    record_ban(store, ROOM, "a#b", now())
    assert reviewer(settings).review(event(room=f"{ROOM}#a", user="b"))["ReviewResult"] == "ALLOW"
    assert reviewer(settings).review(event(user="a#b"))["ReviewResult"] == "DENY"


def test_importing_the_handler_loads_nothing_of_slack_or_the_bot():
    code = (
        "import sys, bot.review; "
        "print(sorted(m for m in sys.modules if m == 'bot' or m.startswith(('bot.', 'slack', 'dotenv', 'moto'))))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    modules = eval(loaded.stdout)
    assert modules == ["bot", "bot.kick", "bot.kick.bans", "bot.review", "bot.store", "bot.store.bans"]


IN_LAMBDA = """
import json, sys
import bot.review
opened = bot.review._reviewer is not None and bot.review._reviewer._reader is not None
event = {"Content": "gg", "RoomArn": sys.argv[1], "Sender": {"UserId": "troll_42"}}
print(json.dumps({"opened_at_init": opened, "answer": bot.review.handler(event, None)["ReviewResult"]}))
"""


@pytest.mark.parametrize("there", [True, False])
def test_in_lambda_the_store_is_opened_during_the_containers_init(tmp_path, there):
    path = tmp_path / "cases.db"
    if there:
        record_ban(SqliteCaseStore(path), ROOM, "troll_42", now(), HOUR)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "IVS_KICK_"))}
    env.update(AWS_LAMBDA_FUNCTION_NAME="ivs-kick-review", IVS_KICK_DB=str(path), PYTHONPATH=str(ROOT))
    ran = subprocess.run([sys.executable, "-c", IN_LAMBDA, ROOM], env=env, capture_output=True, text=True, check=True)
    assert json.loads(ran.stdout) == {"opened_at_init": there, "answer": "DENY" if there else "ALLOW"}
    # a store missing at init is reported once, by the message that found it missing
    assert [json.loads(line)["msg"] for line in ran.stderr.splitlines()] == ([] if there else ["case store unreadable"])


class TricklingStore:
    """A DynamoDB endpoint that accepts every request and answers it one byte every 50 ms: no socket read ever
    waits past botocore's timeouts, yet the whole answer takes seconds."""

    def __init__(self):
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen()
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        self.stopping = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stopping.is_set():
            try:
                connection, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._trickle, args=(connection,), daemon=True).start()

    def _trickle(self, connection):
        body = b'{"Responses": {}, "UnprocessedKeys": {}}'
        answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n%s"
        with connection:
            connection.recv(65536)
            for byte in answer % (len(body), body):
                if self.stopping.wait(0.05):
                    return
                connection.sendall(bytes([byte]))

    def close(self):
        self.stopping.set()
        self._server.close()


def test_a_store_that_trickles_its_answer_gets_the_operators_answer_not_a_late_one(monkeypatch, capsys):
    trickle = TricklingStore()
    try:
        for name, value in {
            "AWS_ENDPOINT_URL_DYNAMODB": trickle.url, "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIDIVSKICKTEST", "AWS_SECRET_ACCESS_KEY": "not-a-secret",
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        slow = Reviewer({"IVS_KICK_STORE": "dynamodb:ivs-kick-cases", "IVS_KICK_REVIEW_ON_ERROR": "deny"})
        answers = [slow.review(event(user=f"viewer{n}")) for n in range(6)]  # more than READS_IN_FLIGHT stuck
        assert {a["ReviewResult"] for a in answers} == {"DENY"}
        assert {a["Attributes"]["Reason"] for a in answers} == {bot.review.UNCHECKED}
        lines = log_lines(capsys)
        assert [line["msg"] for line in lines] == ["case store too slow"] * 6
        assert lines[0]["seconds"] == bot.review.REVIEW_SECONDS and lines[0]["user_id"] == "viewer0"
    finally:
        trickle.close()
