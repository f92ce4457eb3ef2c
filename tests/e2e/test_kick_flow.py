"""The core flow end to end, in both modes: command → modal → Kick → DisconnectUser → audit post → reply."""

from __future__ import annotations

import pytest

from rig.drive import INVOKED_IN, event_payload
from rig.world import AUDIT_CHANNEL, GROUP, GROUP_MODERATOR, MODERATOR, ROOM, ROOM_EU, everything_sent


def test_happy_path(bot):
    kick = bot.kick(f"{ROOM} viewer42 spam and abuse")

    assert kick.command_ack is None  # acked with no text: the modal is the answer
    assert kick.view["title"]["text"] == "Kick from IVS Chat" and kick.view["submit"]["text"] == "Kick"
    shown = repr(kick.view["blocks"])
    assert ROOM in shown and "viewer42" in shown and "No, kick only* disconnects the viewer" in shown
    [ban] = [b for b in kick.view["blocks"] if b.get("block_id") == "ban"]
    assert ban["label"]["text"] == "Ban" and ban["element"]["initial_option"]["text"]["text"] == "No, kick only"
    assert kick.submit_ack is None  # the modal closes

    [call] = bot.ivs.disconnects()
    assert (call.room_arn, call.user_id, call.reason, call.region) == (ROOM, "viewer42", "spam and abuse", "us-west-2")

    assert kick.audit["channel"] == AUDIT_CHANNEL
    audit = repr(kick.audit["blocks"]) + kick.audit["text"]
    for expected in (
        "Kicked",
        f"<@{MODERATOR}>",
        ROOM,
        "viewer42",
        "spam and abuse",
        call.request_id,
        f"<#{INVOKED_IN}>",
    ):
        assert expected in audit
    assert "Disconnected viewer42" in kick.reply and call.request_id in kick.reply
    assert f"Audit record posted in <#{AUDIT_CHANNEL}>" in kick.reply


def test_help_answers_with_usage(bot):
    ack, _, _ = bot.command("help")
    assert "Usage: /ivs-kick &lt;room&gt; &lt;user-id&gt;[,&lt;user-id&gt;…] [reason]" in ack["text"]
    assert "/ivs-kick history" in ack["text"] and not bot.slack.calls_to("views.open")


@pytest.mark.parametrize(
    ("text", "field", "fragment"),
    [
        ("main/stage viewer42", "room", "a room ID, a room name or an alias"),
        (f"{ROOM} ,,", "user", "User ID is missing"),
        (f"{ROOM} {'u' * 129}", "user", "1–128 characters; got 129"),
        (f"{ROOM} viewer42 {'r' * 257}", "reason", "1–256 characters; got 257"),
        (f"{ROOM}/ viewer42", "room", "IVS Chat room ARN"),
        (f"{ROOM} " + ",".join(f"u{i}" for i in range(501)), "user", "At most 500 user IDs per request; got 501"),
        ("arn:aws:ivs:us-west-2:123456789012:channel/abc viewer42", "room", "IVS Chat room ARN"),
    ],
)
def test_bad_input_is_explained_with_no_modal_and_no_aws_call(start_bot, text, field, fragment):
    bot = start_bot("http")
    ack, _, _ = bot.command(text)
    assert fragment in ack["text"]
    # It is a case, and its author is told so, and where it will be shown.
    assert ack["text"].startswith(":warning: Case #1: ")
    assert f"The attempt is on record and will be shown in <#{AUDIT_CHANNEL}>." in ack["text"]
    assert not bot.slack.calls_to("views.open") and not bot.ivs.calls


def test_reason_edited_in_the_modal_is_the_one_sent(bot):
    bot.kick(f'{ROOM} viewer42 "spam and abuse"', reason="edited: repeated slurs")
    assert bot.ivs.disconnects()[0].reason == "edited: repeated slurs"


def test_quoted_reason_is_prefilled_without_quotes(start_bot):
    bot = start_bot("http")
    kick = bot.kick(f'{ROOM} viewer42 "spam and abuse"')
    assert bot.ivs.disconnects()[0].reason == "spam and abuse"
    assert "spam and abuse" in repr(kick.view["blocks"])


def test_absent_or_cleared_reason_is_not_sent_at_all(start_bot):
    bot = start_bot("http")
    bot.kick(f"{ROOM} viewer42")
    bot.kick(f"{ROOM} viewer43 spam", reason="")
    assert [c.reason for c in bot.ivs.disconnects()] == [None, None]
    assert b'"reason"' not in bot.ivs.disconnects()[1].raw_body


def test_reason_too_long_at_submit_is_an_error_on_the_field(start_bot):
    bot = start_bot("http")
    _, trigger_id, _ = bot.command(f"{ROOM} viewer42")
    ack = bot.submit(bot.opened_view(trigger_id), "x" * 257)
    assert ack["response_action"] == "errors" and "257" in ack["errors"]["reason"]
    assert not bot.ivs.calls


def test_room_in_another_region_is_kicked_in_that_region(start_bot):
    bot = start_bot("http")
    bot.kick(f"{ROOM_EU} viewer42")
    assert bot.ivs.disconnects()[0].region == "eu-central-1"


def test_a_group_member_is_a_moderator(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)
    kick = bot.kick(f"{ROOM} viewer42", user=GROUP_MODERATOR)
    assert "Disconnected viewer42" in kick.reply
    assert len(bot.slack.calls_to("usergroups.users.list")) == 1


def test_a_non_moderator_is_refused_politely_with_no_modal(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_MODERATOR_GROUP=GROUP)
    ack, _, response_url = bot.command(f"{ROOM} viewer42", user="U0RANDOM")
    assert ack is None
    reply = bot.wait_reply(response_url)
    assert "not an IVS Chat moderator" in reply
    assert not bot.slack.calls_to("views.open") and not bot.ivs.calls


def test_a_moderator_removed_while_the_modal_is_open_cannot_kick(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42", user=GROUP_MODERATOR)
    view = bot.opened_view(trigger_id)
    bot.slack.set_group_members(GROUP, [])
    bot.driver.event(
        event_payload(
            {
                "type": "subteam_members_changed",
                "subteam_id": GROUP,
                "added_users": [],
                "removed_users": [GROUP_MODERATOR],
                "added_users_count": 0,
                "removed_users_count": 1,
            }
        )
    )
    bot.submit(view, "spam", user=GROUP_MODERATOR)
    reply = bot.wait_reply(response_url)
    assert "not an IVS Chat moderator" in reply
    assert not bot.ivs.calls
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 1)  # the outbox's thread posts refusals, not the listener
    [audit] = bot.audit_posts()
    assert "Kick refused" in audit["text"]


def test_a_missed_revocation_is_caught_by_the_cache_age_limit(start_bot):
    bot = start_bot(
        "http", IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP, IVS_KICK_MODERATOR_CACHE_SECONDS="0"
    )
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42", user=GROUP_MODERATOR)
    view = bot.opened_view(trigger_id)
    bot.slack.set_group_members(GROUP, [])  # no event reaches the bot
    bot.submit(view, None, user=GROUP_MODERATOR)
    assert "not an IVS Chat moderator" in bot.wait_reply(response_url)
    assert not bot.ivs.calls


def test_with_no_moderators_configured_everyone_is_refused(start_bot):
    bot = start_bot("http", IVS_KICK_MODERATORS=None)
    _, _, response_url = bot.command(f"{ROOM} viewer42")
    assert "not an IVS Chat moderator" in bot.wait_reply(response_url)
    bot.slack.wait_for(lambda: "no moderators configured" in bot.process.logs())


def test_mentions_in_reason_and_user_id_never_ping(bot):
    # Slack sends < > & in command text as entities; the moderator typed <!channel> and <@U0BOSS>.
    kick = bot.kick(
        "{} &lt;@U0BOSS&gt; &lt;!channel&gt; &lt;!here&gt; &lt;https://evil.example|ok&gt; &amp;".format(ROOM)
    )
    assert bot.ivs.disconnects()[0].user_id == "<@U0BOSS>"
    assert bot.ivs.disconnects()[0].reason == "<!channel> <!here> <https://evil.example|ok> &"
    sent = everything_sent(bot.slack)
    for raw in ("<!channel>", "<!here>", "<@U0BOSS>", "<https://evil"):
        assert raw not in sent
    assert "&lt;!channel&gt;" in kick.audit["text"]


def test_a_mention_typed_into_the_modal_reason_never_pings(start_bot):
    bot = start_bot("http")
    bot.kick(f"{ROOM} viewer42", reason="<!everyone> <!subteam^S0ALL>")
    sent = everything_sent(bot.slack)
    assert "<!everyone>" not in sent and "<!subteam" not in sent


def test_logs_are_structured_and_hold_no_secret(start_bot, mode):
    bot = start_bot(mode)
    bot.kick(f"{ROOM} viewer42 spam")
    logged = ('"msg": "command"', '"msg": "kick"')
    bot.slack.wait_for(lambda: all(line in bot.process.logs() for line in logged))  # written a moment later
    logs = bot.process.logs()
    for secret in (bot.slack.bot_token, bot.slack.app_token, bot.ivs.secret_key, "8f742231b10e8888abcd99yyyzzz85a5"):
        assert secret not in logs
    assert '"msg": "command"' in logs and '"msg": "kick"' in logs and '"result": "kicked"' in logs


def test_a_modal_slack_will_not_open_is_explained(start_bot):
    bot = start_bot("http")
    bot.slack.fail_next("views.open", error="expired_trigger_id")
    _, _, response_url = bot.command(f"{ROOM} viewer42")
    reply = bot.wait_reply(response_url)
    assert "could not be opened (Slack said expired_trigger_id)" in reply and "Nothing was done" in reply
    assert not bot.ivs.calls
