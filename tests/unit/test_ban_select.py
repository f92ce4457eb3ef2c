"""The Ban select: which choices it offers and what a submitted choice means, under IVS_KICK_SHORTEST_TIMEOUT."""

from datetime import timedelta

import pytest

from bot.ban_select import ban_select, term_of
from bot.kick.bans import PERMANENT, Term
from bot.kick.request import InvalidField

HOUR = timedelta(hours=1)


def _values(select):
    return [option["value"] for option in select["element"]["options"]]


def test_every_choice_is_offered_by_default_and_none_shorter_than_the_shortest_timeout():
    assert _values(ban_select(None)) == ["kick", "10m", "1h", "24h", "7d", "permanent"]
    assert _values(ban_select(None, shortest=HOUR)) == ["kick", "1h", "24h", "7d", "permanent"]
    assert _values(ban_select(PERMANENT, every_room=True, shortest=2 * HOUR)) == ["24h", "7d", "permanent"]


@pytest.mark.parametrize(("value", "term"), [("kick", None), ("1h", Term(HOUR)), ("permanent", PERMANENT),
                                             ("5400s", Term(timedelta(minutes=90))), (None, None)])  # fmt: skip
def test_a_submitted_choice_is_its_term(value, term):
    assert term_of(value, timedelta(minutes=1)) == term


@pytest.mark.parametrize(
    ("value", "shown"),
    [("10m", "got 10 minutes"), ("600s", "got \u201c600s\u201d"), ("forever", "got \u201cforever\u201d")],
)
def test_a_choice_the_select_does_not_offer_is_refused_on_the_ban_field(value, shown):
    with pytest.raises(InvalidField) as refused:
        term_of(value, HOUR)
    assert refused.value.field == "ban" and refused.value.message.startswith("Ban must be one of the choices listed; ")
    assert shown in refused.value.message
