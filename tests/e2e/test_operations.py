"""Running it: a health check, a clean SIGTERM that finishes in-flight kicks, and one log line per request."""

from __future__ import annotations

import json
import signal
import urllib.request

from rig.world import ROOM


def test_healthz_answers_without_auth_and_without_secrets(start_bot):
    bot = start_bot("http")
    url = bot.driver.url.replace("/slack/events", "/healthz")
    with urllib.request.urlopen(url, timeout=5) as answer:
        body = answer.read().decode()
        assert answer.status == 200 and answer.headers["Content-Type"] == "application/json"
    assert json.loads(body) == {"version": "0.1.0", "mode": "http", "store": "ok"}
    assert bot.slack.bot_token not in body


def test_sigterm_mid_kick_finishes_the_kick_and_its_audit_post_then_exits_zero(start_bot, mode):
    bot = start_bot(mode)
    bot.ivs.set_delay(2)
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42 spam")
    bot.submit(bot.opened_view(trigger_id), "spam")
    bot.ivs.wait_for_calls(1)  # DisconnectUser has reached AWS and is waiting for its answer
    bot.process.process.send_signal(signal.SIGTERM)
    assert bot.process.process.wait(40) == 0
    assert "Disconnected viewer42" in bot.wait_reply(response_url)
    assert len(bot.audit_posts()) == 1 and "Case #1 · Kicked" in bot.audit_posts()[0]["text"]
    logs = bot.process.logs()
    assert "shutting down: finishing in-flight work" in logs and '"finished": true' in logs


def test_every_request_is_one_log_line_with_its_latency(start_bot):
    bot = start_bot("http")
    bot.kick(f"{ROOM} viewer42")
    bot.slack.wait_for(lambda: '"kind": "view_submission"' in bot.process.logs())  # written a moment after the ack
    logs = bot.process.logs()
    lines = [json.loads(line) for line in logs.splitlines() if '"msg": "request"' in line]
    assert [line["kind"] for line in lines] == ["/ivs-kick", "view_submission"]
    assert all(isinstance(line["ms"], float) and line["status"] == 200 for line in lines)
