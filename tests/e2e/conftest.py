"""Fixtures for end-to-end tests: the world of rig.world, and the real bot process wired to it in either mode."""

from __future__ import annotations

import pytest

from rig.world import Bot, BotProcess, ivs_world, launch, slack_world


@pytest.fixture
def slack():
    with slack_world() as fake:
        yield fake


@pytest.fixture
def ivs():
    with ivs_world() as fake:
        yield fake


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
