"""manifest.yml is a valid Slack app manifest and declares exactly what the code uses."""

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def manifest():
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_manifest_validates_against_the_schema(manifest):
    schema = json.loads((ROOT / "tests/data/slack-app-manifest.schema.json").read_text())
    jsonschema.validate(manifest, schema)


def test_the_command_the_code_registers_is_declared(manifest):
    from bot.listeners.commands.ivs_kick import COMMAND

    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [COMMAND]
    assert commands[0]["usage_hint"]
    assert commands[0]["should_escape"] is False  # the parser expects typed text, not <@U…> escapes


def test_the_usage_hint_is_the_syntax_the_command_accepts(manifest):
    from bot.kick.command import USAGE

    accepted = re.match(r"Usage: /ivs-kick (.+?)(?:\s{2,}|\n)", USAGE)
    assert accepted, "USAGE's first line gives the command's syntax"
    hint = manifest["features"]["slash_commands"][0]["usage_hint"]
    assert hint == accepted.group(1)
    assert f"/ivs-kick {hint}" in manifest["display_information"]["long_description"]
    assert f"`/ivs-kick {hint}`" in (ROOT / "README.md").read_text()


def test_every_subcommand_of_the_usage_is_in_the_readme_and_the_manifest(manifest):
    from bot.kick.command import SYNTAX, USAGE

    syntaxes = [re.split(r"\s{2,}", line)[0] for line in USAGE.splitlines() if line.startswith("/ivs-kick ")]
    assert len(syntaxes) == 6 and set(SYNTAX.values()) <= set(syntaxes)
    readme = (ROOT / "README.md").read_text()
    assert [syntax for syntax in syntaxes if syntax not in readme] == []
    described = manifest["display_information"]["long_description"]
    assert all(f"/ivs-kick {word}" in described for word in ("ban", "timeout", "unban", "bans"))


def test_socket_mode_and_interactivity_are_on(manifest):
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True


def test_events_are_exactly_those_with_listeners(manifest):
    source = "\n".join(p.read_text() for p in (ROOT / "bot/listeners").rglob("*.py"))
    handled = set(re.findall(r'app\.event\("([a-z_]+)"\)', source))
    assert set(manifest["settings"]["event_subscriptions"]["bot_events"]) == handled == {"subteam_members_changed"}


# Web API methods the bot may call → the bot scopes each needs (none: covered by the command's trigger).
SCOPE_OF_METHOD = {
    "chat_postMessage": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "conversations_open": ("im:write",),
    "conversations_history": ("channels:history", "groups:history"),  # the audit channel may be either
    "usergroups_users_list": ("usergroups:read",),
    "views_open": (),
    "views_update": (),
}


def test_scopes_are_those_the_code_needs_and_no_more(manifest):
    source = "\n".join(p.read_text() for p in (ROOT / "bot").rglob("*.py"))
    called = set(re.findall(r"\.((?:chat|usergroups|views|conversations|users|reactions|files)_\w+)\(", source))
    assert called == set(SCOPE_OF_METHOD), "a new Web API method needs its scope declared here and in manifest.yml"
    needed = {scope for scopes in SCOPE_OF_METHOD.values() for scope in scopes} | {"commands"}
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed
    assert "user" not in manifest["oauth_config"]["scopes"]
