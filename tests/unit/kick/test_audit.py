from datetime import datetime, timezone

import pytest

from bot.kick.audit import BACKTICK_STAND_IN, EDIT_REASON_ACTION, audit_record, code_span, escape_mrkdwn, summary_record
from bot.kick.cases import Amendment, Case, Status, Target

ROOM = "arn:aws:ivschat:eu-west-1:123456789012:room/g1H2I3j4k5L6"
AT = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)


def case(**overrides) -> Case:
    fields = dict(
        number=42,
        created_at=AT,
        moderator_id="U0MOD",
        team_id="T0",
        channel_id="C0CHAN",
        status=Status.KICKED,
        room_arn=ROOM,
        reason="spam",
        targets=(Target("viewer42", "kicked", "Disconnected viewer42.", "req-123"),),
    )
    return Case(**(fields | overrides))


def _everything(record):
    return record.text + repr(record.blocks)


def test_escaping_covers_slacks_three_control_characters():
    assert escape_mrkdwn("<!channel> & <@U123|x>") == "&lt;!channel&gt; &amp; &lt;@U123|x&gt;"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("a`<!channel>`b", "`aˋ&lt;!channel&gt;ˋb`"),
        ("` `*bold*`", "`ˋ ˋ*bold*ˋ`"),
        ("```triple```", "`ˋˋˋtripleˋˋˋ`"),
        ("`", "`ˋ`"),
        ("a`\n*b*", "`aˋ *b*`"),
        ("x\r\n<@U0BOSS>", "`x &lt;@U0BOSS&gt;`"),
    ],
)
def test_a_code_span_holds_whatever_text_it_is_given(text, shown):
    span = code_span(text)
    assert span == shown
    assert span.count("`") == 2 and span.startswith("`") and span.endswith("`")  # one span, never broken out of
    assert "<" not in span and "\n" not in span and "\r" not in span


def test_a_backtick_typed_outside_a_code_span_cannot_open_one():
    assert escape_mrkdwn("said `rm -rf` & left") == f"said {BACKTICK_STAND_IN}rm -rf{BACKTICK_STAND_IN} &amp; left"


def test_a_user_id_with_backticks_stays_inside_its_code_span_in_the_audit_post():
    hostile = "a`<!channel>`b"
    one = audit_record(case(targets=(Target(hostile, "kicked", f"Disconnected {hostile} from {ROOM}.", "r-1"),)))
    several = audit_record(
        case(status=Status.PARTIAL, targets=(Target(hostile, "kicked"), Target("`*x*`", "throttled", "slow down")))
    )
    for record in (one, several):
        everything = _everything(record)
        assert code_span(hostile) in everything and "a`" not in everything and "<!channel>" not in everything
    assert code_span("`*x*`") in _everything(several)


def test_mentions_typed_anywhere_never_reach_slack_unescaped():
    record = audit_record(
        case(
            reason="<!channel> <@U0BOSS> <!subteam^S1> <https://evil|ok>",
            targets=(Target("<!here>", "kicked", "done <!everyone>", "r-1"),),
            amendments=(
                Amendment(AT, "U0MOD", "<!channel> before", "<!channel> <@U0BOSS> <!subteam^S1> <https://evil|ok>"),
            ),
        )
    )
    everything = _everything(record)
    for raw in ("<!here>", "<!channel>", "<@U0BOSS>", "<!subteam", "<https://evil", "<!everyone>"):
        assert raw not in everything
    assert "&lt;!channel&gt;" in everything


def test_the_record_names_case_outcome_moderator_room_user_reason_time_request_and_place():
    record = audit_record(case())
    everything = _everything(record)
    for expected in (
        "Case #42",
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
    assert "req-123" in record.text and "<@U0MOD>" in record.text and "Case #42" in record.text
    assert EDIT_REASON_ACTION in everything


def test_failure_refusal_interruption_and_invalid_input_say_so():
    failed = audit_record(case(status=Status.FAILED, targets=(Target("viewer42", "room_not_found", "no room"),)))
    assert "Kick failed" in failed.text and "room_not_found" in failed.text
    refusal = case(status=Status.REFUSED, targets=(Target("viewer42", "refused"),), detail="not a moderator")
    refused = audit_record(refusal)
    assert "Kick refused" in refused.text and "not a moderator" in repr(refused.blocks)
    unknown = audit_record(case(status=Status.INTERRUPTED, targets=(Target("viewer42"),), detail="stopped"))
    assert "Outcome unknown" in unknown.text
    invalid = audit_record(
        case(
            status=Status.INVALID,
            room_arn=None,
            targets=(),
            reason=None,
            command_text="main-stage <!channel>",
            detail="Room must be an ARN",
        )
    )
    assert "Invalid kick request" in invalid.text and "&lt;!channel&gt;" in repr(invalid.blocks)
    assert EDIT_REASON_ACTION not in repr(invalid.blocks)


def test_an_amended_reason_shows_who_changed_it_and_what_it_was():
    record = audit_record(case(reason="slurs", amendments=(Amendment(AT, "U0LEAD", "spam", "slurs"),)))
    assert "amended by <@U0LEAD>" in repr(record.blocks) and "was: spam" in repr(record.blocks)


def _bulk(results):
    targets = tuple(Target(f"user-{i:03d}-" + "x" * 110, result, f"msg {result}") for i, result in enumerate(results))
    return case(targets=targets, status=Status.PARTIAL)


def test_a_partial_bulk_kick_says_how_many_and_lists_every_user_grouped_problems_first():
    record = audit_record(_bulk(["kicked"] * 3 + ["room_not_found"] * 2))
    assert "Partly kicked" in record.text and "3 of 5 viewers" in record.text
    sections = [b["text"]["text"] for b in record.blocks if b["type"] == "section" and "text" in b]
    assert sections[1].startswith("*room_not_found (2)*") and sections[2].startswith("*kicked (3)*")
    # Each problem told once; who was kicked is in the sections, so their message is not repeated.
    assert repr(record.blocks).count("msg room_not_found") == 1 and "msg kicked" not in repr(record.blocks)


def test_a_raids_details_name_each_distinct_problem_and_count_what_does_not_fit():
    targets = tuple(
        Target(f"viewer{i}", "kicked" if i < 300 else "failed", f"Disconnected viewer{i} from the room.")
        if i < 300
        else Target(f"viewer{i}", "failed", f"IVS Chat answered ValidationException: bad viewer{i} " + "x" * 100)
        for i in range(400)
    )
    [detail] = [b for b in audit_record(case(targets=targets, status=Status.PARTIAL)).blocks if b["type"] == "context"]
    text = detail["elements"][0]["text"]
    assert len(text) <= 3000 and "Disconnected viewer" not in text
    assert text.startswith("IVS Chat answered ValidationException: bad viewer300 ") and text.endswith(" more")
    shown = text.count("IVS Chat answered")
    assert text.endswith(f"… and {100 - shown} more")


def test_five_hundred_long_ids_fit_slacks_block_limits():
    record = audit_record(_bulk(["kicked"] * 250 + ["throttled"] * 250))
    everything = repr(record.blocks)
    assert len(record.blocks) <= 50 and len(record.text) < 40_000
    for block in record.blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    assert sum(f"user-{i:03d}-" in everything for i in range(500)) == 500  # nobody left out


def test_a_summary_names_when_its_attempts_were_made_and_how_many_of_each_kind():
    made = [AT, AT.replace(second=2), AT.replace(second=1)]
    covered = [
        case(number=11 + n, status=status, created_at=at, moderator_id="U0FLOOD")
        for n, (status, at) in enumerate(zip([Status.REFUSED, Status.INVALID, Status.REFUSED], made))
    ]
    record = summary_record(covered)
    assert "3 more refused or invalid attempts* by <@U0FLOOD>" in record.blocks[0]["text"]["text"]
    assert "between <!date^1795705200^" in record.text and "|2026-11-26 15:00:02 UTC>" in record.text
    assert "(2 refused, 1 invalid): cases #11–#13" in record.text
    assert record.metadata["event_payload"] == {"case": 11, "summary_of": 3}
    assert "made at <!date^1795705200^" in summary_record(covered[:1]).text
