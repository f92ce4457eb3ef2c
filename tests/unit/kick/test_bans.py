"""Ban terms and timeout durations (pure)."""

from datetime import datetime, timedelta, timezone

import pytest

from bot.kick.bans import (
    BAN_CHOICES,
    PERMANENT,
    Ban,
    InvalidDuration,
    Term,
    choice_for_term,
    describe_length,
    parse_duration,
    term_for_choice,
)

T0 = datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("text", "length"),
    [("90m", timedelta(minutes=90)), ("1h", timedelta(hours=1)), ("7d", timedelta(days=7)), ("2w", timedelta(weeks=2)),
     ("1m", timedelta(minutes=1)), ("90d", timedelta(days=90)), (" 1H ", timedelta(hours=1))],
)  # fmt: skip
def test_durations_as_moderators_type_them(text, length):
    assert parse_duration(text) == length


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("91d", "Duration must be from 1 minute to 90 days; got \u201c91d\u201d."),
        ("0m", "Duration must be from 1 minute to 90 days; got \u201c0m\u201d."),
        ("30s", "Duration must be from 1 minute to 90 days; got \u201c30s\u201d."),
        ("1x", "Duration must be a number followed by m, h, d or w (90m, 1h, 7d, 2w), from 1 minute to 90 days; "
               "got \u201c1x\u201d."),
        ("1.5h", "Duration must be a number followed by m, h, d or w"),
        ("h", "Duration must be a number followed by m, h, d or w"),
        ("99999999m", "Duration must be a number followed by m, h, d or w"),
        ("\uff11h", "Duration must be a number followed by m, h, d or w"),  # a fullwidth digit
    ],
)  # fmt: skip
def test_bad_durations_are_refused_naming_the_rule_and_what_was_given(text, message):
    with pytest.raises(InvalidDuration) as refused:
        parse_duration(text)
    assert str(refused.value).startswith(message)


def test_a_shorter_shortest_timeout_lets_seconds_through():
    assert parse_duration("3s", shortest=timedelta(seconds=1)) == timedelta(seconds=3)
    with pytest.raises(InvalidDuration, match="from 10 seconds to 90 days"):
        parse_duration("3s", shortest=timedelta(seconds=10))


@pytest.mark.parametrize(
    ("length", "text"),
    [(timedelta(minutes=90), "90 minutes"), (timedelta(hours=24), "1 day"), (timedelta(days=14), "2 weeks"),
     (timedelta(minutes=1), "1 minute"), (timedelta(seconds=5), "5 seconds")],
)  # fmt: skip
def test_lengths_read_in_the_largest_whole_unit(length, text):
    assert describe_length(length) == text


def test_every_select_choice_maps_to_its_term_and_back():
    for value, term in BAN_CHOICES:
        assert term_for_choice(value) == term and choice_for_term(term) == value
    assert term_for_choice("permanent") is PERMANENT and term_for_choice("kick") is None
    with pytest.raises(ValueError):
        term_for_choice("forever")
    with pytest.raises(ValueError):
        choice_for_term(Term(timedelta(minutes=90)))


def test_a_ban_holds_until_it_expires_or_ends():
    timed = Ban("*", "troll", 1, "U0MOD", T0, T0 + timedelta(hours=1))
    assert timed.holds_at(T0) and not timed.holds_at(T0 + timedelta(hours=1))
    assert timed.term == Term(timedelta(hours=1)) and timed.term.describe() == "for 1 hour"
    forever = Ban("*", "troll", 1, "U0MOD", T0)
    assert forever.holds_at(T0 + timedelta(days=3650)) and forever.term.permanent
    ended = Ban("*", "troll", 1, "U0MOD", T0, ended_at=T0 + timedelta(minutes=5), ended_by="U0MOD")
    assert not ended.holds_at(T0 + timedelta(minutes=1))
