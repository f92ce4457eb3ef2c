"""The hostile-input corpus (tests/data/hostile_inputs.json) through the real bot in both modes.

Each input gets the answer the corpus names (a modal, the form, usage, a history reply, or an error naming
the field) and, whatever happens: the bot keeps running, nothing invalid reaches AWS, and no mention, link
or date token from an input reaches Slack unescaped.
"""

from __future__ import annotations

import json
from pathlib import Path

from .conftest import ROOM, everything_sent
from .harness import submission_payload

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "hostile_inputs.json").read_text())
DANGEROUS = ("<!channel", "<!here", "<!everyone", "<@U0BOSS", "<!subteam", "<https://evil", "<#C0EVIL", "<!date^0")
FIELD_WORDS = {
    "room": "Room must be",
    "user": "user ID",
    "reason": "Reason must",
    "case": "case number must",
    "count": "N must be",
}


def as_slack_sends(text: str) -> str:
    """Slack escapes &, < and > in slash command text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _check_command(bot, entry) -> None:
    sent = entry["sent"] if "sent" in entry else as_slack_sends(entry["text"])
    ack, trigger_id, response_url = bot.command(sent.replace("{ROOM}", ROOM))
    expect = entry["expect"]
    if expect.startswith("error:"):
        assert ack and FIELD_WORDS[expect[6:]].lower() in ack["text"].lower(), (entry["name"], ack)
    elif expect == "usage":
        assert "Usage:" in ack["text"], entry["name"]
    elif expect == "form":
        assert bot.opened_view(trigger_id)["callback_id"] == "ivs_kick_form", entry["name"]
    elif expect == "look_back":
        assert "No cases for" in bot.wait_reply(response_url), entry["name"]
    else:
        view = bot.opened_view(trigger_id)
        assert view["callback_id"] == "ivs_kick_confirm", entry["name"]
        reason = next(b for b in view["blocks"] if b.get("block_id") == "reason")["element"].get("initial_value")
        assert bot.submit(view, reason) is None, entry["name"]
        assert "Case #" in bot.wait_reply(response_url), entry["name"]


def _check_modal_reason(bot, entry) -> None:
    _, trigger_id, response_url = bot.command(f"{ROOM} modal-{entry['name']}")
    ack = bot.submit(bot.opened_view(trigger_id), entry["reason"])
    if entry["expect"] == "errors":
        assert ack["response_action"] == "errors" and "Reason" in ack["errors"]["reason"], entry["name"]
    else:
        assert ack is None and "Case #" in bot.wait_reply(response_url), entry["name"]


def _check_form(bot, entry) -> None:
    _, trigger_id, response_url = bot.command("")
    form = bot.opened_view(trigger_id)
    payload = submission_payload(form, user_id="U0MOD", reason=None)
    payload["view"]["state"]["values"].update({
        "room": {"room": {"type": "external_select", "selected_option": {"text": {"type": "plain_text", "text": "r"},
                                                                        "value": ROOM}}},
        "users": {"users": {"type": "plain_text_input", "value": entry["users"]}},
    })  # fmt: skip
    ack = bot.driver.interaction(payload)
    if entry["expect"].startswith("errors:"):
        assert ack["response_action"] == "errors" and set(ack["errors"]) == {entry["expect"][7:]}, entry["name"]
    else:
        assert ack is None and "Case #" in bot.wait_reply(response_url), entry["name"]


def test_the_hostile_corpus(start_bot, mode):
    assert len(CORPUS["commands"]) + len(CORPUS["modal_reasons"]) + len(CORPUS["form_users"]) >= 40
    bot = start_bot(mode)
    for entry in CORPUS["commands"]:
        _check_command(bot, entry)
    for entry in CORPUS["modal_reasons"]:
        _check_modal_reason(bot, entry)
    for entry in CORPUS["form_users"]:
        _check_form(bot, entry)

    bot.process.assert_running()
    assert "Traceback" not in bot.process.logs()
    assert bot.ivs.calls and all(call.status == 200 for call in bot.ivs.calls)  # AWS never saw invalid data
    sent = everything_sent(bot.slack)
    for raw in DANGEROUS:
        assert raw not in sent, raw


def test_a_backtick_in_a_user_id_cannot_break_out_of_its_code_span(bot):
    hostile = "a`<!channel>`b"  # IVS Chat's model gives UserID no pattern: any 1-128 characters
    kick = bot.kick(f"{ROOM} {as_slack_sends(hostile)} spam")
    _, _, history_url = bot.command(f"history {as_slack_sends(hostile)}")
    history = bot.wait_reply(history_url)

    assert bot.ivs.disconnect_count(ROOM, hostile) == 1  # AWS got the ID exactly as typed
    shown = "aˋ&lt;!channel&gt;ˋb"  # the backticks as U+02CB, the mention as text
    post = kick.audit["text"] + json.dumps(kick.audit["blocks"], ensure_ascii=False)
    for text in (post, kick.reply, history):
        assert "a`" not in text and "`b" not in text and "<!channel>" not in text
    assert f"`{shown}`" in post and f"`{shown}`" in history and shown in kick.reply
    sent = everything_sent(bot.slack)
    assert "a`" not in sent and "<!channel>" not in sent
