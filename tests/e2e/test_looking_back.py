"""History, one case in full, and reason edits on the audit post: moderators only."""

from __future__ import annotations

from rig.drive import button_payload
from rig.world import AUDIT_CHANNEL, GROUP, MODERATOR, ROOM, ROOM_EU

EDIT = "ivs_kick_edit_reason"


def _look(bot, text, user=MODERATOR):
    ack, _, response_url = bot.command(text, user=user)
    assert ack is None
    bot.wait_reply(response_url)
    return [p.body for p in bot.slack.posted_responses if p.url == response_url][0]


def _shown(body):
    """A reply's blocks' text, or its text when it has no blocks."""
    return "\n".join(b["text"]["text"] for b in body.get("blocks") or []) or body["text"]


def test_history_by_user_and_by_room_newest_first_with_links(start_bot, mode):
    bot = start_bot(mode)
    bot.kick(f"{ROOM} viewer42 first")
    bot.kick(f"{ROOM_EU} viewer42 second")
    bot.kick(f"{ROOM} someone-else third")

    by_user = _shown(_look(bot, "history viewer42"))
    assert "Last 2 cases for IVS user viewer42" in by_user
    assert by_user.index("#2") < by_user.index("#1") and "#3" not in by_user
    assert f"/archives/{AUDIT_CHANNEL}/p" in by_user  # each case links to its audit post

    by_room = _shown(_look(bot, f"history {ROOM} 1"))
    assert "Last 1 case for room" in by_room and "#3" in by_room and "#1" not in by_room
    assert "No cases for IVS user nobody" in _look(bot, "history nobody")["text"]


def test_one_case_in_full(start_bot):
    bot = start_bot("http")
    bot.kick(f"{ROOM} viewer42 spam")
    body = _look(bot, "case 1")
    everything = body["text"] + repr(body["blocks"])
    assert "Case #1 · Kicked" in everything and "viewer42" in everything and "spam" in everything
    assert "view in channel" in everything
    assert _look(bot, "case 99")["text"] == "There is no case #99."


def test_history_and_cases_are_for_moderators_only(start_bot):
    bot = start_bot("http", IVS_KICK_MODERATOR_GROUP=GROUP)
    bot.kick(f"{ROOM} viewer42 spam")
    for text in ("history viewer42", "case 1"):
        reply = _look(bot, text, user="U0RANDOM")["text"]
        assert "not an IVS Chat moderator" in reply and "viewer42" not in reply


def _click_edit(bot, post, user):
    trigger_id, response_url = bot.slack.new_trigger_id(), bot.slack.new_response_url()
    [block] = [b for b in post["blocks"] if b["type"] == "actions"]
    value = block["elements"][0]["value"]
    bot.driver.interaction(
        button_payload(
            post,
            AUDIT_CHANNEL,
            user_id=user,
            action_id=EDIT,
            value=value,
            trigger_id=trigger_id,
            response_url=response_url,
        )
    )
    return trigger_id, response_url


def test_a_moderator_edits_the_reason_and_the_post_is_updated_in_place(start_bot, mode):
    bot = start_bot(mode)
    bot.kick(f"{ROOM} viewer42 spam")
    [post] = bot.slack.messages
    trigger_id, _ = _click_edit(bot, post, MODERATOR)
    modal = bot.opened_view(trigger_id)
    assert "spam" in repr(modal["blocks"])
    assert bot.submit(modal, "<!channel> slurs and spam") is None

    bot.slack.wait_for(lambda: len(bot.slack.updates) == 1)
    [update] = bot.slack.updates
    assert update["ts"] == post["ts"] and len(bot.slack.messages) == 1  # the same post, changed in place
    shown = repr(update["blocks"])
    assert "&lt;!channel&gt; slurs and spam" in shown and "amended by <@U0MOD>" in shown and "was: spam" in shown
    assert "<!channel>" not in shown
    case = _look(bot, "case 1")
    assert "spam → &lt;!channel&gt; slurs and spam" in repr(case["blocks"])
    assert len(bot.ivs.calls) == 1  # an edit never calls AWS


def test_someone_who_is_not_a_moderator_cannot_edit(start_bot):
    bot = start_bot("http", IVS_KICK_MODERATOR_GROUP=GROUP)
    bot.kick(f"{ROOM} viewer42 spam")
    [post] = bot.slack.messages
    trigger_id, response_url = _click_edit(bot, post, "U0RANDOM")
    assert "not an IVS Chat moderator" in bot.wait_reply(response_url)
    assert not [c for c in bot.slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id]
    assert not bot.slack.updates


def test_an_edited_reason_over_the_limit_is_an_error_on_the_field(start_bot):
    bot = start_bot("http")
    bot.kick(f"{ROOM} viewer42 spam")
    trigger_id, _ = _click_edit(bot, bot.slack.messages[0], MODERATOR)
    ack = bot.submit(bot.opened_view(trigger_id), "x" * 257)
    assert ack["response_action"] == "errors" and "257" in ack["errors"]["reason"]
    assert not bot.slack.updates
