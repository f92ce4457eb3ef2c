"""The Slack fake must be faithful: the real slack_sdk clients work against it, misuse fails.

Every test drives the fake with slack_sdk's own ``WebClient``, ``WebhookClient`` and
builtin ``SocketModeClient`` so the wire formats are the ones the bot really sends.
"""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
)
from slack_sdk.socket_mode import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.webhook import WebhookClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect as ws_connect

from rig.fakes.slack import (
    ACK_DEADLINE,
    RESPONSE_URL,
    AckRefused,
    AckTimedOut,
    FakeSlack,
    answer_problems,
    options_problems,
    post_to_app,
)


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack() as server:
        yield server


def bot_client(fake: FakeSlack, **kwargs: Any) -> WebClient:
    return WebClient(token=fake.bot_token, base_url=fake.api_url, **kwargs)


def modal(**overrides: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "kick_viewer",
        "title": {"type": "plain_text", "text": "Kick viewer"},
        "submit": {"type": "plain_text", "text": "Kick"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Reason"},
                "element": {"type": "plain_text_input", "action_id": "reason_input"},
            }
        ],
    }
    view.update(overrides)
    return view


def api_error(excinfo: pytest.ExceptionInfo[SlackApiError]) -> str:
    return str(excinfo.value.response["error"])


# --------------------------------------------------------------------------- auth


def test_auth_test_reports_the_bot_identity(fake: FakeSlack) -> None:
    response = bot_client(fake).auth_test()

    assert response["ok"] is True
    assert response["team_id"] == "T0000TEST"
    assert response["user_id"] == "U0000BOT"
    assert response["bot_id"]
    call = fake.calls_to("auth.test")[0]
    assert call.token == fake.bot_token
    assert call.status == 200


def test_auth_test_names_the_organisation_of_an_enterprise_grid_install(fake: FakeSlack) -> None:
    assert "enterprise_id" not in bot_client(fake).auth_test().data
    fake.enterprise_id = "E0ORG"
    workspace = bot_client(fake).auth_test()
    fake.enterprise_install = True
    org_wide = bot_client(fake).auth_test()

    assert workspace["enterprise_id"] == "E0ORG" and workspace["is_enterprise_install"] is False
    assert org_wide["enterprise_id"] == "E0ORG" and org_wide["is_enterprise_install"] is True


def test_wrong_token_is_invalid_auth(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token="xoxb-wrong", base_url=fake.api_url).auth_test()
    assert api_error(excinfo) == "invalid_auth"


def test_missing_token_is_not_authed(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=fake.api_url).auth_test()
    assert api_error(excinfo) == "not_authed"


def test_token_types_are_not_interchangeable(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    with pytest.raises(SlackApiError) as excinfo:
        WebClient(token=fake.app_token, base_url=fake.api_url).chat_postMessage(channel="C1", text="hi")
    assert api_error(excinfo) == "not_allowed_token_type"

    with pytest.raises(SlackApiError) as excinfo:
        WebClient(base_url=fake.api_url).apps_connections_open(app_token=fake.bot_token)
    assert api_error(excinfo) == "not_allowed_token_type"


def test_json_body_token_is_ignored_like_slack(fake: FakeSlack) -> None:
    """Slack reads a JSON post's token only from the Authorization header."""
    request = urllib.request.Request(
        fake.api_url + "auth.test",
        data=json.dumps({"token": fake.bot_token}).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    with urllib.request.urlopen(request) as response:
        assert json.load(response)["error"] == "not_authed"


def test_plain_get_with_token_query_works(fake: FakeSlack) -> None:
    with urllib.request.urlopen(f"{fake.api_url}auth.test?token={fake.bot_token}") as response:
        assert json.load(response)["ok"] is True


def test_unknown_method(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        bot_client(fake).api_call("conversations.kickEveryone")
    assert api_error(excinfo) == "unknown_method"


# --------------------------------------------------------------------------- views


def test_views_open_happy_path(fake: FakeSlack) -> None:
    trigger_id = fake.new_trigger_id()

    response = bot_client(fake).views_open(trigger_id=trigger_id, view=modal(private_metadata="x" * 3000))

    view = response["view"]
    assert view["id"].startswith("V")
    assert view["team_id"] == "T0000TEST"
    assert view["state"] == {"values": {}}
    assert view["hash"]
    assert view["callback_id"] == "kick_viewer"
    assert fake.opened_views == [view]
    call = fake.calls_to("views.open")[0]
    assert isinstance(call.params["view"], dict)  # slack_sdk sends views.open as a JSON body


def test_views_open_form_post_decodes_json_string_view(fake: FakeSlack) -> None:
    """A form-encoded call carries ``view`` as a JSON string; the fake decodes it like Slack."""
    trigger_id = fake.new_trigger_id()

    response = bot_client(fake).api_call("views.open", params={"trigger_id": trigger_id, "view": json.dumps(modal())})

    assert response["ok"] is True
    assert fake.calls_to("views.open")[0].params["view"]["type"] == "modal"


def test_views_open_expired_trigger() -> None:
    with FakeSlack(trigger_ttl=0.2) as fake:
        trigger_id = fake.new_trigger_id()
        issued = time.monotonic()
        while time.monotonic() - issued < 0.25:  # expiry is a matter of time
            time.sleep(0.02)

        with pytest.raises(SlackApiError) as excinfo:
            bot_client(fake).views_open(trigger_id=trigger_id, view=modal())

        assert api_error(excinfo) == "expired_trigger_id"
        assert fake.opened_views == []


def test_views_open_trigger_is_single_use(fake: FakeSlack) -> None:
    client = bot_client(fake)
    trigger_id = fake.new_trigger_id()
    client.views_open(trigger_id=trigger_id, view=modal())

    with pytest.raises(SlackApiError) as excinfo:
        client.views_open(trigger_id=trigger_id, view=modal())

    assert api_error(excinfo) == "exchanged_trigger_id"
    assert len(fake.opened_views) == 1


def test_views_open_unknown_trigger(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        bot_client(fake).views_open(trigger_id="1.2.deadbeef", view=modal())
    assert api_error(excinfo) == "invalid_trigger_id"


@pytest.mark.parametrize(
    ("overrides", "pointer"),
    [
        ({"private_metadata": "x" * 3001}, "/view/private_metadata"),
        ({"title": {"type": "plain_text", "text": "x" * 25}}, "/view/title/text"),
        ({"title": {"type": "mrkdwn", "text": "Kick"}}, "/view/title/type"),
        ({"submit": {"type": "plain_text", "text": "x" * 25}}, "/view/submit/text"),
        ({"callback_id": "c" * 256}, "/view/callback_id"),
        ({"type": "home"}, "/view/type"),
        ({"submit": None}, "/view/submit"),
        ({"blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
        ({"blocks": [{"type": "divider", "block_id": "a"}, {"type": "divider", "block_id": "a"}]}, "/view/blocks/1"),
        ({"blocks": [{"type": "divider", "block_id": "b" * 256}]}, "/view/blocks/0/block_id"),
        ({"state": {"values": {}}}, "/view"),  # echoing a received view back is rejected
        ({"blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x" * 3001}]}]}, "/view/blocks/0"),
        ({"blocks": [{"type": "context", "elements": [{"type": "mrkdwn", "text": "x"}] * 11}]}, "/view/blocks/0"),
        ({"blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]}, "/view/blocks/0"),
        ({"blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "x" * 2001}]}]}, "/view/blocks/0"),
        (
            {
                "blocks": [
                    {
                        "type": "input",
                        "label": {"type": "plain_text", "text": "Room"},
                        "element": {
                            "type": "external_select",
                            "action_id": "room",
                            "initial_option": {"text": {"type": "plain_text", "text": "r"}, "value": "v" * 151},
                        },
                    }
                ]
            },
            "/view/blocks/0/element/initial_option",
        ),
    ],
)
def test_views_open_rejects_invalid_views(fake: FakeSlack, overrides: dict[str, Any], pointer: str) -> None:
    view = modal(**overrides)
    if view.get("submit") is None:
        view.pop("submit", None)

    with pytest.raises(SlackApiError) as excinfo:
        bot_client(fake).views_open(trigger_id=fake.new_trigger_id(), view=view)

    assert api_error(excinfo) == "invalid_arguments"
    messages = excinfo.value.response["response_metadata"]["messages"]
    assert any(f"[json-pointer:{pointer}" in m for m in messages), messages


def test_views_update_by_id_with_hash(fake: FakeSlack) -> None:
    client = bot_client(fake)
    opened = client.views_open(trigger_id=fake.new_trigger_id(), view=modal())["view"]

    updated = client.views_update(
        view_id=opened["id"], hash=opened["hash"], view=modal(title={"type": "plain_text", "text": "Done"})
    )["view"]

    assert updated["id"] == opened["id"]
    assert updated["title"]["text"] == "Done"
    with pytest.raises(SlackApiError) as excinfo:
        client.views_update(view_id=opened["id"], hash=opened["hash"], view=modal())  # stale hash
    assert api_error(excinfo) == "hash_conflict"


def test_views_update_unknown_view(fake: FakeSlack) -> None:
    with pytest.raises(SlackApiError) as excinfo:
        bot_client(fake).views_update(view_id="VNOPE", view=modal())
    assert api_error(excinfo) == "not_found"


# --------------------------------------------------------------------------- Block Kit rules


def _option(text: str = "room", value: str = "arn") -> dict[str, Any]:
    return {"text": {"type": "plain_text", "text": text}, "value": value}


def _options(count: int) -> list[dict[str, Any]]:
    return [_option(str(n), str(n)) for n in range(count)]


def _button(action_id: str = "go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": "Go"}, **extra}


def _input(element: dict[str, Any], block_id: str = "field") -> dict[str, Any]:
    return {"type": "input", "block_id": block_id, "label": {"type": "plain_text", "text": "Field"}, "element": element}


def _section(accessory: dict[str, Any]) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": "Pick"}, "accessory": accessory}


def _static_select(**fields: Any) -> dict[str, Any]:
    return {"type": "static_select", "action_id": "pick", **fields}


def _confirm(**overrides: str) -> dict[str, Any]:
    texts = {"title": "Sure?", "text": "This kicks them.", "confirm": "Kick", "deny": "Cancel", **overrides}
    return {key: {"type": "plain_text", "text": text} for key, text in texts.items()}


def view_refusal(fake: FakeSlack, blocks: list[dict[str, Any]]) -> list[str]:
    """What views.open answers to a modal with these blocks: [] when it opens it, else its messages."""
    try:
        bot_client(fake).views_open(trigger_id=fake.new_trigger_id(), view=modal(blocks=blocks))
    except SlackApiError as error:
        assert error.response["error"] == "invalid_arguments"
        return list(error.response["response_metadata"]["messages"])
    return []


def message_refusal(fake: FakeSlack, blocks: list[dict[str, Any]]) -> list[str]:
    """What chat.postMessage answers to a message with these blocks: [] when it posts it, else its messages."""
    fake.add_channel("C1")
    try:
        bot_client(fake).chat_postMessage(channel="C1", text="fallback", blocks=blocks)
    except SlackApiError as error:
        assert error.response["error"] == "invalid_blocks"
        return list(error.response["response_metadata"]["messages"])
    return []


def refused_at(messages: list[str], pointer: str) -> bool:
    return any(m.endswith(f"[json-pointer:{pointer}]") for m in messages)


def test_an_unknown_element_type_is_refused(fake: FakeSlack) -> None:
    messages = message_refusal(fake, [{"type": "actions", "elements": [{"type": "slider", "action_id": "s"}]}])

    assert refused_at(messages, "/blocks/0/elements/0/type"), messages
    assert message_refusal(fake, [{"type": "actions", "elements": [_button()]}]) == []


@pytest.mark.parametrize(
    ("block", "pointer"),
    [
        (_section({"type": "plain_text_input", "action_id": "typed"}), "/blocks/0/accessory/type"),
        (_section({"type": "datetimepicker", "action_id": "when"}), "/blocks/0/accessory/type"),
        (
            {"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]},
            "/blocks/0/elements/0/type",
        ),
        ({"type": "actions", "elements": [{"type": "mrkdwn", "text": "x"}]}, "/blocks/0/elements/0/type"),
        ({"type": "context", "elements": [_button()]}, "/blocks/0/elements/0/type"),
    ],
)
def test_an_element_where_slack_does_not_allow_it_is_refused(
    fake: FakeSlack, block: dict[str, Any], pointer: str
) -> None:
    messages = message_refusal(fake, [block])

    assert refused_at(messages, pointer), messages


def test_a_button_is_no_input_element_but_a_text_input_is(fake: FakeSlack) -> None:
    assert refused_at(view_refusal(fake, [_input(_button())]), "/view/blocks/0/element/type")
    assert view_refusal(fake, [_input({"type": "plain_text_input", "action_id": "typed"})]) == []
    assert message_refusal(fake, [_section(_button()), _section({"type": "overflow", "options": [_option()]})]) == []


@pytest.mark.parametrize(
    ("element", "pointer"),
    [
        (_static_select(), "/view/blocks/0/element"),
        (_static_select(options=[]), "/view/blocks/0/element/options"),
        (_static_select(options=[_option()] * 101), "/view/blocks/0/element/options"),
        ({"type": "radio_buttons", "action_id": "r", "options": _options(11)}, "/view/blocks/0/element/options"),
        ({"type": "checkboxes", "action_id": "c"}, "/view/blocks/0/element"),
        (_static_select(options=[{"text": _option()["text"]}]), "/view/blocks/0/element/options/0"),
    ],
)
def test_a_select_without_its_options_is_refused(fake: FakeSlack, element: dict[str, Any], pointer: str) -> None:
    messages = view_refusal(fake, [_input(element)])

    assert refused_at(messages, pointer), messages


def test_an_overflow_menu_takes_one_to_five_options(fake: FakeSlack) -> None:
    six = {"type": "overflow", "action_id": "more", "options": _options(6)}

    assert refused_at(message_refusal(fake, [_section(six)]), "/blocks/0/accessory/options")
    assert message_refusal(fake, [_section(six | {"options": six["options"][:5]})]) == []


def test_a_static_select_takes_options_or_option_groups_not_both(fake: FakeSlack) -> None:
    groups = [{"label": {"type": "plain_text", "text": "EU"}, "options": [_option()]}]

    assert view_refusal(fake, [_input(_static_select(option_groups=groups))]) == []
    messages = view_refusal(fake, [_input(_static_select(options=[_option()], option_groups=groups))])
    assert refused_at(messages, "/view/blocks/0/element"), messages


def test_an_initial_option_must_be_one_of_the_options(fake: FakeSlack) -> None:
    options = [_option("west", "w"), _option("east", "e")]
    groups = [{"label": {"type": "plain_text", "text": "US"}, "options": options}]

    for element in (_static_select(options=options), _static_select(option_groups=groups)):
        messages = view_refusal(fake, [_input(element | {"initial_option": _option("north", "n")})])
        assert refused_at(messages, "/view/blocks/0/element/initial_option"), messages
        assert view_refusal(fake, [_input(element | {"initial_option": _option("east", "e")})]) == []
    renamed = view_refusal(fake, [_input(_static_select(options=options, initial_option=_option("EAST", "e")))])
    assert refused_at(renamed, "/view/blocks/0/element/initial_option")
    boxes = {"type": "checkboxes", "action_id": "c", "options": options, "initial_options": [options[0], _option()]}
    assert refused_at(view_refusal(fake, [_input(boxes)]), "/view/blocks/0/element/initial_options/1")


def test_an_external_selects_initial_option_needs_no_list(fake: FakeSlack) -> None:
    picker = {"type": "external_select", "action_id": "room", "initial_option": _option("any room", "arn")}

    assert view_refusal(fake, [_input(picker)]) == []


def test_an_initial_value_longer_than_max_length_is_refused(fake: FakeSlack) -> None:
    field = {"type": "plain_text_input", "action_id": "reason", "max_length": 10}

    messages = view_refusal(fake, [_input(field | {"initial_value": "x" * 11})])

    assert refused_at(messages, "/view/blocks/0/element/initial_value"), messages
    assert view_refusal(fake, [_input(field | {"initial_value": "x" * 10})]) == []
    backwards = view_refusal(fake, [_input(field | {"min_length": 11})])
    assert refused_at(backwards, "/view/blocks/0/element/min_length"), backwards


def test_an_action_id_twice_in_one_block_is_refused(fake: FakeSlack) -> None:
    messages = message_refusal(fake, [{"type": "actions", "elements": [_button("go"), _button("go")]}])

    assert refused_at(messages, "/blocks/0/elements/1/action_id"), messages
    assert any('`action_id` "go" already exists' in m for m in messages)
    # Unique within the containing block is Slack's rule: blocks are told apart by their block_id.
    apart = [{"type": "actions", "block_id": b, "elements": [_button("go")]} for b in ("one", "two")]
    assert message_refusal(fake, apart) == []


@pytest.mark.parametrize(("field", "limit"), [("title", 100), ("text", 300), ("confirm", 30), ("deny", 30)])
def test_an_over_long_confirm_dialog_is_refused(fake: FakeSlack, field: str, limit: int) -> None:
    too_long = _button(confirm=_confirm(**{field: "x" * (limit + 1)}))

    messages = message_refusal(fake, [{"type": "actions", "elements": [too_long]}])

    assert refused_at(messages, f"/blocks/0/elements/0/confirm/{field}/text"), messages
    at_limit = _button(confirm=_confirm(**{field: "x" * limit}))
    assert message_refusal(fake, [{"type": "actions", "elements": [at_limit]}]) == []


def test_an_over_long_option_group_label_is_refused(fake: FakeSlack) -> None:
    def grouped(label: str) -> dict[str, Any]:
        return _static_select(option_groups=[{"label": {"type": "plain_text", "text": label}, "options": [_option()]}])

    messages = view_refusal(fake, [_input(grouped("x" * 76))])

    assert refused_at(messages, "/view/blocks/0/element/option_groups/0/label/text"), messages
    assert view_refusal(fake, [_input(grouped("x" * 75))]) == []


# --------------------------------------------------------------------------- chat


def test_post_message_records_and_returns_increasing_ts(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    client = bot_client(fake)

    first = client.chat_postMessage(channel="C1", text="kicked viewer")
    second = client.chat_postMessage(
        channel="C1", text="fallback", blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "*done*"}}]
    )

    assert first["channel"] == "C1"
    assert float(second["ts"]) > float(first["ts"])
    assert [m["text"] for m in fake.messages] == ["kicked viewer", "fallback"]
    assert fake.messages[1]["blocks"][0]["type"] == "section"


@pytest.mark.parametrize(
    ("setup", "kwargs", "error"),
    [
        ({}, {"channel": "CUNKNOWN", "text": "hi"}, "channel_not_found"),
        ({"bot_is_member": False}, {"channel": "C1", "text": "hi"}, "not_in_channel"),
        ({"archived": True}, {"channel": "C1", "text": "hi"}, "is_archived"),
        ({}, {"channel": "C1"}, "no_text"),
        ({}, {"channel": "C1", "text": "x" * 40_001}, "msg_too_long"),
        ({}, {"channel": "C1", "text": "hi", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        (
            {},
            {
                "channel": "C1",
                "text": "hi",
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}],
            },
            "invalid_blocks",
        ),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing:UserWarning")
def test_post_message_failures(fake: FakeSlack, setup: dict[str, Any], kwargs: dict[str, Any], error: str) -> None:
    fake.add_channel("C1", **setup)

    with pytest.raises(SlackApiError) as excinfo:
        bot_client(fake).chat_postMessage(**kwargs)

    assert api_error(excinfo) == error
    assert fake.messages == []


def test_post_ephemeral(fake: FakeSlack) -> None:
    fake.add_channel("C1", members=["U1"])
    client = bot_client(fake)

    response = client.chat_postEphemeral(channel="C1", user="U1", text="only you")

    assert response["message_ts"]
    assert fake.ephemerals[0]["user"] == "U1"
    with pytest.raises(SlackApiError) as excinfo:
        client.chat_postEphemeral(channel="C1", user="U2", text="only you")
    assert api_error(excinfo) == "user_not_in_channel"


def test_a_direct_message_is_opened_once_and_takes_posts(fake: FakeSlack) -> None:
    client = bot_client(fake)

    first = client.conversations_open(users="U1")["channel"]["id"]
    again = client.conversations_open(users="U1")["channel"]["id"]
    client.chat_postMessage(channel=first, text="your kick's outcome")

    assert first == again and first.startswith("D")
    assert [m["text"] for m in fake.direct_messages("U1")] == ["your kick's outcome"]
    assert fake.direct_messages("U2") == []
    with pytest.raises(SlackApiError) as excinfo:
        client.api_call("conversations.open", params={})
    assert api_error(excinfo) == "users_list_not_supplied"


def test_views_push_needs_a_fresh_trigger_and_a_valid_view(fake: FakeSlack) -> None:
    client = bot_client(fake)

    assert client.views_push(trigger_id=fake.new_trigger_id(), view=modal())["view"]["id"]
    with pytest.raises(SlackApiError) as excinfo:
        client.views_push(trigger_id=fake.new_trigger_id(), view=modal(private_metadata="x" * 3001))
    assert api_error(excinfo) == "invalid_arguments"


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        ({"options": [_option()]}, False),
        ({"options": []}, False),
        ({"options": [_option("x" * 76)]}, True),
        ({"options": [_option(value="v" * 151)]}, True),
        ({"options": [_option()] * 101}, True),
        ({"option_groups": [{"label": {"type": "plain_text", "text": "eu"}, "options": [_option()]}]}, False),
        ({"option_groups": [{"label": {"type": "plain_text", "text": "x" * 76}, "options": [_option()]}]}, True),
        ({}, True),
    ],
)
def test_options_answers_are_held_to_slacks_limits(answer: dict[str, Any], refused: bool) -> None:
    assert bool(options_problems(answer)) is refused
    assert bool(answer_problems("block_suggestion", answer)) is refused


def test_acks_are_held_to_message_and_view_limits() -> None:
    assert answer_problems("slash_commands", {"text": "x" * 40_001}) == ["msg_too_long"]
    assert answer_problems("slash_commands", {"text": "usage", "response_type": "ephemeral"}) == []
    too_long = {"response_action": "update", "view": modal(private_metadata="x" * 3001)}
    assert answer_problems("view_submission", too_long)
    assert answer_problems("view_submission", {"response_action": "errors", "errors": {"reason": "too long"}}) == []
    assert answer_problems("slash_commands", None) == []


SUBMITTED = {"type": "view_submission", "view": modal() | {"id": "V1", "state": {"values": {}}}}


@pytest.mark.parametrize(
    ("answer", "refused"),
    [
        ({"response_action": "errors", "errors": {"reason": "Too long: 300 characters, at most 256."}}, False),
        ({"response_action": "errors", "errors": {"room": "Pick a room."}}, True),  # no such block
        ({"response_action": "errors", "errors": {}}, True),
        ({"response_action": "errors", "errors": {"reason": ""}}, True),
        ({"response_action": "clear"}, False),
        ({"response_action": "close"}, True),
        ({"response_action": "push", "view": modal()}, False),
        ({"response_action": "push"}, True),
        ({"response_action": "update", "view": modal(blocks=[_input(_button())])}, True),
        ({"response_action": "update", "view": modal(private_metadata="x" * 3000)}, False),
        ({}, False),
    ],
)
def test_a_view_submission_ack_is_held_to_slacks_rules(answer: dict[str, Any], refused: bool) -> None:
    assert bool(answer_problems("view_submission", answer, SUBMITTED)) is refused


def test_errors_must_name_an_input_block_of_the_submitted_view() -> None:
    view = modal(blocks=[{"type": "section", "block_id": "summary", "text": {"type": "mrkdwn", "text": "Kick"}}])
    submitted = {"type": "view_submission", "view": view}

    problems = answer_problems("view_submission", {"response_action": "errors", "errors": {"summary": "x"}}, submitted)

    assert problems == [
        "[ERROR] summary is not the block_id of an input block of the submitted view [json-pointer:/errors/summary]"
    ]


def test_an_updated_view_too_large_for_views_update_is_refused_in_an_ack() -> None:
    huge = modal(blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}] * 90)

    assert answer_problems("view_submission", {"response_action": "update", "view": huge}, SUBMITTED) == [
        "view_too_large"
    ]


def test_a_slash_command_ack_is_a_message_with_a_known_response_type() -> None:
    assert answer_problems("slash_commands", {"text": "usage", "response_type": "in_channel"}) == []
    assert answer_problems("slash_commands", {"text": "usage", "response_type": "public"})
    duplicated = {"text": "x", "blocks": [{"type": "actions", "elements": [_button(), _button()]}]}
    assert answer_problems("slash_commands", duplicated)


# --------------------------------------------------------------------------- user groups & rate limits


def test_usergroups_users_list(fake: FakeSlack) -> None:
    fake.set_group_members("S0MODS", ["U1", "U2"])
    client = bot_client(fake)

    assert client.usergroups_users_list(usergroup="S0MODS")["users"] == ["U1", "U2"]
    with pytest.raises(SlackApiError) as excinfo:
        client.usergroups_users_list(usergroup="S0NOPE")
    assert api_error(excinfo) == "no_such_subteam"


def test_usergroups_users_list_is_rate_limited_per_minute() -> None:
    with FakeSlack(usergroups_users_list_per_minute=3) as fake:
        fake.set_group_members("S0MODS", ["U1"])
        client = bot_client(fake, retry_handlers=[])
        for _ in range(3):
            client.usergroups_users_list(usergroup="S0MODS")

        with pytest.raises(SlackApiError) as excinfo:
            client.usergroups_users_list(usergroup="S0MODS")

        assert excinfo.value.response.status_code == 429
        assert api_error(excinfo) == "ratelimited"
        assert 1 <= int(excinfo.value.response.headers["Retry-After"]) <= 60
        calls = fake.calls_to("usergroups.users.list")
        assert [c.status for c in calls] == [200, 200, 200, 429]


# --------------------------------------------------------------------------- injection


def test_fail_next_injects_errors_then_recovers(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    fake.fail_next("chat.postMessage", error="internal_error", status=500)
    fake.fail_next("chat.postMessage", error="ratelimited", status=429, retry_after=7)
    client = bot_client(fake, retry_handlers=[])

    with pytest.raises(SlackApiError) as first:
        client.chat_postMessage(channel="C1", text="hi")
    with pytest.raises(SlackApiError) as second:
        client.chat_postMessage(channel="C1", text="hi")
    third = client.chat_postMessage(channel="C1", text="hi")

    assert first.value.response.status_code == 500
    assert api_error(first) == "internal_error"
    assert second.value.response.status_code == 429
    assert second.value.response.headers["Retry-After"] == "7"
    assert third["ok"] is True
    assert len(fake.messages) == 1


def test_set_delay_holds_the_answer(fake: FakeSlack) -> None:
    fake.set_delay("auth.test", 0.3)
    started = time.monotonic()

    bot_client(fake).auth_test()

    assert time.monotonic() - started >= 0.3


def test_wait_for_times_out_with_context(fake: FakeSlack) -> None:
    bot_client(fake).auth_test()
    with pytest.raises(AssertionError, match="auth.test -> ok"):
        fake.wait_for_calls("chat.postMessage", timeout=0.1)


# --------------------------------------------------------------------------- chaos


def post_once(fake: FakeSlack, **kwargs: Any) -> Any:
    """One chat.postMessage with no client-side retries, so each fault shows as the client meets it."""
    return bot_client(fake, retry_handlers=[], **kwargs).chat_postMessage(channel="C1", text="hi")


def test_chaos_ratelimited_answers_429_with_retry_after_1(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    fake.set_chaos(seed=1, rate=1.0, kinds=("ratelimited",))

    with pytest.raises(SlackApiError) as excinfo:
        post_once(fake)

    assert excinfo.value.response.status_code == 429
    assert api_error(excinfo) == "ratelimited"
    assert excinfo.value.response.headers["Retry-After"] == "1"
    assert not fake.messages
    assert [(f.method, f.kind, f.applied) for f in fake.chaos_log] == [("chat.postMessage", "ratelimited", False)]


def test_chaos_server_errors_are_500_or_503_and_change_nothing(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    fake.set_chaos(seed=3, rate=1.0, kinds=("server_error",))

    statuses = set()
    for _ in range(12):
        with pytest.raises(SlackApiError) as excinfo:
            post_once(fake)
        statuses.add(excinfo.value.response.status_code)

    assert statuses == {500, 503}
    assert not fake.messages and fake.chaos_tally() == {"server_error": 12}


def test_chaos_drop_closes_the_connection_before_slack_reads_the_call(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    fake.set_chaos(seed=1, rate=1.0, kinds=("drop",))

    with pytest.raises((ConnectionError, urllib.error.URLError)):
        post_once(fake)

    assert not fake.messages and not fake.calls_to("chat.postMessage")
    assert [(f.kind, f.applied, f.call) for f in fake.chaos_log] == [("drop", False, None)]


def test_chaos_drops_are_ridden_out_by_slack_sdk_retries_and_post_once(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    fake.limit_channel_posts(burst=6)  # six posts at once: this is about drops, not the channel's pace
    fake.set_chaos(seed=7, rate=0.5, kinds=("drop",))
    retry = ConnectionErrorRetryHandler(max_retry_count=8, interval_calculator=FixedValueRetryIntervalCalculator(0.01))
    client = bot_client(fake, retry_handlers=[retry])

    for n in range(6):
        client.chat_postMessage(channel="C1", text=f"post {n}")

    assert [m["text"] for m in fake.messages] == [f"post {n}" for n in range(6)]
    assert len(fake.calls_to("chat.postMessage")) == 6
    assert fake.chaos_tally()["drop"] >= 1


def test_chaos_timeout_carries_the_call_out_and_loses_the_answer(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    fake.set_chaos(seed=1, rate=1.0, kinds=("timeout",), hold=0.6)

    with pytest.raises((TimeoutError, urllib.error.URLError)):
        post_once(fake, timeout=0.2)  # the client gave up while the fake held the answer (0.6 s)

    assert [m["text"] for m in fake.messages] == ["hi"]  # Slack did post it
    [fault] = fake.chaos_log
    assert (fault.kind, fault.applied) == ("timeout", True)
    assert fault.call is fake.calls_to("chat.postMessage")[0] and fault.call.ok


def test_chaos_spares_auth_test_and_connections_open_unless_named(fake: FakeSlack) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("server_error",))
    assert bot_client(fake, retry_handlers=[]).auth_test()["ok"] is True
    assert WebClient(base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["ok"] is True

    fake.set_chaos(seed=1, rate=1.0, kinds=("server_error",), methods={"auth.test"})
    with pytest.raises(SlackApiError):
        bot_client(fake, retry_handlers=[]).auth_test()


def test_chaos_covers_only_the_methods_named(fake: FakeSlack) -> None:
    fake.add_channel("C1")
    fake.set_chaos(seed=1, rate=1.0, methods={"views.open"}, kinds=("server_error",))

    assert post_once(fake)["ok"] is True
    with pytest.raises(SlackApiError):
        bot_client(fake, retry_handlers=[]).views_open(trigger_id=fake.new_trigger_id(), view=modal())
    assert [f.method for f in fake.chaos_log] == ["views.open"]


def test_chaos_is_replayed_by_its_seed_and_turned_off_by_calm_or_rate_0() -> None:
    def statuses(seed: int) -> list[int]:
        with FakeSlack() as fake:
            fake.add_channel("C1")
            fake.set_chaos(seed=seed, rate=0.5, kinds=("ratelimited", "server_error"))
            seen = []
            for _ in range(24):
                try:
                    post_once(fake)
                    seen.append(200)
                except SlackApiError as error:
                    seen.append(error.response.status_code)
            return seen

    first = statuses(11)
    assert first == statuses(11) and first != statuses(12)
    assert 200 in first and set(first) - {200}

    with FakeSlack() as fake:
        fake.add_channel("C1")
        fake.set_chaos(seed=1, rate=1.0)
        fake.calm()
        assert post_once(fake)["ok"] is True
        fake.set_chaos(seed=1, rate=0)
        assert post_once(fake)["ok"] is True
        assert not fake.chaos_log


def test_chaos_reaches_response_urls_only_when_asked(fake: FakeSlack) -> None:
    fake.set_chaos(seed=1, rate=1.0, kinds=("server_error",))
    url = fake.new_response_url()
    assert WebhookClient(url, retry_handlers=[]).send(text="shown").status_code == 200

    fake.set_chaos(seed=1, rate=1.0, kinds=("server_error",), response_urls=True)
    refused = WebhookClient(url, retry_handlers=[]).send(text="lost")

    assert refused.status_code in (500, 503)
    assert [p.body["text"] for p in fake.posted_responses] == ["shown"]
    assert [(f.method, f.kind) for f in fake.chaos_log] == [(RESPONSE_URL, "server_error")]


def test_set_chaos_rejects_unknown_kinds_and_rates(fake: FakeSlack) -> None:
    with pytest.raises(ValueError):
        fake.set_chaos(seed=1, rate=0.5, kinds=("meteor",))
    with pytest.raises(ValueError):
        fake.set_chaos(seed=1, rate=1.5)


# --------------------------------------------------------------------------- response URLs


def test_response_url_accepts_posts_from_webhook_client(fake: FakeSlack) -> None:
    url = fake.new_response_url()

    response = WebhookClient(url).send(text="Viewer kicked", response_type="ephemeral")

    assert (response.status_code, response.body) == (200, "ok")
    assert fake.posted_responses[0].url == url
    assert fake.posted_responses[0].body == {"text": "Viewer kicked", "response_type": "ephemeral"}


def test_response_url_limits(fake: FakeSlack) -> None:
    url = fake.new_response_url()
    client = WebhookClient(url)

    assert client.send_dict({}).status_code == 400  # no_text
    for _ in range(5):
        assert client.send(text="ok").status_code == 200
    used = client.send(text="one too many")
    unknown = WebhookClient(fake.base_url + "/commands/T0000TEST/1/nope").send(text="x")

    assert (used.status_code, used.body) == (404, "used_url")
    assert (unknown.status_code, unknown.body) == (404, "no_service")
    assert len(fake.posted_responses) == 5


def test_a_response_url_expires_after_30_minutes_without_waiting_for_them(fake: FakeSlack) -> None:
    young, old = fake.new_response_url(), fake.new_response_url()
    fake.age_response_url(young, 29 * 60)
    fake.age_response_url(old, 30 * 60 + 1)

    assert WebhookClient(young).send(text="in time").status_code == 200
    expired = WebhookClient(old).send(text="too late")

    assert (expired.status_code, expired.body) == (404, "expired_url")
    assert [p.url for p in fake.posted_responses] == [young]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"text": "x" * 40_001}, "msg_too_long"),
        (
            {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]},
            "invalid_blocks",
        ),
        ({"text": "t", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
    ],
)
def test_a_response_url_refuses_what_chat_post_message_refuses(
    fake: FakeSlack, message: dict[str, Any], error: str
) -> None:
    answer = WebhookClient(fake.new_response_url()).send_dict(message)

    assert (answer.status_code, answer.body) == (400, error)
    assert fake.posted_responses == []


# --------------------------------------------------------------------------- Socket Mode


@pytest.fixture
def socket_client(fake: FakeSlack) -> Iterator[SocketModeClient]:
    client = SocketModeClient(app_token=fake.app_token, web_client=WebClient(base_url=fake.api_url))

    def ack_with_payload(sm: SocketModeClient, request: SocketModeRequest) -> None:
        payload = {"text": f"handled {request.type}"} if request.type != "events_api" else None
        sm.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=payload))

    client.socket_mode_request_listeners.append(ack_with_payload)
    yield client
    # The builtin client's close() waits out its 3 s receive timeout; the fake's shutdown
    # closes the socket from the server side, which releases it immediately.
    client.auto_reconnect_enabled = False
    threading.Thread(target=client.close, daemon=True).start()


def test_socket_mode_envelope_round_trip(fake: FakeSlack, socket_client: SocketModeClient) -> None:
    socket_client.connect()
    fake.wait_for_socket_client(timeout=5)

    payload = fake.send_envelope("slash_commands", {"command": "/kick", "text": "viewer-1"})

    assert payload == {"text": "handled slash_commands"}
    assert fake.send_envelope("events_api", {"event": {"type": "app_mention"}}) is None
    assert [a.envelope_type for a in fake.acks] == ["slash_commands", "events_api"]
    assert fake.calls_to("apps.connections.open")[0].token == fake.app_token


def test_a_retried_event_envelope_says_which_retry_it_is(fake: FakeSlack, socket_client: SocketModeClient) -> None:
    seen: list[tuple[int | None, str | None]] = []
    socket_client.socket_mode_request_listeners.insert(
        0, lambda _, request: seen.append((request.retry_attempt, request.retry_reason))
    )
    socket_client.connect()
    fake.wait_for_socket_client(timeout=5)

    fake.send_envelope("events_api", {"event": {"type": "subteam_members_changed"}})
    fake.send_envelope("events_api", {"event": {"type": "subteam_members_changed"}}, retry_attempt=1)

    assert seen == [(0, ""), (1, "timeout")]


def test_socket_mode_client_reconnects_after_disconnect(fake: FakeSlack, socket_client: SocketModeClient) -> None:
    socket_client.connect()
    fake.wait_for_socket_client(timeout=5)

    fake.disconnect_socket_clients()

    fake.wait_for(lambda: fake.socket_connections_opened == 2 and fake.socket_client_count == 1)
    assert len(fake.calls_to("apps.connections.open")) == 2
    assert fake.send_envelope("interactive", {"type": "block_actions"}) == {"text": "handled interactive"}


def test_socket_mode_tickets_are_single_use(fake: FakeSlack) -> None:
    url = WebClient(base_url=fake.api_url).apps_connections_open(app_token=fake.app_token)["url"]

    with ws_connect(url) as first:
        hello = json.loads(first.recv(timeout=2))
        assert hello["type"] == "hello"
        assert hello["connection_info"]["app_id"]
        with pytest.raises(InvalidStatus):
            ws_connect(url)


def test_send_envelope_without_client_fails(fake: FakeSlack) -> None:
    with pytest.raises(AssertionError, match="no Socket Mode client"):
        fake.send_envelope("slash_commands", {"command": "/kick"})


def test_an_ack_after_slacks_3_seconds_is_a_failure(fake: FakeSlack, socket_client: SocketModeClient) -> None:
    release = threading.Event()
    socket_client.socket_mode_request_listeners.insert(0, lambda _, request: release.wait(30))
    socket_client.connect()
    fake.wait_for_socket_client(timeout=5)

    try:
        with pytest.raises(AckTimedOut, match=r"within Slack's 3.0s \(the user sees an error\)"):
            fake.send_envelope("slash_commands", {"command": "/kick", "text": "viewer-1"})
    finally:
        release.set()

    assert ACK_DEADLINE == fake.ack_deadline == 3.0
    fake.wait_for(lambda: len(fake.unmatched_socket_messages) == 1)  # the late ack came, and counted for nothing
    assert fake.acks == []


def test_an_event_acked_late_is_one_slack_sends_again(fake: FakeSlack, socket_client: SocketModeClient) -> None:
    release = threading.Event()
    socket_client.socket_mode_request_listeners.insert(0, lambda _, request: release.wait(30))
    socket_client.connect()
    fake.wait_for_socket_client(timeout=5)

    try:
        with pytest.raises(AckTimedOut, match="Slack sends the event again"):
            fake.send_envelope("events_api", {"event": {"type": "subteam_members_changed"}}, deadline=0.1)
    finally:
        release.set()


def test_an_ack_slack_would_refuse_fails_in_socket_mode(fake: FakeSlack, socket_client: SocketModeClient) -> None:
    def ack_wrongly(sm: SocketModeClient, request: SocketModeRequest) -> None:
        payload = {"text": "usage", "response_type": "public"}
        sm.send_socket_mode_response(SocketModeResponse(envelope_id=request.envelope_id, payload=payload))

    socket_client.socket_mode_request_listeners.insert(0, ack_wrongly)
    socket_client.connect()
    fake.wait_for_socket_client(timeout=5)

    with pytest.raises(AckRefused, match="response_type"):
        fake.send_envelope("slash_commands", {"command": "/kick", "text": ""})


class _HeldAnswers(BaseHTTPRequestHandler):
    """A Request URL that answers 200 once ``release`` is set."""

    release = threading.Event()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        self.release.wait(30)
        try:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        except OSError:
            pass  # Slack had hung up

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_request_url_that_answers_after_3_seconds_has_failed() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _HeldAnswers)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    try:
        _HeldAnswers.release.clear()
        with pytest.raises(AckTimedOut, match="within Slack's 3.0s"):
            post_to_app(url, b"{}", {"Content-Type": "application/json"})
        _HeldAnswers.release.set()
        assert post_to_app(url, b"{}", {"Content-Type": "application/json"}) == (200, "")
    finally:
        _HeldAnswers.release.set()
        server.shutdown()
        server.server_close()


def test_chat_update_changes_only_a_message_the_bot_posted_in_that_channel():
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    from rig.fakes.slack import FakeSlack

    with FakeSlack() as fake:
        fake.add_channel("C0AUDIT")
        fake.add_channel("C0OTHER")
        client = WebClient(token=fake.bot_token, base_url=fake.api_url)
        ts = client.chat_postMessage(channel="C0AUDIT", text="before")["ts"]
        client.chat_update(channel="C0AUDIT", ts=ts, text="after")
        assert fake.messages[0]["text"] == "after" and fake.updates[0]["ts"] == ts
        for channel, stamp in (("C0OTHER", ts), ("C0AUDIT", "1.000001")):
            try:
                client.chat_update(channel=channel, ts=stamp, text="x")
            except SlackApiError as error:
                assert error.response["error"] == "message_not_found"
            else:
                raise AssertionError("updated a message that does not exist")


class StepClock:
    """The rate windows' clock, stepped by hand: a loaded machine cannot stretch it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_channel_posts_are_limited_per_channel_from_the_start() -> None:
    clock = StepClock()
    with FakeSlack(clock=clock) as fake:
        fake.add_channel("C1")
        fake.add_channel("C2")
        client = bot_client(fake, retry_handlers=[])
        for _ in range(3):
            client.chat_postMessage(channel="C1", text="burst")

        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="C1", text="one too many")

        assert excinfo.value.response.status_code == 429 and api_error(excinfo) == "ratelimited"
        assert excinfo.value.response.headers["Retry-After"] == "1"
        assert client.chat_postMessage(channel="C2", text="another channel has its own budget")["ok"]
        clock.now += 0.9
        with pytest.raises(SlackApiError):
            client.chat_postMessage(channel="C1", text="not a second yet")
        clock.now += 0.1
        assert client.chat_postMessage(channel="C1", text="a second later: one more")["ok"]
        assert len(fake.messages) == 5


def test_limit_channel_posts_sets_the_burst_and_pace() -> None:
    clock = StepClock()
    with FakeSlack(clock=clock) as fake:
        fake.add_channel("C1")
        fake.limit_channel_posts(burst=1, per_second=0.25)
        client = bot_client(fake, retry_handlers=[])
        client.chat_postMessage(channel="C1", text="first")
        with pytest.raises(SlackApiError) as excinfo:
            client.chat_postMessage(channel="C1", text="second")
        assert excinfo.value.response.headers["Retry-After"] == "4"
        clock.now += 4
        assert client.chat_postMessage(channel="C1", text="second, four seconds later")["ok"]


@pytest.mark.parametrize(
    ("method", "per_minute"),
    [("conversations.history", 50), ("chat.postEphemeral", 100)],  # Tier 3 and Tier 4
)
def test_history_and_ephemeral_posts_are_limited_per_minute_at_their_tier(method: str, per_minute: int) -> None:
    clock = StepClock()
    with FakeSlack(clock=clock) as fake:
        fake.add_channel("C1")
        client = bot_client(fake, retry_handlers=[])

        def call() -> Any:
            if method == "conversations.history":
                return client.conversations_history(channel="C1")
            return client.chat_postEphemeral(channel="C1", user="U1", text="only you")

        for n in range(per_minute):
            call()
            clock.now += 0.5 if n == 0 else 0.01
        with pytest.raises(SlackApiError) as excinfo:
            call()

        assert excinfo.value.response.status_code == 429 and api_error(excinfo) == "ratelimited"
        assert excinfo.value.response.headers["Retry-After"] == str(math.ceil(60 - clock.now + 1000.0))
        clock.now = 1060.0  # the first call has left the minute
        assert call()["ok"]
        with pytest.raises(SlackApiError):
            call()  # the others have not
        assert [c.status for c in fake.calls_to(method)] == [200] * per_minute + [429, 200, 429]


def test_a_channel_post_over_the_limit_passes_after_retry_after() -> None:
    with FakeSlack() as fake:
        fake.add_channel("C1")
        fake.limit_channel_posts(burst=2, per_second=1.0)
        client = bot_client(fake, retry_handlers=[RateLimitErrorRetryHandler(max_retry_count=1)])
        for _ in range(3):
            client.chat_postMessage(channel="C1", text="hi")
        assert [c.status for c in fake.calls_to("chat.postMessage")] == [200, 200, 429, 200]
