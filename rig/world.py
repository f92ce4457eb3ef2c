"""The world every end-to-end test and benchmark runs in: fake Slack with the audit channel, the channel commands
come from and the moderator group; fake IVS Chat with two rooms; the real bot process wired to them and ready;
and a moderator's-eye way of using it (a command, its modal, a kick)."""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rig.drive import (
    INVOKED_IN,
    SIGNING_SECRET,
    Driver,
    HttpDriver,
    SocketDriver,
    command_payload,
    submission_payload,
)
from rig.fakes.ivschat import FakeIvsChat
from rig.fakes.slack import FakeSlack

ROOT = Path(__file__).resolve().parents[1]
AUDIT_CHANNEL = "C0AUDIT"
ROOM = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6"
ROOM_EU = "arn:aws:ivschat:eu-central-1:123456789012:room/EuRoom12345"
MODERATOR = "U0MOD"  # named in IVS_KICK_MODERATORS
GROUP = "S0MODS"  # the moderator user group
GROUP_MODERATOR = "U0GROUPMOD"  # a moderator through GROUP
KEEP = object()  # submit the modal with the reason as it was pre-filled


EPHEMERAL_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_ports = random.Random()


def _ephemeral_low() -> int:
    """The lowest port the kernel hands out for bind(0), from which the fakes, moto and any client take theirs."""
    try:
        return int(EPHEMERAL_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def free_port() -> int:
    """A port for a bot to bind later: free now, and below the kernel's ephemeral range, so no server that binds
    port 0 meanwhile (a fake of another test) can take it before the bot does and answer in its place."""
    low = _ephemeral_low()
    for _ in range(200):
        port = _ports.randrange(max(1024, low - 16000), low)
        with socket.socket() as s:
            try:
                s.bind(("0.0.0.0", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # the range below is crowded: any free port, as the kernel picks it
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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
            time.sleep(0.01)  # fine enough for `python -m bench.compare` to time start-up by
    raise AssertionError(f"the bot did not answer HTTP on {port} within {timeout}s:\n{bot.logs()}")


@contextmanager
def slack_world() -> Iterator[FakeSlack]:
    """Fake Slack with the audit channel, the channel commands come from, and the moderator group; on a clean
    exit, the fake must have had no internal errors."""
    with FakeSlack() as fake:
        fake.add_channel(AUDIT_CHANNEL)
        fake.add_channel(INVOKED_IN)
        fake.set_group_members(GROUP, [GROUP_MODERATOR])
        yield fake
        assert not fake.internal_errors, fake.internal_errors


@contextmanager
def ivs_world() -> Iterator[FakeIvsChat]:
    """Fake IVS Chat with ROOM and ROOM_EU."""
    with FakeIvsChat() as fake:
        fake.add_room(ROOM)
        fake.add_room(ROOM_EU)
        yield fake


@dataclass
class Kick:
    """Everything one kick produced, as Slack and AWS saw it."""

    command_ack: Any
    view: dict[str, Any]
    submit_ack: Any
    reply: str
    audit: dict[str, Any] | None


class Bot:
    """A running bot and a moderator's-eye way of using it."""

    def __init__(self, process: BotProcess, driver: Driver, slack: FakeSlack, ivs: FakeIvsChat) -> None:
        self.process, self.driver, self.slack, self.ivs = process, driver, slack, ivs

    @property
    def mode(self) -> str:
        return self.driver.mode

    def command(self, text: str, *, user: str = MODERATOR) -> tuple[Any, str, str]:
        """Returns the ack, the trigger_id and the response_url Slack issued for this command."""
        trigger_id, response_url = self.slack.new_trigger_id(), self.slack.new_response_url()
        ack = self.driver.command(command_payload(text, user_id=user, trigger_id=trigger_id, response_url=response_url))
        return ack, trigger_id, response_url

    def opened_view(self, trigger_id: str, timeout: float = 5.0) -> dict[str, Any]:
        def opened():
            return [
                c
                for c in self.slack.calls_to("views.open")
                if c.params.get("trigger_id") == trigger_id and c.response.get("ok")
            ]

        self.slack.wait_for(lambda: bool(opened()), timeout)
        return opened()[0].response["view"]

    def replies(self, response_url: str) -> list[str]:
        return [p.body.get("text", "") for p in self.slack.posted_responses if p.url == response_url]

    def wait_reply(self, response_url: str, count: int = 1, timeout: float = 15.0) -> str:
        self.slack.wait_for(lambda: len(self.replies(response_url)) >= count, timeout)
        return self.replies(response_url)[count - 1]

    def wait_shown(self, response_url: str, timeout: float = 15.0) -> str:
        """What the first reply shows: its text, then every text of its blocks, one a line."""
        self.wait_reply(response_url, timeout=timeout)
        body = next(p.body for p in self.slack.posted_responses if p.url == response_url)
        return "\n".join([body.get("text", ""), *_block_texts(body.get("blocks") or [])])

    def submit(self, view: dict[str, Any], reason: str | None, *, user: str = MODERATOR, ban: str | None = None) -> Any:
        """Submit an open modal; `ban` is the Ban select's option value if the moderator changed it."""
        chosen = {"ban": ban} if ban is not None else None
        return self.driver.interaction(submission_payload(view, user_id=user, reason=reason, chosen=chosen))

    def kick(
        self, text: str, *, reason: Any = KEEP, user: str = MODERATOR, submitter: str | None = None,
        ban: str | None = None,
    ) -> Kick:  # fmt: skip
        """Type `text`, confirm the modal it opens (with the Ban select changed to `ban` if given), and wait for the
        private reply."""
        audits_before = len(self.audit_posts())
        ack, trigger_id, response_url = self.command(text, user=user)
        view = self.opened_view(trigger_id)
        if reason is KEEP:
            reason = _initial_reason(view)
        submit_ack = self.submit(view, reason, user=submitter or user, ban=ban)
        reply = self.wait_reply(response_url)
        audits = self.audit_posts()
        return Kick(ack, view, submit_ack, reply, audits[audits_before] if len(audits) > audits_before else None)

    def audit_posts(self) -> list[dict[str, Any]]:
        return [c.params for c in self.slack.calls_to("chat.postMessage") if c.response.get("ok")]


def _initial_reason(view: dict[str, Any]) -> str | None:
    for block in view["blocks"]:
        if block.get("block_id") == "reason":
            return block["element"].get("initial_value")
    raise AssertionError("the modal has no reason input")


UNRENDERED = {"initial_value", "private_metadata"}


def _rendered_strings(value: Any) -> list[str]:
    """Strings Slack renders as message text. Left out: an input's `initial_value` (plain text the moderator
    edits) and a view's `private_metadata` (never shown), which Slack never turns into mentions."""
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in UNRENDERED for s in _rendered_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _rendered_strings(v)]
    return [value] if isinstance(value, str) else []


def rendered_text(sent: list[dict[str, Any]]) -> str:
    """The strings of these Web API calls' params and response_url bodies that Slack renders, one a line."""
    return "\n".join(_rendered_strings(sent))


def everything_sent(slack: FakeSlack) -> str:
    """All text the bot sent to Slack (posts, modals, replies), for checks that must hold everywhere."""
    sent = [c.params for c in slack.calls if c.method in {"chat.postMessage", "views.open", "views.update"}]
    return rendered_text([*sent, *(p.body for p in slack.posted_responses)])


def launch(
    slack: FakeSlack,
    ivs: FakeIvsChat,
    mode: str,
    workdir: Path,
    command: list[str] | None = None,
    *,
    ready_within: float = 20,
    **env: str | None,
) -> Bot:
    """Start a bot in `workdir` wired to the fakes and wait up to `ready_within` seconds until it takes requests:
    a worker answers HTTP, or a Socket Mode connection opened after the start. The caller stops its process."""
    port = free_port()
    env_vars = bot_env(slack, ivs, mode=mode, port=port, **env)
    opened = slack.socket_connections_opened
    process = BotProcess(env_vars, workdir, command=command or list(BOT_COMMAND)).start()
    try:
        if mode == "http":
            wait_until_serving(process, port, ready_within)
            driver: Driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events")
        else:
            slack.wait_for(lambda: slack.socket_connections_opened > opened, ready_within, "the bot to connect")
            driver = SocketDriver(slack)
    except BaseException:
        process.stop()
        raise
    return Bot(process, driver, slack, ivs)


def _block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts = []
    for block in blocks:
        for part in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return texts
