"""How Slack talks to the app: requests signed as Slack signs them, the payloads it sends, and drivers that send
them over HTTP or Socket Mode and hold each ack to Slack's terms."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from rig.fakes.slack import ACK_DEADLINE, check_ack, post_to_app

SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TEAM_ID = "T0000TEST"
INVOKED_IN = "C0STREAM"


def sign(body: bytes, timestamp: int | None = None, secret: str = SIGNING_SECRET) -> dict[str, str]:
    """Headers exactly as Slack signs a request: v0=HMAC-SHA256(secret, "v0:{ts}:{body}")."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}


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


def select_state(view: dict[str, Any], chosen: dict[str, str] | None = None) -> dict[str, Any]:
    """The state Slack sends of a view's static selects: each input block's initial option, or the option whose
    value `chosen` names for that block (an AssertionError if the select has none)."""
    values: dict[str, Any] = {}
    for block in view.get("blocks") or []:
        element = block.get("element") or {}
        if block.get("type") != "input" or element.get("type") != "static_select":
            continue
        option = element.get("initial_option")
        if chosen and block["block_id"] in chosen:
            [option] = [o for o in element["options"] if o["value"] == chosen[block["block_id"]]]
        values[block["block_id"]] = {element["action_id"]: {"type": "static_select", "selected_option": option}}
    return values


def submission_payload(
    opened_view: dict[str, Any], *, user_id: str, reason: str | None, chosen: dict[str, str] | None = None
) -> dict[str, Any]:
    """A view_submission for a modal the bot opened, with the reason field as the moderator left it and each select
    as initially chosen, or as `chosen` (block ID → option value) says."""
    view = dict(opened_view)
    view["state"] = {
        "values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}, **select_state(view, chosen)}
    }
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


def select_payload(view: dict[str, Any], *, user_id: str, block_id: str, value: str, trigger_id: str) -> dict[str, Any]:
    """A block_actions payload: someone chose the option `value` of a dispatching select in an open modal."""
    block = next(b for b in view["blocks"] if b.get("block_id") == block_id)
    [option] = [o for o in block["element"]["options"] if o["value"] == value]
    state = select_state(view) | {
        block_id: {block["element"]["action_id"]: {"type": "static_select", "selected_option": option}}
    }
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_id.lower(), "team_id": TEAM_ID},
        "api_app_id": "A0000TEST",
        "token": "deprecated-verification-token",
        "container": {"type": "view", "view_id": view["id"]},
        "trigger_id": trigger_id,
        "team": {"id": TEAM_ID, "domain": "streamers"},
        "view": {**view, "state": {"values": state}},
        "actions": [
            {
                "type": "static_select",
                "action_id": block["element"]["action_id"],
                "block_id": block_id,
                "selected_option": option,
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
