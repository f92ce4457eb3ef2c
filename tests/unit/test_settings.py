import pytest

from bot.settings import SettingsError, load_settings

BASE = {
    "SLACK_BOT_TOKEN": "xoxb-1-abcdefsecret",
    "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
    "IVS_KICK_AUDIT_CHANNEL": "C0AUDIT",
    "IVS_KICK_MODERATORS": "U0MOD1, U0MOD2",
}


def problems(env):
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    return raised.value.problems


def test_a_complete_http_environment_loads():
    s = load_settings(BASE)
    assert not s.socket_mode and s.port == 3000 and s.api_url == "https://slack.com/api/"
    assert s.moderators == {"U0MOD1", "U0MOD2"} and s.moderator_group is None


def test_socket_mode_needs_no_signing_secret():
    env = {k: v for k, v in BASE.items() if k != "SLACK_SIGNING_SECRET"} | {"SLACK_APP_TOKEN": "xapp-1-A-secret"}
    assert load_settings(env).socket_mode


def test_every_problem_is_reported_at_once():
    found = problems({"IVS_KICK_MODERATOR_GROUP": "@mods", "PORT": "http"})
    joined = "\n".join(found)
    for name in (
        "SLACK_BOT_TOKEN",
        "SLACK_SIGNING_SECRET",
        "IVS_KICK_AUDIT_CHANNEL",
        "IVS_KICK_MODERATOR_GROUP",
        "PORT",
    ):
        assert name in joined
    assert len(found) == 5


def test_a_wrong_kind_of_token_is_named_without_echoing_it():
    found = problems(BASE | {"SLACK_BOT_TOKEN": "xoxp-1-user-token-secret-part"})
    assert "xoxp-" in found[0] and "secret-part" not in found[0]


def test_a_channel_name_instead_of_an_id_is_explained():
    assert "channel ID" in problems(BASE | {"IVS_KICK_AUDIT_CHANNEL": "#moderation"})[0]


def test_bad_moderator_ids_are_listed():
    assert "'alice'" in problems(BASE | {"IVS_KICK_MODERATORS": "U0OK,alice"})[0]


def test_govslack_url_gets_a_trailing_slash_and_bad_urls_are_refused():
    assert load_settings(BASE | {"SLACK_API_URL": "https://slack-gov.com/api"}).api_url == "https://slack-gov.com/api/"
    assert "SLACK_API_URL" in problems(BASE | {"SLACK_API_URL": "slack.com"})[0]


@pytest.mark.parametrize(
    "name, value",
    [
        ("SLACK_BOT_TOKEN", "xoxb-your-bot-token"),
        ("SLACK_BOT_TOKEN", "xoxb-<your token>"),
        ("SLACK_BOT_TOKEN", "xoxb-…"),
        ("SLACK_BOT_TOKEN", "xoxb-xxxxxxxxxxxx"),
        ("SLACK_APP_TOKEN", "xapp-your-app-token"),
        ("SLACK_APP_TOKEN", "xapp-1-..."),
    ],
)
def test_a_placeholder_token_is_refused_naming_the_variable(name, value):
    found = problems(BASE | {"SLACK_APP_TOKEN": "xapp-1-A0123-456-abc"} | {name: value})
    assert len(found) == 1 and found[0].startswith(f"{name} is a placeholder, not a token")


def test_real_token_shapes_are_accepted():
    env = BASE | {
        "SLACK_BOT_TOKEN": "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy",
        "SLACK_APP_TOKEN": "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f",
    }
    assert load_settings(env).socket_mode


@pytest.mark.parametrize(
    "name, value",
    [
        ("IVS_KICK_AUDIT_CHANNEL", "C0123ABCDEF"),
        ("IVS_KICK_MODERATOR_GROUP", "S0123ABCDEF"),
        ("IVS_KICK_MODERATORS", "U0MOD1,U0123ABCDEF"),
    ],
)
def test_the_example_ids_of_the_docs_are_refused_naming_the_variable(name, value):
    found = problems(BASE | {name: value})
    assert len(found) == 1 and found[0].startswith(f"{name} has {value.split(',')[-1]}, the example ID")


def test_the_shortest_timeout_is_a_duration_from_one_second_to_ninety_days():
    from datetime import timedelta

    assert load_settings(BASE).shortest_timeout == timedelta(minutes=1)
    assert load_settings(BASE | {"IVS_KICK_SHORTEST_TIMEOUT": "5s"}).shortest_timeout == timedelta(seconds=5)
    assert load_settings(BASE | {"IVS_KICK_SHORTEST_TIMEOUT": "90d"}).shortest_timeout == timedelta(days=90)
    for bad in ("0s", "91d", "5", "1.5m", "soon"):
        [found] = problems(BASE | {"IVS_KICK_SHORTEST_TIMEOUT": bad})
        assert found == (
            "IVS_KICK_SHORTEST_TIMEOUT must be a duration like 1m or 5s (a number followed by s, m, h, d or w), "
            f"from 1 second to 90 days; got {bad!r}."
        )
