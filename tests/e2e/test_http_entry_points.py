"""Every way of serving Slack over HTTP verifies signatures, whatever else is set, and starts only when it can.

Copying `.env.example` sets SLACK_APP_TOKEN; a web process started with it must still verify every request.
"""

from __future__ import annotations

import signal
import socket
import sys
from urllib.parse import urlencode, urlsplit

import pytest

from rig.drive import command_payload, http_post, sign
from rig.world import BOT_COMMAND, MODERATOR, ROOM, BotProcess, bot_env, free_port, procfile_command, wait_until_serving

PLAIN_GUNICORN = [sys.executable, "-m", "gunicorn", "bot.wsgi:application"]  # binds 0.0.0.0:$PORT by itself
# (how it is started, whether SLACK_APP_TOKEN is set beside the signing secret)
HTTP_ENTRY_POINTS = {
    "python -m bot": (BOT_COMMAND, False),
    "Procfile web: with an app token": (procfile_command("web"), True),
    "gunicorn bot.wsgi:application with an app token": (PLAIN_GUNICORN, True),
}


def _start_http(start_bot, slack, entry: str):
    command, with_app_token = HTTP_ENTRY_POINTS[entry]
    return start_bot("http", command=command, SLACK_APP_TOKEN=slack.app_token if with_app_token else None)


def _attack(bot, text: str, headers_for) -> int:
    attacker_url = bot.slack.new_response_url()
    form = command_payload(text, user_id=MODERATOR, trigger_id=bot.slack.new_trigger_id(), response_url=attacker_url)
    body = urlencode(form).encode()
    return http_post(bot.driver.url, body, {"Content-Type": "application/x-www-form-urlencoded", **headers_for(body)})


@pytest.mark.parametrize("entry", HTTP_ENTRY_POINTS)
@pytest.mark.parametrize(
    "headers_for",
    [lambda body: {}, lambda body: sign(body, secret="not-the-signing-secret")],
    ids=["unsigned", "forged signature"],
)
def test_an_unverified_request_changes_nothing_through_any_http_entry_point(start_bot, slack, entry, headers_for):
    bot = _start_http(start_bot, slack, entry)
    assert _attack(bot, f"{ROOM} viewer42 spam", headers_for).status == 401
    assert _attack(bot, "history viewer42", headers_for).status == 401
    assert not bot.ivs.calls and not bot.slack.posted_responses
    assert not {c.method for c in bot.slack.calls} - {"auth.test", "usergroups.users.list"}
    # The same server still serves Slack's own signed requests.
    ack, trigger_id, _ = bot.command(f"{ROOM} viewer42")
    assert bot.opened_view(trigger_id)["type"] == "modal"


@pytest.mark.parametrize(
    "entry", ["Procfile web: with an app token", "gunicorn bot.wsgi:application with an app token"]
)
def test_an_http_entry_point_refuses_to_start_without_the_signing_secret(slack, ivs, tmp_path, entry):
    command, _ = HTTP_ENTRY_POINTS[entry]
    port = free_port()
    env = bot_env(slack, ivs, mode="socket", port=port, SLACK_SIGNING_SECRET=None)  # the app token is set
    code, out, err = BotProcess(env, tmp_path, command=command).run_to_exit(timeout=60)
    assert code != 0
    assert "SLACK_SIGNING_SECRET is not set" in err and "Traceback" not in err
    assert err.count("SLACK_SIGNING_SECRET is not set") == 1  # stopped, not a worker respawned in a loop


def test_socket_mode_serves_nothing_over_http(start_bot, slack):
    port = free_port()
    bot = start_bot("socket", PORT=str(port))
    ack, trigger_id, _ = bot.command(f"{ROOM} viewer42")
    bot.opened_view(trigger_id)  # it is up and serving Slack, over its WebSocket only
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()


@pytest.mark.parametrize(
    "overrides, code, says",
    [
        ({"IVS_KICK_AUDIT_CHANNEL": "#mods"}, 2, "IVS_KICK_AUDIT_CHANNEL must be a channel ID"),
        ({"SLACK_BOT_TOKEN": "xoxb-1000000001-2000000002-Revoked"}, 1, "invalid_auth"),
        ({"WEB_CONCURRENCY": "0"}, 2, "WEB_CONCURRENCY must be a whole number from 1 to 64; got '0'"),
        ({"PORT": "8080.0"}, 2, "PORT must be a whole number from 1 to 65535; got '8080.0'"),
    ],
    ids=["a bad setting", "a token Slack rejects", "no workers", "a port with a fraction"],
)
def test_under_gunicorn_start_up_stops_the_whole_server_with_the_readme_exit_code(
    slack, ivs, tmp_path, overrides, code, says
):
    env = bot_env(slack, ivs, mode="http", port=free_port(), **overrides)
    returned, out, err = BotProcess(env, tmp_path, command=procfile_command("web")).run_to_exit(timeout=60)
    assert returned == code and says in err
    assert "Booting worker" not in err and "Traceback" not in err


def test_gunicorns_own_lines_are_written_and_sigterm_logs_no_logging_error(start_bot, slack):
    bot = start_bot("http", command=procfile_command("web"))
    with socket.create_connection(("127.0.0.1", urlsplit(bot.driver.url).port), timeout=5) as raw:
        raw.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")
        assert raw.recv(100).startswith(b"HTTP/1.1 400")
    slack.wait_for(lambda: "Invalid request from ip=127.0.0.1" in bot.process.logs(), 10)
    bot.process.process.send_signal(signal.SIGTERM)
    assert bot.process.process.wait(40) == 0
    logs = bot.process.logs()
    assert "Shutting down: Master" in logs
    assert "--- Logging error ---" not in logs and "Traceback" not in logs


def test_python_m_bot_names_a_worker_count_that_is_not_a_number(slack, ivs, tmp_path):
    # (gunicorn itself parses WEB_CONCURRENCY from the real environment as it loads, before any of the bot's
    # code runs: under the web: line such a value ends in gunicorn's own traceback, as the README says.)
    env = bot_env(slack, ivs, mode="http", port=free_port(), WEB_CONCURRENCY="abc")
    returned, _, err = BotProcess(env, tmp_path, command=BOT_COMMAND).run_to_exit(timeout=60)
    assert returned == 2 and "WEB_CONCURRENCY must be a whole number from 1 to 64; got 'abc'" in err
    assert "Traceback" not in err


def test_the_procfile_web_line_takes_port_and_workers_from_dot_env(slack, ivs, tmp_path):
    port = free_port()
    (tmp_path / ".env").write_text(f"PORT={port}\nWEB_CONCURRENCY=2\n")
    env = bot_env(slack, ivs, mode="http", port=port, PORT=None)  # only .env names the port
    bot = BotProcess(env, tmp_path, command=procfile_command("web")).start()
    try:
        wait_until_serving(bot, port)
        slack.wait_for(lambda: bot.logs().count("Booting worker") == 2, 20)
        assert f"Listening at: http://0.0.0.0:{port}" in bot.logs()
    finally:
        bot.stop()
