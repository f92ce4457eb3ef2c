"""Command text as real Slack sends it (markup, entities, lists typed with spaces) and text that is not Unicode,
through the real bot in both modes against the fake IVS Chat, whose DisconnectUser enforces the service model."""

from __future__ import annotations

import json

from rig.drive import button_payload, submission_payload
from rig.world import AUDIT_CHANNEL, ROOM, BotProcess, everything_sent


def slack_escaped(text: str) -> str:
    """Slack sends &, < and > in slash command text as entities; a raw < only ever opens markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _export(bot) -> list[dict]:
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    assert code == 0
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _look(bot, text: str) -> str:
    _, _, response_url = bot.command(text)
    return bot.wait_shown(response_url)


def _fields(post: dict) -> dict[str, str]:
    texts = [f["text"] for b in post["blocks"] if b["type"] == "section" for f in b.get("fields", [])]
    return {t.split("\n", 1)[0].strip("*"): t.split("\n", 1)[1] for t in texts}


def test_an_email_sent_as_slack_markup_disconnects_that_email_and_a_mention_is_refused(bot):
    kick = bot.kick(f"{ROOM} <mailto:troll@example.com|troll@example.com> spam")
    assert [(c.user_id, c.reason, c.status) for c in bot.ivs.disconnects()] == [("troll@example.com", "spam", 200)]
    assert "Disconnected troll@example.com" in kick.reply
    assert _fields(kick.audit)["IVS user ID"] == "`troll@example.com`"

    ack, trigger_id, _ = bot.command(f"{ROOM} raider1, <@U0BOSS|boss> spam")
    assert "User ID must be the viewer's IVS Chat user ID, not a Slack mention" in ack["text"]
    assert "a mention of the Slack member \u201c@boss\u201d (U0BOSS)" in ack["text"]
    assert not [c for c in bot.slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id]

    bot.kick(f"{ROOM} raider1, raider2, raider3 raid <!here>")
    assert [(c.user_id, c.reason) for c in bot.ivs.disconnects()[1:]] == [
        (user, "raid @here") for user in ("raider1", "raider2", "raider3")
    ]  # fmt: skip
    sent_to_aws = [(c.user_id or "") + (c.reason or "") for c in bot.ivs.disconnects()]
    assert not any(mark in text for text in sent_to_aws for mark in "<|>")
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 3)
    assert "<@U0BOSS" not in everything_sent(bot.slack) and "<!here" not in everything_sent(bot.slack)
    invalid = [c for c in _export(bot) if c["status"] == "invalid"]
    assert [c["command_text"] for c in invalid] == [f"{ROOM} raider1, @boss spam"]


def test_ampersands_and_angle_brackets_are_decoded_once_and_shown_escaped_once(bot):
    user, reason = "a&b<c>", "Tom & Jerry <3"
    kick = bot.kick(f"{ROOM} {slack_escaped(user)} {slack_escaped(reason)}")
    [call] = bot.ivs.disconnects()
    assert (call.user_id, call.reason) == (user, reason)

    fields = _fields(kick.audit)
    assert fields["Reason"] == "Tom &amp; Jerry &lt;3" and fields["IVS user ID"] == "`a&amp;b&lt;c&gt;`"
    assert "reason: Tom &amp; Jerry &lt;3" in kick.audit["text"]
    assert "Disconnected a&amp;b&lt;c&gt; from" in kick.reply
    history = _look(bot, f"history {slack_escaped(user)}")
    assert "IVS user a&amp;b&lt;c&gt;" in history and "`a&amp;b&lt;c&gt;`" in history
    assert "Tom &amp; Jerry &lt;3" in history

    _, _, refused_url = bot.command(f"{ROOM} {slack_escaped(user)} {slack_escaped(reason)}", user="U0RANDOM")
    assert "Case #2: Nothing was done" in bot.wait_reply(refused_url)
    ack, _, _ = bot.command(f"{ROOM} {slack_escaped('<&>' * 43)}")  # 129 characters: refused, shown as typed
    assert "User ID must be 1–128 characters; got 129 characters: \u201c&lt;&amp;&gt;&lt;&amp;&gt;" in ack["text"]
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 3)
    assert _fields(bot.audit_posts()[1])["Command"] == f"/ivs-kick {ROOM} a&amp;b&lt;c&gt; Tom &amp; Jerry &lt;3"
    assert "&amp;amp;" not in everything_sent(bot.slack) and "<3" not in everything_sent(bot.slack)
    kicked, refused, invalid = _export(bot)
    assert invalid["command_text"] == f"{ROOM} {'<&>' * 43}"
    assert (kicked["reason"], refused["reason"], refused["command_text"]) == (reason, reason, f"{ROOM} {user} {reason}")
    assert [t["user_id"] for case in (kicked, refused) for t in case["targets"]] == [user, user]


def _edit_reason_modal(bot, post: dict) -> dict:
    trigger_id = bot.slack.new_trigger_id()
    [actions] = [b for b in post["blocks"] if b["type"] == "actions"]
    bot.driver.interaction(
        button_payload(
            post, AUDIT_CHANNEL, user_id="U0MOD", action_id=actions["elements"][0]["action_id"],
            value=actions["elements"][0]["value"], trigger_id=trigger_id, response_url=bot.slack.new_response_url(),
        )
    )  # fmt: skip
    return bot.opened_view(trigger_id)


def _submit_form(bot, form: dict, room: str, users: str, reason: str) -> dict | None:
    payload = submission_payload(form, user_id="U0MOD", reason=reason)
    payload["view"]["state"]["values"].update({
        "room": {"room": {"type": "external_select",
                          "selected_option": {"text": {"type": "plain_text", "text": "r"}, "value": room}}},
        "users": {"users": {"type": "plain_text_input", "value": users}},
    })  # fmt: skip
    return bot.driver.interaction(payload)


def test_a_lone_surrogate_in_any_text_field_is_refused_on_that_field(bot):
    """JSON carries a lone surrogate as `\\ud800`: in an interaction's payload in both modes, and in a command's
    payload over Socket Mode. A command over HTTP is form-encoded, where such bytes are not UTF-8."""
    surrogate = "\ud800"
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer1 spam")
    view = bot.opened_view(trigger_id)
    ack = bot.submit(view, f"bad {surrogate} reason")
    assert ack["response_action"] == "errors" and list(ack["errors"]) == ["reason"]
    assert ack["errors"]["reason"].startswith("Reason must be Unicode text, but character 5 is a lone surrogate")
    assert bot.submit(view, "spam") is None and "Case #1:" in bot.wait_reply(response_url)

    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 1)
    ack = bot.submit(_edit_reason_modal(bot, bot.slack.messages[0]), f"x{surrogate}")
    assert ack["response_action"] == "errors" and "Reason must be Unicode text" in ack["errors"]["reason"]

    _, trigger_id, _ = bot.command("")
    ack = _submit_form(bot, bot.opened_view(trigger_id), f"main{surrogate}", f"ok\nbad{surrogate}", surrogate)
    assert ack["response_action"] == "errors" and set(ack["errors"]) == {"room", "users", "reason"}
    assert ack["errors"]["users"].startswith("User ID must be Unicode text, but character 4 is a lone surrogate")
    assert ack["errors"]["room"].startswith("Room must be Unicode text")

    suggestion = {
        "type": "block_suggestion", "user": {"id": "U0MOD"}, "team": {"id": "T0000TEST"}, "api_app_id": "A0000TEST",
        "token": "x", "action_id": "room", "block_id": "room", "value": f"ma{surrogate}", "view": {"id": "V1"},
    }  # fmt: skip
    assert bot.driver.interaction(suggestion) == {"options": []}

    ack, trigger_id, _ = bot.command(f"{ROOM} vie{surrogate}wer spam")
    if bot.mode == "socket":
        assert "User ID must be Unicode text, but character 4 is a lone surrogate" in ack["text"]
    else:  # the form decoder already replaced the bytes that are not UTF-8 with U+FFFD
        assert "`vie\ufffd\ufffd\ufffdwer`" in json.dumps(bot.opened_view(trigger_id), ensure_ascii=False)

    bot.process.assert_running()
    assert "Traceback" not in bot.process.logs()
    assert [c.user_id for c in bot.ivs.disconnects()] == ["viewer1"]
    cases = _export(bot)
    assert [c["reason"] for c in cases] == ["spam"] + ([None] if bot.mode == "socket" else [])
    if bot.mode == "socket":  # the refused command is on record, the surrogate as U+FFFD
        assert cases[1]["status"] == "invalid" and cases[1]["command_text"] == f"{ROOM} vie\ufffdwer spam"
