"""The audit post's metadata and the history look-up, with the real slack_sdk client against the fake Slack."""

from datetime import datetime, timezone

from bot.delivery import audit_retry_handlers, find_posted, post_message, web_client
from bot.kick.audit import AuditRecord
from rig.fakes.slack import FakeSlack

NOW = datetime.now(timezone.utc)


def test_an_audit_post_can_be_found_again_by_its_case_number():
    with FakeSlack() as slack:
        slack.add_channel("C0AUDIT")
        slack.limit_channel_posts(burst=300)  # history seeded at once: this is not about the channel's pace
        client = web_client(slack.bot_token, slack.api_url)
        for number in range(1, 260):  # more than one page of history
            assert post_message(client, "C0AUDIT", AuditRecord(f"case {number}", [], number)).ts
        slack.add_channel("C0OTHER")
        post_message(client, "C0OTHER", AuditRecord("elsewhere", [], 999))
        assert find_posted(client, "C0AUDIT", 1, NOW) == slack.messages[0]["ts"]
        assert find_posted(client, "C0AUDIT", 259, NOW) == slack.messages[258]["ts"]
        assert find_posted(client, "C0AUDIT", 999, NOW) is None  # posted, but not in the audit channel
        assert slack.messages[0]["metadata"] == {"event_type": "ivs_kick_case", "event_payload": {"case": 1}}


def test_a_failed_look_up_answers_none_so_the_post_is_tried_rather_than_lost():
    with FakeSlack() as slack:
        slack.add_channel("C0AUDIT", bot_is_member=False)
        assert find_posted(web_client(slack.bot_token, slack.api_url), "C0AUDIT", 1, NOW) is None


def test_the_bots_clients_wait_out_slacks_retry_after_and_then_post():
    with FakeSlack() as slack:
        slack.add_channel("C0AUDIT")
        slack.limit_channel_posts(burst=1)  # one post, then one a second
        audit = web_client(slack.bot_token, slack.api_url, audit_retry_handlers())
        other = web_client(slack.bot_token, slack.api_url)

        for number, client in enumerate((audit, audit, other), 1):
            assert post_message(client, "C0AUDIT", AuditRecord(f"case {number}", [], number)).ts

        assert [c.status for c in slack.calls_to("chat.postMessage")] == [200, 429, 200, 429, 200]
        assert all(c.response.get("error") == "ratelimited" for c in slack.calls_to("chat.postMessage") if not c.ok)
        assert [m["text"] for m in slack.messages] == ["case 1", "case 2", "case 3"]
