from datetime import datetime, timezone

from bot.kick.audit import KickAttempt, audit_record, escape_mrkdwn
from bot.kick.ivs import Outcome, Result
from bot.kick.request import KickRequest

ROOM = "arn:aws:ivschat:eu-west-1:123456789012:room/g1H2I3j4k5L6"
AT = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)


def _everything(record):
    return record.text + repr(record.blocks)


def test_escaping_covers_slacks_three_control_characters():
    assert escape_mrkdwn("<!channel> & <@U123|x>") == "&lt;!channel&gt; &amp; &lt;@U123|x&gt;"


def test_mentions_typed_in_the_reason_or_user_id_never_reach_slack_unescaped():
    request = KickRequest(ROOM, "<!here>", "<!channel> <@U0BOSS> <!subteam^S1> <https://evil|ok>")
    record = audit_record(
        KickAttempt(request, "U0MOD", "C0CHAN", AT), Outcome(Result.KICKED, "done <!everyone>", "r-1")
    )
    everything = _everything(record)
    for raw in ("<!here>", "<!channel>", "<@U0BOSS>", "<!subteam", "<https://evil", "<!everyone>"):
        assert raw not in everything
    assert "&lt;!channel&gt;" in everything


def test_the_record_names_outcome_moderator_room_user_reason_time_request_and_place():
    request = KickRequest(ROOM, "viewer42", "spam")
    record = audit_record(KickAttempt(request, "U0MOD", "C0CHAN", AT), Outcome(Result.KICKED, "done", "req-123"))
    everything = _everything(record)
    for expected in (
        "Kicked",
        "<@U0MOD>",
        ROOM,
        "eu-west-1",
        "viewer42",
        "spam",
        "req-123",
        "<#C0CHAN>",
        f"<!date^{int(AT.timestamp())}^",
    ):
        assert expected in everything
    assert "req-123" in record.text and "<@U0MOD>" in record.text


def test_failure_and_refusal_say_so():
    request = KickRequest(ROOM, "viewer42", None)
    failed = audit_record(KickAttempt(request, "U0MOD", "C0CHAN", AT), Outcome(Result.ROOM_NOT_FOUND, "no room"))
    assert "Kick failed" in failed.text and "room_not_found" in failed.text and "none" in failed.text
    refused = audit_record(KickAttempt(request, "U0MOD", "C0CHAN", AT), None, "not a moderator")
    assert "Kick refused" in refused.text and "not a moderator" in repr(refused.blocks)
