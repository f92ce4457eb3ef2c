"""Fixtures for end-to-end tests: the fakes, and the real bot process wired to them in either mode."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.ivschat import FakeIvsChat
from tests.fakes.slack import FakeSlack

from .harness import (
    AUDIT_CHANNEL,
    BOT_COMMAND,
    GROUP,
    INVOKED_IN,
    MODERATOR,
    ROOM,
    BotProcess,
    Driver,
    HttpDriver,
    SocketDriver,
    bot_env,
    command_payload,
    free_port,
    submission_payload,
    wait_until_serving,
)

ROOM_EU = "arn:aws:ivschat:eu-central-1:123456789012:room/EuRoom12345"
GROUP_MODERATOR = "U0GROUPMOD"
KEEP = object()  # submit the modal with the reason as it was pre-filled


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


@pytest.fixture
def slack():
    with slack_world() as fake:
        yield fake


@pytest.fixture
def ivs():
    with ivs_world() as fake:
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

    def submit(self, view: dict[str, Any], reason: str | None, *, user: str = MODERATOR) -> Any:
        return self.driver.interaction(submission_payload(view, user_id=user, reason=reason))

    def kick(self, text: str, *, reason: Any = KEEP, user: str = MODERATOR, submitter: str | None = None) -> Kick:
        audits_before = len(self.audit_posts())
        ack, trigger_id, response_url = self.command(text, user=user)
        view = self.opened_view(trigger_id)
        if reason is KEEP:
            reason = _initial_reason(view)
        submit_ack = self.submit(view, reason, user=submitter or user)
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
    slack: FakeSlack, ivs: FakeIvsChat, mode: str, workdir: Path, command: list[str] | None = None, **env: str | None
) -> Bot:
    """Start a bot in `workdir` wired to the fakes and wait until it takes requests; the caller stops its process."""
    port = free_port()
    env_vars = bot_env(slack, ivs, mode=mode, port=port, **env)
    process = BotProcess(env_vars, workdir, command=command or list(BOT_COMMAND)).start()
    try:
        if mode == "http":
            wait_until_serving(process, port)
            driver: Driver = HttpDriver(f"http://127.0.0.1:{port}/slack/events")
        else:
            slack.wait_for_socket_client(timeout=20)
            driver = SocketDriver(slack)
    except BaseException:
        process.stop()
        raise
    return Bot(process, driver, slack, ivs)


@pytest.fixture
def start_bot(slack, ivs, tmp_path):
    started: list[BotProcess] = []

    def start(mode: str, workdir=None, command: list[str] | None = None, **env_overrides: str | None) -> Bot:
        """Start a bot; pass the workdir of an earlier one to restart it on the same case store, and a command
        to start it through another entry point than `python -m bot`."""
        if workdir is None:
            workdir = tmp_path / f"{mode}-{len(started)}"
            workdir.mkdir()
        bot = launch(slack, ivs, mode, workdir, command, **env_overrides)
        started.append(bot.process)
        return bot

    yield start
    for process in started:
        process.stop()


@pytest.fixture(params=["http", "socket"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def bot(start_bot, mode) -> Bot:
    return start_bot(mode)


def _block_texts(blocks: list[dict[str, Any]]) -> list[str]:
    texts = []
    for block in blocks:
        for part in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
    return texts
