"""Secrets and personal data: no response_url or trigger ID in the log at any level, and a case store that only
its owner can read."""

from __future__ import annotations

import json
import os
import stat
from urllib.parse import quote, urlencode

import pytest

from rig.drive import command_payload, http_post, sign
from rig.world import MODERATOR, ROOM


def _forms(secret: str) -> list[str]:
    """How a value can show up in a log line: raw, URL-encoded (a form body), JSON-escaped, inside JSON text."""
    return [secret, quote(secret, safe=""), secret.replace("/", "\\/"), json.dumps(secret)[1:-1]]


def _assert_not_logged(logs: str, *secrets: str) -> None:
    assert logs.strip(), "the bot logged nothing"
    for secret in secrets:
        for form in _forms(secret):
            assert form not in logs, f"{form!r} is in the log"


RESPONSE_URLS = {
    "the fake's": None,  # issued by the fake Slack, on its own host
    "hooks.slack.com": "https://hooks.slack.com/commands/T0000TEST/1234567890123/AbCdEf0123456789abcdef01",
    "hooks.slack-gov.com": "https://hooks.slack-gov.com/actions/T0000TEST/1234567890123/AbCdEf0123456789abcdef01",
}


@pytest.mark.parametrize("response_url", RESPONSE_URLS.values(), ids=RESPONSE_URLS.keys())
def test_a_badly_signed_request_leaves_no_response_url_or_trigger_id_in_the_log(start_bot, slack, response_url):
    bot = start_bot("http", LOG_LEVEL="DEBUG")
    trigger_id, response_url = slack.new_trigger_id(), response_url or slack.new_response_url()
    form = command_payload(f"{ROOM} viewer42", user_id=MODERATOR, trigger_id=trigger_id, response_url=response_url)
    body = urlencode(form).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, secret="wrong-signing-secret")}
    assert http_post(bot.driver.url, body, headers).status == 401
    # slack_bolt would log the whole body of a request whose signature is wrong, at INFO: our line says 401
    slack.wait_for(lambda: '"status": 401' in bot.process.logs())
    bot.process.stop()  # every queued line written
    _assert_not_logged(bot.process.logs(), response_url, trigger_id)
    assert not slack.calls_to("views.open")


def test_a_kick_at_debug_level_leaves_no_response_url_or_trigger_id_in_the_log(start_bot, mode):
    bot = start_bot(mode, LOG_LEVEL="DEBUG")
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42 spam")
    view = bot.opened_view(trigger_id)
    bot.submit(view, "spam")  # its trigger_id is the rig's 99999.11111.submitted
    assert "Case #1" in bot.wait_reply(response_url)
    bot.slack.wait_for(lambda: '"msg": "kick"' in bot.process.logs())
    bot.process.stop()  # every queued line written, the reply's own debug lines included
    logs = bot.process.logs()
    assert '"level": "debug"' in logs and "views.open" in logs  # Slack's SDK did log each call
    _assert_not_logged(logs, response_url, trigger_id, "99999.11111.submitted")


@pytest.fixture
def permissive_umask():
    """The umask most shells and containers run with (the bot inherits it), which leaves new files world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _modes(db) -> dict[str, int]:
    return {suffix: stat.S_IMODE(os.stat(f"{db}{suffix}").st_mode) for suffix in ("", "-wal", "-shm")}


WARNING = "case store file could be read by other users; its mode is now 0600"


def test_the_case_store_and_its_wal_and_shm_files_are_mode_0600(start_bot, mode, permissive_umask):
    bot = start_bot(mode)
    bot.kick(f"{ROOM} viewer42 spam")
    assert _modes(bot.process.workdir / "ivs-kick.db") == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
    assert WARNING not in bot.process.logs()


def test_a_case_store_others_could_read_is_tightened_at_start_with_one_warning(start_bot, mode, tmp_path):
    workdir = tmp_path / "wide"
    workdir.mkdir()
    db = workdir / "ivs-kick.db"
    db.touch()
    os.chmod(db, 0o644)  # as an older version, or a copy, left it
    bot = start_bot(mode, workdir=workdir)
    bot.kick(f"{ROOM} viewer42 spam")
    assert _modes(db) == {"": 0o600, "-wal": 0o600, "-shm": 0o600}
    bot.slack.wait_for(lambda: WARNING in bot.process.logs())
    [line] = [json.loads(line) for line in bot.process.logs().splitlines() if WARNING in line]
    assert line["level"] == "warning" and line["files"] == {"ivs-kick.db": "0644"}
