"""`python -m bot` and `python -m bot audit …` on bad ground: one clear line naming the setting, never a traceback,
and never an empty case store made up where the operator expected their records."""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone

import pytest

from bot.kick.cases import NewCase, Status
from bot.store.sqlite import SqliteCaseStore
from rig.world import BotProcess, bot_env, free_port


def _env(slack, ivs, **overrides: str | None) -> dict[str, str]:
    return bot_env(slack, ivs, mode="socket", port=free_port(), **overrides)


@pytest.mark.parametrize("action", ["export", "pending"])
def test_audit_on_a_database_file_that_does_not_exist_says_so_and_creates_nothing(slack, ivs, tmp_path, action):
    missing = tmp_path / "records" / "cases.db"
    (tmp_path / "records").mkdir()
    code, out, err = BotProcess(_env(slack, ivs, IVS_KICK_DB=str(missing)), tmp_path).run_to_exit("audit", action)
    assert code == 3 and out == ""
    assert f"there is no case store at {missing}" in err and "IVS_KICK_DB" in err and "IVS_KICK_STORE" in err
    assert "Traceback" not in err
    assert list((tmp_path / "records").iterdir()) == []


def test_audit_without_ivs_kick_db_names_the_default_file_where_it_looked(slack, ivs, tmp_path):
    code, _, err = BotProcess(_env(slack, ivs, IVS_KICK_DB=None), tmp_path).run_to_exit("audit", "export")
    assert code == 3 and f"there is no case store at {tmp_path / 'ivs-kick.db'}" in err
    assert not (tmp_path / "ivs-kick.db").exists()


def test_an_unwritable_database_path_is_one_line_at_start_up(slack, ivs, tmp_path):
    (tmp_path / "a-file").write_text("not a directory")
    path = tmp_path / "a-file" / "cases.db"
    code, out, err = BotProcess(_env(slack, ivs, IVS_KICK_DB=str(path)), tmp_path).run_to_exit()
    assert code == 3 and "Traceback" not in out + err
    assert f"The case store sqlite:{path} cannot be opened: " in err and "IVS_KICK_DB" in err


def test_a_dynamodb_store_without_a_region_is_one_line_at_start_up_and_in_the_cli(slack, ivs, tmp_path):
    env = _env(slack, ivs, IVS_KICK_STORE="dynamodb:ivs-kick-cases", AWS_DEFAULT_REGION=None, AWS_REGION=None)
    for args in ((), ("audit", "export"), ("audit", "pending")):
        code, out, err = BotProcess(env, tmp_path).run_to_exit(*args)
        assert code == 3 and "Traceback" not in out + err, (args, err)
        assert "dynamodb:ivs-kick-cases cannot be opened: no AWS region is configured" in err, args
        assert "AWS_DEFAULT_REGION" in err, args


def test_help_prints_the_usage_and_unknown_arguments_are_refused(slack, ivs, tmp_path):
    bot = BotProcess(_env(slack, ivs), tmp_path)
    for flag in ("--help", "-h"):
        code, out, err = bot.run_to_exit(flag)
        assert code == 0 and out.startswith("usage: python -m bot") and "audit export" in out and err == ""
    code, out, err = bot.run_to_exit("--serve")
    assert code == 2 and "usage: python -m bot" in err and "unknown arguments: --serve" in err
    code, out, err = bot.run_to_exit("audit", "--help")
    assert code == 0 and "pending" in out and "export" in out
    assert "Traceback" not in out + err
    assert not (tmp_path / "ivs-kick.db").exists()  # neither asked for the case store


def test_an_export_read_by_head_stops_quietly_when_head_has_had_enough(slack, ivs, tmp_path):
    """`python -m bot audit export | head`: the reader closes the pipe early; that is not a broken case store."""
    store = SqliteCaseStore(tmp_path / "ivs-kick.db")
    for n in range(600):  # far more than a pipe holds, so the export is still writing when the reader goes
        store.open_case(NewCase(datetime.now(timezone.utc), "U0MOD", "T0", "C0", Status.KICKED, user_ids=(f"v{n}",)))
    store.close()
    env = _env(slack, ivs, IVS_KICK_DB=str(tmp_path / "ivs-kick.db"))
    export = subprocess.Popen([*BotProcess(env, tmp_path).command, "audit", "export"], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    assert export.stdout is not None and export.stdout.readline().startswith(b"{")
    export.stdout.close()
    _, err = export.communicate(timeout=60)
    assert export.returncode == 0 and b"cannot be opened" not in err and b"Traceback" not in err
