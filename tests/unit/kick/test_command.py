from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kick.command import Help, ParseError, parse_command, unescape_slack
from bot.kick.request import KickOrder

ROOM = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6"


def test_bare_reason_is_the_rest_of_the_line():
    assert parse_command(f"{ROOM} viewer42 spam and abuse") == KickOrder(ROOM, ("viewer42",), "spam and abuse")


def test_quoted_reason_loses_its_quotes():
    assert parse_command(f'{ROOM} viewer42 "spam and abuse"').reason == "spam and abuse"


def test_smart_quotes_from_macos_autocorrect_count_as_quotes():
    assert parse_command(f"{ROOM} viewer42 \u201cspam and abuse\u201d").reason == "spam and abuse"


def test_absent_reason_is_none_not_empty():
    assert parse_command(f"{ROOM} viewer42").reason is None
    assert parse_command(f'{ROOM} viewer42 ""').reason is None


def test_quoted_user_id_may_contain_spaces():
    parsed = parse_command(f'{ROOM} "viewer with spaces" rude')
    assert parsed == KickOrder(ROOM, ("viewer with spaces",), "rude")


def test_help_asks_for_usage_and_no_text_or_only_a_room_asks_for_the_form():
    from bot.kick.command import FormRequest

    assert parse_command("help") == parse_command("HELP") == Help()
    assert parse_command("") == parse_command("   ") == FormRequest()
    assert parse_command("main-stage") == FormRequest("main-stage")


def test_slack_html_entities_are_turned_back_into_what_was_typed():
    parsed = parse_command(f"{ROOM} viewer42 &lt;!channel&gt; &amp; friends")
    assert parsed.reason == "<!channel> & friends"
    assert unescape_slack("&amp;lt;") == "&lt;"


def test_missing_user_names_the_field():
    parsed = parse_command(f"{ROOM} ,")
    assert isinstance(parsed, ParseError) and parsed.field == "user"


def test_a_room_may_be_a_name_id_or_alias_resolved_later():
    assert parse_command("main-stage viewer42") == KickOrder("main-stage", ("viewer42",), None)
    assert parse_command("g1H2I3j4k5L6 viewer42").room == "g1H2I3j4k5L6"


def test_bad_room_names_field_limit_and_given_value():
    parsed = parse_command("main/stage viewer42")
    assert isinstance(parsed, ParseError) and parsed.field == "room"
    assert "main/stage" in parsed.message and "arn:aws:ivschat" in parsed.message and "128" in parsed.message


def test_room_arn_of_another_service_or_partition_is_refused():
    for room in (
        "arn:aws:ivs:us-west-2:123456789012:channel/abc",
        "arn:aws-cn:ivschat:cn-north-1:123456789012:room/abc",
        ROOM + "/",
        ROOM + "x" * 100,
    ):
        assert isinstance(parse_command(f"{room} viewer"), ParseError), room


def test_user_id_over_128_characters_is_refused_with_the_count():
    parsed = parse_command(f"{ROOM} {'u' * 129}")
    assert isinstance(parsed, ParseError) and parsed.field == "user"
    assert "1–128" in parsed.message and "129 characters" in parsed.message


def test_reason_over_256_characters_is_refused_with_the_count():
    parsed = parse_command(f"{ROOM} viewer {'r' * 257}")
    assert isinstance(parsed, ParseError) and parsed.field == "reason"
    assert "1–256" in parsed.message and "257 characters" in parsed.message


def test_reason_of_exactly_256_characters_is_accepted():
    assert parse_command(f"{ROOM} viewer {'r' * 256}").reason == "r" * 256


def test_control_characters_are_refused():
    assert parse_command(f"{ROOM} vie\x00wer").field == "user"
    assert parse_command(f"{ROOM} viewer bad\x07reason").field == "reason"


def test_a_huge_paste_is_shown_shortened_in_the_message():
    parsed = parse_command(f"{ROOM} viewer {'x' * 10_000}")
    assert isinstance(parsed, ParseError) and len(parsed.message) < 300


@settings(max_examples=400)
@given(st.one_of(st.text(), st.text().map(lambda t: "history " + t), st.text().map(lambda t: "case " + t)))
def test_any_text_parses_to_one_of_the_results(text):
    from bot.kick.command import CaseQuery, FormRequest, HistoryQuery

    parsed = parse_command(text)
    assert isinstance(parsed, (KickOrder, Help, ParseError, HistoryQuery, CaseQuery, FormRequest))
    if isinstance(parsed, KickOrder):
        assert 1 <= len(parsed.user_ids) <= 500 and all(1 <= len(u) <= 128 for u in parsed.user_ids)
        assert parsed.reason is None or 1 <= len(parsed.reason) <= 256


@given(
    st.text(min_size=1, max_size=128).filter(
        lambda s: (
            s.strip() == s
            and s.isprintable()
            and " " not in s
            and s[0] not in "\"'\u201c\u2018"
            and "&" not in s
            and "," not in s
        )
    )
)
def test_any_visible_user_id_round_trips(user):
    assert parse_command(f"{ROOM} {user}") == KickOrder(ROOM, (user,), None)


def test_history_takes_a_user_or_a_room_and_an_optional_count():
    from bot.kick.command import HistoryQuery

    assert parse_command("history viewer42") == HistoryQuery("viewer42", None, 10)
    assert parse_command(f"HISTORY {ROOM} 5") == HistoryQuery(None, ROOM, 5)
    assert parse_command('history "viewer with spaces" 50') == HistoryQuery("viewer with spaces", None, 50)


def test_history_and_case_problems_name_the_field_and_the_limit():
    for text, field in (
        ("history", "subject"),
        ("history v 0", "count"),
        ("history v 51", "count"),
        ("history v ²", "count"),
        ("case", "case"),
        ("case x", "case"),
        ("case " + "9" * 5000, "case"),
    ):
        parsed = parse_command(text)
        assert isinstance(parsed, ParseError) and parsed.field == field, text
    assert "1 to 50" in parse_command("history v 99").message


def test_case_takes_a_number_with_or_without_hash():
    from bot.kick.command import CaseQuery

    assert parse_command("case 42") == parse_command("case #42") == CaseQuery(42)


def test_several_users_separated_by_commas_duplicates_dropped():
    assert parse_command(f"{ROOM} u1,u2,u1,,u3 raid").user_ids == ("u1", "u2", "u3")


def test_five_hundred_users_pass_and_five_hundred_and_one_are_refused_with_the_count():
    users = ",".join(f"u{i}" for i in range(501))
    assert len(parse_command(f"{ROOM} {users[: users.rindex(',')]}").user_ids) == 500
    parsed = parse_command(f"{ROOM} {users}")
    assert isinstance(parsed, ParseError) and parsed.field == "user" and "At most 500" in parsed.message
    assert "501" in parsed.message


def test_one_bad_id_in_a_list_refuses_the_whole_request_before_anything_runs():
    parsed = parse_command(f"{ROOM} ok1,{'x' * 129},ok2")
    assert isinstance(parsed, ParseError) and parsed.field == "user" and "129" in parsed.message


def test_direction_and_zero_width_characters_are_refused_where_they_could_disguise_text():
    assert parse_command(f"{ROOM} \u202eresu").field == "user"
    assert parse_command(f"{ROOM} vie\u200bwer").field == "user"
    assert parse_command(f"{ROOM} viewer spam \u202e").field == "reason"
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"  # joined emoji stay allowed
    assert parse_command(f"{ROOM} {family}").user_ids == (family,)
