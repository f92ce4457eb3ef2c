"""`python -m bot` refuses to start on bad settings with one clear line per problem, never a stack trace."""

from __future__ import annotations

import socket

import pytest

from rig.world import ROOT, BotProcess, bot_env, free_port


def test_missing_settings_are_each_named(slack, ivs, tmp_path):
    env = bot_env(
        slack,
        ivs,
        mode="http",
        port=free_port(),
        SLACK_BOT_TOKEN=None,
        SLACK_SIGNING_SECRET=None,
        IVS_KICK_AUDIT_CHANNEL=None,
    )
    code, out, err = BotProcess(env, tmp_path).run_to_exit()
    output = out + err
    assert code == 2
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "IVS_KICK_AUDIT_CHANNEL"):
        assert name in output
    assert "Traceback" not in output


def test_malformed_settings_do_not_echo_secrets(slack, ivs, tmp_path):
    env = bot_env(
        slack,
        ivs,
        mode="socket",
        port=free_port(),
        SLACK_BOT_TOKEN="xoxp-user-token-top-secret",
        IVS_KICK_AUDIT_CHANNEL="#mods",
    )
    code, out, err = BotProcess(env, tmp_path).run_to_exit()
    output = out + err
    assert code == 2 and "xoxp-" in output and "top-secret" not in output and "channel ID" in output


def test_settings_come_from_dotenv_and_the_environment_wins(slack, ivs, tmp_path):
    env = bot_env(slack, ivs, mode="http", port=free_port(), IVS_KICK_AUDIT_CHANNEL="#from-env")
    (tmp_path / ".env").write_text("IVS_KICK_AUDIT_CHANNEL=C0FROMFILE\nIVS_KICK_MODERATOR_GROUP=@from-file\n")
    code, out, err = BotProcess(env, tmp_path).run_to_exit()
    output = out + err
    assert code == 2
    assert "'#from-env'" in output and "'@from-file'" in output


def test_an_invalid_bot_token_stops_start_up_with_a_clear_line(slack, ivs, tmp_path):
    env = bot_env(slack, ivs, mode="socket", port=free_port(), SLACK_BOT_TOKEN="xoxb-1000000001-2000000002-Wrong")
    code, out, err = BotProcess(env, tmp_path).run_to_exit()
    output = out + err
    assert code == 1 and "invalid_auth" in output and "Traceback" not in output


def test_a_case_store_that_cannot_be_opened_stops_start_up_with_a_clear_line(slack, ivs, tmp_path):
    env = bot_env(slack, ivs, mode="socket", port=free_port(), IVS_KICK_DB=str(tmp_path / "missing-dir" / "c.db"))
    code, out, err = BotProcess(env, tmp_path).run_to_exit()
    assert code == 3 and "The case store sqlite:" in err and "Traceback" not in err
    env = bot_env(
        slack,
        ivs,
        mode="socket",
        port=free_port(),
        IVS_KICK_STORE="dynamodb:no-such-table",
        AWS_ENDPOINT_URL_DYNAMODB=f"http://127.0.0.1:{free_port()}",
    )
    code, out, err = BotProcess(env, tmp_path).run_to_exit(timeout=60)
    assert code == 3 and "dynamodb:no-such-table cannot be opened" in err and "Traceback" not in err


def test_an_unreachable_slack_is_named_as_such(slack, ivs, tmp_path):
    api_url = f"http://127.0.0.1:{free_port()}/api/"
    env = bot_env(slack, ivs, mode="socket", port=free_port(), SLACK_API_URL=api_url)
    code, out, err = BotProcess(env, tmp_path).run_to_exit(timeout=60)
    assert code == 1 and f"Slack at {api_url} could not be reached" in err and "SLACK_API_URL" in err
    assert "case store" not in err and "Traceback" not in err


@pytest.fixture
def silent_slack():
    """A Slack API address that accepts connections (the kernel completes them) but never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api/"


def test_a_slack_that_never_answers_is_named_as_such_not_as_the_case_store(slack, ivs, tmp_path, silent_slack, mode):
    env = bot_env(slack, ivs, mode=mode, port=free_port(), SLACK_API_URL=silent_slack)
    code, out, err = BotProcess(env, tmp_path).run_to_exit(timeout=90)
    assert code == 1, out + err
    assert f"Slack at {silent_slack} is not answering: auth.test got no answer" in err and "SLACK_API_URL" in err
    assert "case store" not in err and "Traceback" not in err
    assert not (tmp_path / "ivs-kick.db").exists()  # Slack is asked before the store is opened


def test_a_copied_env_example_cannot_start_and_each_placeholder_is_named(slack, ivs, tmp_path):
    example = (ROOT / ".env.example").read_text()
    (tmp_path / ".env").write_text(example)
    names = [line.split("=", 1)[0] for line in example.splitlines() if "=" in line and not line.startswith("#")]
    env = bot_env(slack, ivs, mode="socket", port=free_port(), **{name: None for name in names})
    code, out, err = BotProcess(env, tmp_path).run_to_exit()
    assert code == 2 and "Traceback" not in out + err
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert [line.split()[1] for line in problems] == ["SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "IVS_KICK_AUDIT_CHANNEL"]
    assert all("placeholder" in line or "example" in line for line in problems), problems
    assert not (tmp_path / "ivs-kick.db").exists()
