import re
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.kick.command import Help, ParseError, command_as_typed, parse_command
from bot.kick.flow import Attempt, record_invalid
from bot.kick.request import InvalidField, KickOrder, validate_user
from bot.store.sqlite import SqliteCaseStore

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


def test_slack_html_entities_are_turned_back_into_what_was_typed_exactly_once():
    parsed = parse_command(f"{ROOM} a&amp;b&lt;c&gt; &lt;!channel&gt; &amp; friends &amp;lt;")
    assert parsed.user_ids == ("a&b<c>",)
    assert parsed.reason == "<!channel> & friends &lt;"  # a typed "&lt;" stays as typed
    assert command_as_typed("room a&amp;b &amp;amp;") == "room a&b &amp;"


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
@given(
    st.one_of(
        st.text(), *(st.text().map(lambda t, k=k: f"{k} " + t) for k in ("history", "case", "ban", "timeout", "unban"))
    )
)
def test_any_text_parses_to_one_of_the_results(text):
    from bot.kick.command import BansQuery, CaseQuery, FormRequest, HistoryQuery
    from bot.kick.request import UnbanOrder

    parsed = parse_command(text)
    assert isinstance(
        parsed, (KickOrder, UnbanOrder, Help, ParseError, HistoryQuery, CaseQuery, BansQuery, FormRequest)
    )
    if isinstance(parsed, KickOrder):
        assert 1 <= len(parsed.user_ids) <= 500 and all(1 <= len(u) <= 128 for u in parsed.user_ids)
        assert parsed.reason is None or 1 <= len(parsed.reason) <= 256


@given(
    st.text(min_size=1, max_size=128).filter(
        lambda s: s.strip() == s and s.isprintable() and " " not in s and s[0] not in "\"'\u201c\u2018" and "," not in s
    )
)
def test_any_visible_user_id_round_trips(user):
    as_slack_sends = user.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    assert parse_command(f"{ROOM} {as_slack_sends}") == KickOrder(ROOM, (user,), None)


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


INVISIBLE_IN_IDS = {
    "a zero-width joiner between letters": "tr\u200doll_42",
    "a Hangul filler": "troll_42\u3164",
    "a combining grapheme joiner": "troll\u034f_42",
    "only blank braille patterns": "\u2800\u2800",
    "only Hangul fillers": "\u3164",
    "a line separator": "a\u2028b",
    "a paragraph separator": "a\u2029b",
    "a soft hyphen": "tro\u00adll",
    "a variation selector after a letter": "troll\ufe0f",
    "a Mongolian vowel separator": "troll\u180e",
    "a tag character": "troll\U000e0041",
}


@pytest.mark.parametrize("user", INVISIBLE_IN_IDS.values(), ids=INVISIBLE_IN_IDS.keys())
def test_a_user_id_with_a_character_that_shows_as_nothing_is_refused(user):
    with pytest.raises(InvalidField, match="User ID must be visible text") as refused:
        validate_user(user)  # as the form's user field is checked
    assert refused.value.field == "user"
    at = next(i for i, ch in enumerate(user) if not (ch.isascii() and ch.isprintable()))
    assert f"but character {at + 1} is U+{ord(user[at]):04X}" in str(refused.value)
    if not any(ch.isspace() for ch in user):  # in a command, white space separates words instead
        parsed = parse_command(f"{ROOM} {user}")
        assert isinstance(parsed, ParseError) and parsed.field == "user"


@pytest.mark.parametrize(
    "user",
    ["\u2764\ufe0f_fan", "\U0001f3f3\ufe0f\u200d\U0001f308", "1\ufe0f\u20e3", "\U0001f44d\U0001f3fd", "zoë", "李小龍"],
    ids=["a heart in emoji style", "a rainbow flag", "a keycap", "a thumbs up with a skin tone", "a diaeresis", "Han"],
)
def test_emoji_sequences_and_letters_of_any_script_stay_allowed(user):
    assert parse_command(f"{ROOM} {user}").user_ids == (user,)


def test_a_list_goes_on_after_a_comma_with_or_without_spaces():
    for users in ("raider1, raider2, raider3", "raider1,raider2,  raider3", "raider1 , raider2 ,raider3"):
        assert parse_command(f"{ROOM} {users} raid") == KickOrder(ROOM, ("raider1", "raider2", "raider3"), "raid")
    assert parse_command(f'{ROOM} "viewer one", viewer2 spam, again').user_ids == ("viewer one", "viewer2")
    assert parse_command(f"{ROOM} raider1, raider2 spam, and more").reason == "spam, and more"


def test_slack_links_and_emails_are_read_as_what_was_typed():
    for sent, meant in (
        ("<mailto:troll@example.com|troll@example.com>", "troll@example.com"),
        ("<mailto:troll@example.com>", "troll@example.com"),
        ("<http://troll.tv|troll.tv>", "troll.tv"),
        ("<https://x.tv/u?a=1&amp;b=2>", "https://x.tv/u?a=1&b=2"),
    ):
        assert parse_command(f"{ROOM} {sent} spam") == KickOrder(ROOM, (meant,), "spam"), sent
    listed = parse_command(f"{ROOM} <mailto:a@x.io|a@x.io>, <mailto:b@x.io|b@x.io>,c raid")
    assert listed.user_ids == ("a@x.io", "b@x.io", "c") and listed.reason == "raid"
    assert parse_command("history <mailto:a@x.io|a@x.io> 5").user_id == "a@x.io"
    assert parse_command("<http://main.stage|main.stage> viewer").room == "main.stage"


def test_a_slack_mention_where_an_id_belongs_is_refused_naming_the_field_and_the_mention():
    for sent, described in (
        ("<@U0123|dana>", "Slack member \u201c@dana\u201d (U0123)"),
        ("<@U0123>", "Slack member \u201c@U0123\u201d (U0123)"),
        ("<#C0123|general>", "Slack channel \u201c#general\u201d (C0123)"),
        ("<!subteam^S0123|@mods>", "Slack user group \u201c@mods\u201d (S0123)"),
        ("<!subteam^S0123>", "Slack user group \u201c@S0123\u201d (S0123)"),
        ("<!here>", "Slack mention \u201c@here\u201d"),
        ("<!channel>", "Slack mention \u201c@channel\u201d"),
        ("<!everyone>", "Slack mention \u201c@everyone\u201d"),
    ):
        parsed = parse_command(f"{ROOM} viewer1,{sent} spam")
        assert isinstance(parsed, ParseError) and parsed.field == "user", sent
        assert parsed.message.startswith("User ID must be") and described in parsed.message, parsed.message
        room = parse_command(f"{sent} viewer1")
        assert isinstance(room, ParseError) and room.field == "room" and described in room.message, sent
        history = parse_command(f"history {sent}")
        assert isinstance(history, ParseError) and described in history.message, sent


def test_markup_in_a_reason_becomes_the_words_it_showed():
    parsed = parse_command(
        f"{ROOM} viewer1 ping <!here> and <@U0123|dana> in <#C0123|general>, see <http://x.tv|x.tv> "
        "<!date^1392734382^{date}|Feb 18, 2014>"
    )
    assert parsed.reason == "ping @here and @dana in #general, see x.tv Feb 18, 2014"
    assert command_as_typed(f"{ROOM} <mailto:t@x.io|t@x.io> <!channel> &amp;") == f"{ROOM} t@x.io @channel &"


def test_a_lone_surrogate_is_refused_in_every_field_and_cleaned_on_record(tmp_path):
    store = SqliteCaseStore(tmp_path / "cases.db")
    for text, field in (
        (f"{ROOM} vie\ud800wer", "user"),
        (f"{ROOM} viewer1, \udfff spam", "user"),
        (f"{ROOM} viewer spam \ud800", "reason"),
        ("ma\ud800in viewer", "room"),
        ("history vie\udc00wer", "user"),
        (f"timeout {ROOM} troll_42 9\ud800m spam", "duration"),
    ):
        parsed = parse_command(text)
        assert isinstance(parsed, ParseError) and parsed.field == field, text
        assert "lone surrogate" in parsed.message and "\ufffd" in parsed.message, parsed.message
        at = datetime.now(timezone.utc)
        attempt = Attempt(None, (), None, "U0MOD", "T0", "C0", at, command_text=command_as_typed(text))
        on_record = store.get(record_invalid(store, attempt, parsed.message).number)
        assert on_record.command_text == re.sub("[\ud800-\udfff]", "\ufffd", text), on_record
        assert on_record.detail == parsed.message
    store.close()


def test_a_lone_surrogate_in_a_modal_field_is_refused_naming_the_field():
    import pytest

    from bot.kick.request import InvalidField, validate_reason, validate_room_reference, validate_users

    for check, field in (
        (lambda: validate_reason("bad \ud800 reason"), "reason"),
        (lambda: validate_users(["ok", "a\udbffb"]), "user"),
        (lambda: validate_room_reference("arn:aws:ivschat:us-west-2:1:room/\ud800"), "room"),
    ):
        with pytest.raises(InvalidField) as refused:
            check()
        assert refused.value.field == field and "lone surrogate" in refused.value.message


def test_ban_and_timeout_are_kick_orders_with_a_term():
    from datetime import timedelta

    from bot.kick.bans import PERMANENT, Term

    assert parse_command(f"ban {ROOM} troll_42 slurs") == KickOrder(ROOM, ("troll_42",), "slurs", PERMANENT)
    assert parse_command("BAN * raider1, raider2 raid") == KickOrder("*", ("raider1", "raider2"), "raid", PERMANENT)
    assert parse_command('timeout main-stage troll_42 90m "spam"') == KickOrder(
        "main-stage", ("troll_42",), "spam", Term(timedelta(minutes=90))
    )
    assert parse_command("timeout * a,b, c 2w").term == Term(timedelta(weeks=2))
    assert parse_command(f"timeout {ROOM} troll_42 5s", shortest=timedelta(seconds=5)).term == Term(
        timedelta(seconds=5)
    )


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        (f"timeout {ROOM} troll_42", "duration", "Duration is missing: give a number followed by m, h, d or w (90m, "
         "1h, 7d, 2w), from 1 minute to 90 days after the user IDs, as in /ivs-kick timeout <room> "
         "<user-id>[,<user-id>…] <duration> [reason]."),
        (f"timeout {ROOM} troll_42 soon", "duration", "Duration must be a number followed by m, h, d or w"),
        (f"timeout {ROOM} troll_42 30s", "duration", "Duration must be from 1 minute to 90 days; got “30s”."),
        ("ban", "room", "Room and user ID are missing: /ivs-kick ban <room> <user-id>[,<user-id>…] [reason]"),
        (f"ban {ROOM}", "user", "User ID is missing"),
        (f"unban {ROOM} a,b", "user", "Unban takes one user ID at a time; got 2: “a, b”."),
        ("ban main/stage troll", "room", "Room must be a room ARN such as"),
        ("* troll_42", "room", "Room must be one room for a kick: * (every room) is for ban, timeout, unban and bans"),
    ],
)  # fmt: skip
def test_ban_timeout_and_unban_problems_name_the_field_and_are_attempts_on_record(text, field, message):
    from bot.kick.cases import Action

    parsed = parse_command(text)
    assert isinstance(parsed, ParseError) and (parsed.field, parsed.message[: len(message)]) == (field, message)
    assert parsed.action is (Action.UNBAN if text.startswith("unban") else Action.KICK if "*" in text[:1]
                             else Action.BAN)  # fmt: skip


def test_unban_takes_one_user_and_bans_an_optional_room():
    from bot.kick.command import BansQuery, HistoryQuery
    from bot.kick.request import UnbanOrder

    assert parse_command(f"unban {ROOM} troll_42 appealed") == UnbanOrder(ROOM, "troll_42", "appealed")
    assert parse_command("unban * troll_42") == UnbanOrder("*", "troll_42", None)
    assert parse_command("bans") == BansQuery() and parse_command("bans *") == BansQuery("*")
    assert parse_command("bans main-stage") == BansQuery("main-stage")
    refused = parse_command("bans main-stage extra")
    assert isinstance(refused, ParseError) and refused.action is None  # a look-up, not an attempt
    assert parse_command("history *") == HistoryQuery(None, "*", 10)
