"""`python -m bot bans check`, the real process, as a chat-token service runs it: exit 0 may chat, 1 banned, 2 bad
arguments, 3 a store that cannot be read; against the SQLite file and the DynamoDB table the bot writes."""

from __future__ import annotations

import sqlite3
import sys
from datetime import datetime, timedelta, timezone

import boto3
import pytest

from bot.kick.bans import ALL_ROOMS
from bot.store.dynamodb import DynamoCaseStore
from bot.store.sqlite import MIGRATIONS, SqliteCaseStore
from rig.bans import record_ban
from rig.moto import MotoServer, dynamodb_table
from rig.world import ROOM, ROOM_EU, BotProcess, bot_env, free_port

TABLE = "ivs-kick-cases"
HOUR = timedelta(hours=1)


def now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def env(slack, ivs):
    """The bot's environment without any Slack token: the check needs none."""
    return bot_env(slack, ivs, mode="http", port=free_port(), SLACK_BOT_TOKEN=None, SLACK_SIGNING_SECRET=None)


@pytest.fixture(params=["sqlite", "dynamodb"])
def store(request, env, tmp_path):
    """The bot's case store, to ban with; `env` then names it for the check."""
    if request.param == "sqlite":
        env["IVS_KICK_DB"] = str(tmp_path / "cases.db")
        store = SqliteCaseStore(tmp_path / "cases.db")
        yield store
    else:
        with MotoServer() as moto:
            dynamodb_table(moto, TABLE)
            env.update(IVS_KICK_STORE=f"dynamodb:{TABLE}", AWS_ENDPOINT_URL_DYNAMODB=moto.url)
            client = boto3.client(
                "dynamodb", region_name="us-east-1", endpoint_url=moto.url,
                aws_access_key_id="AKIDIVSKICKTEST", aws_secret_access_key="unused-by-moto",
            )  # fmt: skip
            store = DynamoCaseStore(TABLE, client=client)
            yield store
    store.close()


def check(env, tmp_path, room: str = ROOM, user: str = "troll_42") -> tuple[int, str, str]:
    return BotProcess(env, tmp_path).run_to_exit("bans", "check", "--room", room, "--user", user)


def test_exit_codes_say_who_may_get_a_chat_token(store, env, tmp_path):
    timeout = record_ban(store, ROOM, "troll_42", now(), HOUR)
    everywhere = record_ban(store, ALL_ROOMS, "raider_1", now())
    record_ban(store, ROOM, "served_time", now() - 3 * HOUR, HOUR)
    record_ban(store, ROOM, "forgiven", now(), 24 * HOUR)
    store.end_ban(ROOM, "forgiven", now(), "U0OTHERMOD")

    code, out, err = check(env, tmp_path)
    until = timeout.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert (code, err) == (1, "")
    assert out == f"troll_42 is banned from {ROOM} until {until} (case #{timeout.case_number}).\n"
    assert check(env, tmp_path, room=ROOM_EU)[:2] == (0, f"troll_42 is not banned from {ROOM_EU}.\n")
    for room in (ROOM, ROOM_EU):
        code, out, _ = check(env, tmp_path, room=room, user="raider_1")
        assert (code, out) == (1, f"raider_1 is banned from every room permanently (case #{everywhere.case_number}).\n")
    for user in ("served_time", "forgiven", "never_banned"):
        assert check(env, tmp_path, user=user) == (0, f"{user} is not banned from {ROOM}.\n", ""), user


def test_a_user_id_that_looks_like_an_option_is_checked_as_given(store, env, tmp_path):
    """IVS Chat takes any visible text as a user ID, so a viewer may be called `-troll` or `--room`: a token service
    passing it after --user must get that viewer's answer, not a usage error it might take for "not banned"."""
    for user in ("-troll", "--room", "-h", "--user"):
        ban = record_ban(store, ROOM, user, now())
        assert check(env, tmp_path, user=user) == (
            1,
            f"{user} is banned from {ROOM} permanently (case #{ban.case_number}).\n",
            "",
        )
    assert check(env, tmp_path, user="-never-banned") == (0, f"-never-banned is not banned from {ROOM}.\n", "")


@pytest.mark.parametrize(
    "args, said",
    [
        (("--room", "main-stage", "--user", "troll_42"), "--room: Room must be an IVS Chat room ARN such as"),
        (("--room", "*", "--user", "troll_42"), "--room: Room must be an IVS Chat room ARN such as"),
        (("--room", ROOM.replace("us-west-2", "mars-east-1"), "--user", "x"), "--room: Room must be in a region"),
        (("--room", ROOM, "--user", "troll\u200b42"), "--user: User ID must be visible text"),
        (("--room", ROOM, "--user", "x" * 129), "--user: User ID must be 1–128 characters; got 129"),
        (("--room", ROOM), "the following arguments are required: --user"),
        ((), "the following arguments are required: check"),
    ],
)
def test_bad_arguments_exit_2_with_one_line_naming_the_field(env, tmp_path, args, said):
    env["IVS_KICK_DB"] = str(tmp_path / "not-read.db")  # arguments are checked before the store is looked for
    code, out, err = BotProcess(env, tmp_path).run_to_exit("bans", *(("check", *args) if args else ()))
    assert code == 2 and out == "" and said in err and "Traceback" not in err
    assert err.startswith(("python -m bot bans check: --", "usage: python -m bot bans"))


def test_a_store_that_cannot_be_read_exits_3_with_the_stores_line(env, tmp_path):
    env["IVS_KICK_DB"] = str(tmp_path / "not-here.db")
    code, out, err = check(env, tmp_path)
    assert (code, out) == (3, "") and f"python -m bot bans check: there is no case store at {tmp_path}" in err
    assert not (tmp_path / "not-here.db").exists()
    env.update(IVS_KICK_STORE=f"dynamodb:{TABLE}", AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{free_port()}")
    code, out, err = check(env, tmp_path)
    assert (code, out) == (3, "") and "Traceback" not in err
    assert err.startswith(f"python -m bot bans check: The case store dynamodb:{TABLE} cannot be opened: ")
    assert err.count("\n") == 1


def test_a_file_from_before_bans_says_to_start_the_bot_once_to_upgrade_it(env, tmp_path):
    old = sqlite3.connect(tmp_path / "cases.db")
    for script in MIGRATIONS[:6]:
        old.executescript(script)
    old.execute("PRAGMA user_version = 6")
    old.commit()
    old.close()
    env["IVS_KICK_DB"] = str(tmp_path / "cases.db")
    code, out, err = check(env, tmp_path)
    assert (code, out) == (3, "") and "Traceback" not in err and err.count("\n") == 1
    assert "has no bans table" in err and "Start the bot once with this file" in err and "write there" not in err


def test_the_check_loads_nothing_of_slack(env, tmp_path):
    SqliteCaseStore(tmp_path / "cases.db").close()
    env["IVS_KICK_DB"] = str(tmp_path / "cases.db")
    process = BotProcess(env, tmp_path, command=[sys.executable, "-X", "importtime", "-m", "bot"])
    code, out, err = process.run_to_exit("bans", "check", "--room", ROOM, "--user", "troll_42")
    assert code == 0 and "bot.bans_cli" in err
    assert [line for line in err.splitlines() if "slack" in line or "bot.app" in line or "gevent" in line] == []


def test_the_usage_names_the_check_and_its_help_gives_the_exit_codes(env, tmp_path):
    process = BotProcess(env, tmp_path)
    code, out, _ = process.run_to_exit("--help")
    assert code == 0 and "python -m bot bans check --room ARN --user ID" in out
    code, out, _ = process.run_to_exit("bans", "check", "--help")
    assert code == 0 and "--room ROOM" in out and "1 when banned" in out and "3: the case store" in out
