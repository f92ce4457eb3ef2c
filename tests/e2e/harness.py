"""Drive the real bot process the way Slack does: signed HTTP requests, or Socket Mode envelopes."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack import ACK_DEADLINE, check_ack, post_to_app

ROOT = Path(__file__).resolve().parents[2]
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T0000TEST"
AUDIT_CHANNEL = "C0AUDIT"
INVOKED_IN = "C0STREAM"
# The world every test and bench sets up: one room, the moderator in IVS_KICK_MODERATORS, the moderator group.
ROOM = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6"
MODERATOR = "U0MOD"
GROUP = "S0MODS"


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Headers exactly as Slack signs a request: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class HttpAnswer:
    status: int
    body: str

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


def http_post(url: str, body: bytes, headers: dict[str, str], timeout: float = 10) -> HttpAnswer:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return HttpAnswer(response.status, response.read().decode())
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode())


def command_payload(
    text: str, *, user_id: str, trigger_id: str, response_url: str, channel_id: str = INVOKED_IN
) -> dict[str, str]:
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "team_domain": "streamers",
        "channel_id": channel_id,
        "channel_name": "stream-chat",
        "user_id": user_id,
        "user_name": user_id.lower(),
        "command": "/ivs-kick",
        "text": text,
        "api_app_id": "A0000TEST",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def submission_payload(opened_view: dict[str, Any], *, user_id: str, reason: str | None) -> dict[str, Any]:
    """A view_submission for a modal the bot opened, with the reason field as the moderator left it."""
    view = dict(opened_view)
    view["state"] = {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}}
    return {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": "streamers"},
        "user": {"id": user_id, "username": user_id.lower(), "name": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0000TEST",
        "token": "deprecated-verification-token",
        "trigger_id": "99999.11111.submitted",
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
    }


def button_payload(
    message: dict[str, Any],
    channel_id: str,
    *,
    user_id: str,
    action_id: str,
    value: str,
    trigger_id: str,
    response_url: str,
) -> dict[str, Any]:
    """A block_actions payload: someone clicked a button on a message the bot posted."""
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0000TEST",
        "token": "deprecated-verification-token",
        "container": {"type": "message", "message_ts": message["ts"], "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": trigger_id,
        "team": {"id": TEAM_ID, "domain": "streamers"},
        "channel": {"id": channel_id, "name": "moderation"},
        "message": {
            "type": "message",
            "ts": message["ts"],
            "text": message.get("text", ""),
            "blocks": message.get("blocks") or [],
        },
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "actions",
                "type": "button",
                "value": value,
                "action_ts": f"{time.time():.6f}",
            }
        ],
    }


def event_payload(event: dict[str, Any]) -> dict[str, Any]:
    return {
        "token": "deprecated-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": "A0000TEST",
        "event": event,
        "type": "event_callback",
        "event_id": f"Ev{time.monotonic_ns()}",
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM_ID, "user_id": "U0000BOT", "is_bot": True}],
    }


def procfile_command(process_type: str) -> list[str]:
    """A Procfile line as argv, its program run from this interpreter's environment (`gunicorn` → `-m gunicorn`)."""
    for line in (ROOT / "Procfile").read_text().splitlines():
        name, _, command = line.partition(":")
        if name.strip() == process_type:
            program, *args = command.split()
            return [sys.executable, "-m", program, *args] if program != "python" else [sys.executable, *args]
    raise AssertionError(f"the Procfile has no {process_type}: line")


BOT_COMMAND = [sys.executable, "-m", "bot"]


@dataclass
class BotProcess:
    """The bot as a child process (`python -m bot` unless `command` says otherwise), in an empty working
    directory, logs captured to a file."""

    env: dict[str, str]
    workdir: Path
    process: subprocess.Popen | None = None
    command: list[str] = field(default_factory=lambda: list(BOT_COMMAND))
    log_path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log_path = self.workdir / "bot.log"

    def start(self) -> "BotProcess":
        self._log = open(self.log_path, "ab")  # a restarted bot in the same directory appends
        self.process = subprocess.Popen(
            self.command,
            cwd=self.workdir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so a crash can take gunicorn's workers down too
        )
        return self

    def run_to_exit(self, *args: str, timeout: float = 30) -> tuple[int, str, str]:
        """Run the command with ARGS to completion: exit code, stdout, stderr."""
        result = subprocess.run(
            [*self.command, *args],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        return result.returncode, result.stdout, result.stderr

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self) -> None:
        """SIGKILL to the whole process group: it dies wherever it is, as in a crash or an OOM kill."""
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if getattr(self, "_log", None) and not self._log.closed:
            self._log.close()

    def assert_running(self) -> None:
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"the bot exited ({self.process and self.process.returncode}):\n{self.logs()}")


def bot_env(slack, ivs, *, mode: str, port: int, **overrides: str | None) -> dict[str, str]:
    """The environment of a bot wired to the local fakes; an override of None removes that variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_", "IVS_KICK_"))}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_API_URL": slack.api_url,
            "IVS_KICK_AUDIT_CHANNEL": AUDIT_CHANNEL,
            "IVS_KICK_MODERATORS": MODERATOR,
            "PORT": str(port),
            "AWS_ACCESS_KEY_ID": ivs.access_key,
            "AWS_SECRET_ACCESS_KEY": ivs.secret_key,
            "AWS_ENDPOINT_URL_IVSCHAT": ivs.url,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_DEFAULT_REGION": "us-east-1",  # deliberately not the rooms' regions: the ARN must decide
        }
    )
    if mode == "socket":
        env["SLACK_APP_TOKEN"] = slack.app_token
    else:
        env["SLACK_SIGNING_SECRET"] = SIGNING_SECRET
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


class Driver:
    """Sends what Slack would send, over one transport, and holds the app to Slack's terms for its ack: within 3 s
    (else AckTimedOut) and in a form Slack accepts (else AckRefused). Answers are normalised to the ack's JSON (or
    None)."""

    mode: str

    def command(self, form: dict[str, str]) -> Any: ...

    def interaction(self, payload: dict[str, Any]) -> Any: ...

    def event(self, body: dict[str, Any], *, retry: int = 0, reason: str | None = None) -> Any:
        """An Events API delivery; `retry` > 0 is Slack's retry number for it, sent for `reason` (Slack's words)."""


class HttpDriver(Driver):
    mode = "http"

    def __init__(self, url: str, deadline: float = ACK_DEADLINE) -> None:
        self.url, self.deadline = url, deadline

    def _post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> Any:
        headers = {"Content-Type": content_type, **sign(body), **(headers or {})}
        status, text = post_to_app(self.url, body, headers, deadline=self.deadline)
        assert status == 200, f"HTTP {status}: {text}"
        return json.loads(text) if text else None

    def command(self, form: dict[str, str]) -> Any:
        # A lone surrogate goes out as the bytes a lenient client would send (not UTF-8), not as an error here.
        body = urlencode(form, errors="surrogatepass").encode()
        return check_ack("slash_commands", form, self._post(body, "application/x-www-form-urlencoded"))

    def interaction(self, payload: dict[str, Any]) -> Any:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return check_ack(str(payload.get("type")), payload, self._post(body, "application/x-www-form-urlencoded"))

    def event(self, body: dict[str, Any], *, retry: int = 0, reason: str | None = None) -> Any:
        retried = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": reason or "http_timeout"} if retry else {}
        return self._post(json.dumps(body).encode(), "application/json", retried)


class SocketDriver(Driver):
    """Envelopes through the fake, which checks each ack itself (FakeSlack.send_envelope)."""

    mode = "socket"

    def __init__(self, slack) -> None:
        self.slack = slack

    def command(self, form: dict[str, str]) -> Any:
        return self.slack.send_envelope("slash_commands", form)

    def interaction(self, payload: dict[str, Any]) -> Any:
        return self.slack.send_envelope("interactive", payload)

    def event(self, body: dict[str, Any], *, retry: int = 0, reason: str | None = None) -> Any:
        return self.slack.send_envelope("events_api", body, retry_attempt=retry, retry_reason=reason or "timeout")


def wait_until_serving(bot: BotProcess, port: int, timeout: float = 20) -> None:
    """Ready means a worker answers HTTP, not merely that gunicorn's master has bound the port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        bot.assert_running()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1).close()
            return
        except urllib.error.HTTPError:
            return  # any HTTP answer will do
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"the bot did not answer HTTP on {port} within {timeout}s:\n{bot.logs()}")
