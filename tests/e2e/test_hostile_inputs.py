"""The hostile-input corpus (tests/data/hostile_inputs.json) through the real bot in both modes.

Each entry is its own test case, named by the entry's `name`. It gets the answer the corpus names (a modal,
the form, usage, a history reply, or an error naming the field) and, whatever happens: the bot keeps running,
nothing invalid reaches AWS, AWS is asked to disconnect someone only when a kick was confirmed, and no mention,
link or date token from an input reaches Slack unescaped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rig.drive import submission_payload
from rig.world import MODERATOR, ROOM, Bot, everything_sent, ivs_world, launch, rendered_text, slack_world

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


@pytest.fixture(scope="module", params=["http", "socket"])
def corpus_bot(request, tmp_path_factory) -> Iterator[Bot]:
    """One bot per mode for the whole corpus: each case starts from whatever the cases before it left, which none
    of them depends on (no expectation rests on an empty case store)."""
    with slack_world() as slack, ivs_world() as ivs:
        bot = launch(slack, ivs, request.param, tmp_path_factory.mktemp(f"corpus-{request.param}"))
        try:
            yield bot
        finally:
            bot.process.stop()


@dataclass(frozen=True)
class Mark:
    """How much Slack and IVS Chat had seen when a case began, so a case is judged on what it caused."""

    calls: int
    responses: int
    aws: int
    disconnects: int

    @classmethod
    def now(cls, bot: Bot) -> Mark:
        return cls(len(bot.slack.calls), len(bot.slack.posted_responses), len(bot.ivs.requests), len(bot.ivs.calls))


def _sent_since(bot: Bot, mark: Mark) -> str:
    """Text the bot sent to Slack since `mark` (an audit post that lands after its own case is charged to the next)."""
    calls = bot.slack.calls[mark.calls :]
    sent = [c.params for c in calls if c.method in {"chat.postMessage", "views.open", "views.update"}]
    return rendered_text([*sent, *(p.body for p in bot.slack.posted_responses[mark.responses :])])


def _assert_unharmed(bot: Bot, mark: Mark, name: str, *, kicked: bool) -> None:
    """Whatever the input: the bot runs on, AWS saw only valid requests (a kick only when one was confirmed), and
    nothing the bot sent carries a live mention, link or date token."""
    bot.process.assert_running()
    assert "Traceback" not in bot.process.logs(), name
    aws = bot.ivs.requests[mark.aws :]
    assert all(call.status == 200 for call in aws), [(c.operation, c.status, c.error) for c in aws]
    assert (len(bot.ivs.calls) > mark.disconnects) == kicked, (name, bot.ivs.calls[mark.disconnects :])
    sent = _sent_since(bot, mark)
    assert not [raw for raw in DANGEROUS if raw in sent], (name, sent)


COMMANDS = [pytest.param(entry, id=entry["name"]) for entry in CORPUS["commands"]]
MODAL_REASONS = [pytest.param(entry, id=entry["name"]) for entry in CORPUS["modal_reasons"]]
FORM_USERS = [pytest.param(entry, id=entry["name"]) for entry in CORPUS["form_users"]]


def test_the_corpus_keeps_every_kind_of_input_under_its_own_name():
    names = [entry["name"] for part in ("commands", "modal_reasons", "form_users") for entry in CORPUS[part]]
    assert len(names) >= 40 and len(set(names)) == len(names)


@pytest.mark.parametrize("entry", COMMANDS)
def test_a_hostile_command(corpus_bot, entry):
    bot, mark, expect = corpus_bot, Mark.now(corpus_bot), entry["expect"]
    sent = entry["sent"] if "sent" in entry else as_slack_sends(entry["text"])
    ack, trigger_id, response_url = bot.command(sent.replace("{ROOM}", ROOM))
    if expect.startswith("error:"):
        assert ack and FIELD_WORDS[expect[6:]].lower() in ack["text"].lower(), ack
    elif expect == "usage":
        assert "Usage:" in ack["text"], ack
    elif expect == "form":
        assert bot.opened_view(trigger_id)["callback_id"] == "ivs_kick_form"
    elif expect == "look_back":
        assert bot.wait_reply(response_url).startswith(("No cases for ", "Last "))
    else:
        view = bot.opened_view(trigger_id)
        assert view["callback_id"] == "ivs_kick_confirm"
        reason = next(b for b in view["blocks"] if b.get("block_id") == "reason")["element"].get("initial_value")
        assert bot.submit(view, reason) is None
        assert "Case #" in bot.wait_reply(response_url)
    _assert_unharmed(bot, mark, entry["name"], kicked=expect == "modal")


@pytest.mark.parametrize("entry", MODAL_REASONS)
def test_a_hostile_reason_typed_into_the_modal(corpus_bot, entry):
    bot, mark = corpus_bot, Mark.now(corpus_bot)
    _, trigger_id, response_url = bot.command(f"{ROOM} modal-{entry['name']}")
    ack = bot.submit(bot.opened_view(trigger_id), entry["reason"])
    if entry["expect"] == "errors":
        assert ack["response_action"] == "errors" and "Reason" in ack["errors"]["reason"], ack
    else:
        assert ack is None and "Case #" in bot.wait_reply(response_url), ack
    _assert_unharmed(bot, mark, entry["name"], kicked=entry["expect"] == "kicked")


@pytest.mark.parametrize("entry", FORM_USERS)
def test_hostile_users_typed_into_the_form(corpus_bot, entry):
    bot, mark = corpus_bot, Mark.now(corpus_bot)
    _, trigger_id, response_url = bot.command("")
    form = bot.opened_view(trigger_id)
    payload = submission_payload(form, user_id=MODERATOR, reason=None)
    payload["view"]["state"]["values"].update({
        "room": {"room": {"type": "external_select", "selected_option": {"text": {"type": "plain_text", "text": "r"},
                                                                        "value": ROOM}}},
        "users": {"users": {"type": "plain_text_input", "value": entry["users"]}},
    })  # fmt: skip
    ack = bot.driver.interaction(payload)
    if entry["expect"].startswith("errors:"):
        assert ack["response_action"] == "errors" and set(ack["errors"]) == {entry["expect"][7:]}, ack
    else:
        assert ack is None and "Case #" in bot.wait_reply(response_url), ack
    _assert_unharmed(bot, mark, entry["name"], kicked=entry["expect"] == "kicked")


def test_a_backtick_in_a_user_id_cannot_break_out_of_its_code_span(bot):
    hostile = "a`<!channel>`b"  # IVS Chat's model gives UserID no pattern: any 1-128 characters
    kick = bot.kick(f"{ROOM} {as_slack_sends(hostile)} spam")
    _, _, history_url = bot.command(f"history {as_slack_sends(hostile)}")
    history = bot.wait_shown(history_url)

    assert bot.ivs.disconnect_count(ROOM, hostile) == 1  # AWS got the ID exactly as typed
    shown = "aˋ&lt;!channel&gt;ˋb"  # the backticks as U+02CB, the mention as text
    post = kick.audit["text"] + json.dumps(kick.audit["blocks"], ensure_ascii=False)
    for text in (post, kick.reply, history):
        assert "a`" not in text and "`b" not in text and "<!channel>" not in text
    assert f"`{shown}`" in post and f"`{shown}`" in history and shown in kick.reply
    sent = everything_sent(bot.slack)
    assert "a`" not in sent and "<!channel>" not in sent
