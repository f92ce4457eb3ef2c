"""The audit gate: ten individual posts per member in any minute, one summary for the rest of the minute."""

from datetime import datetime, timedelta, timezone

from bot.kick.flood import INDIVIDUAL_POSTS, SUMMARY_GRACE, WINDOW, AuditGate, PostAlone, Summarised, admit

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)


def admit_all(gate, numbers, at):
    placements = []
    for number in numbers:
        gate, placement = admit(gate, number, at)
        placements.append(placement)
    return gate, placements


def test_ten_are_posted_alone_and_the_eleventh_leads_a_summary_the_rest_join():
    gate, placements = admit_all(None, range(1, 31), T0)
    assert placements[:INDIVIDUAL_POSTS] == [PostAlone()] * 10
    due = T0 + WINDOW + SUMMARY_GRACE
    assert placements[10:] == [Summarised(11, due)] * 20
    assert gate == AuditGate((T0,) * 10, 11, T0 + WINDOW)


def test_the_window_slides_one_post_at_a_time():
    gate = None
    for second in range(10):
        gate, placement = admit(gate, second + 1, T0 + timedelta(seconds=second))
        assert placement == PostAlone()
    # A minute after the first post, its slot is free again, and only that one.
    gate, placement = admit(gate, 11, T0 + WINDOW)
    assert placement == PostAlone()
    gate, placement = admit(gate, 12, T0 + WINDOW + timedelta(milliseconds=1))
    assert placement == Summarised(12, T0 + WINDOW * 2 + timedelta(milliseconds=1) + SUMMARY_GRACE)


def test_a_summary_gathers_its_whole_minute_then_posts_alone_resume():
    gate, _ = admit_all(None, range(1, 12), T0)  # 10 alone, #11 leads
    gate, placement = admit(gate, 12, T0 + WINDOW - timedelta(milliseconds=1))
    assert placement == Summarised(11, T0 + WINDOW + SUMMARY_GRACE)  # slots freed meanwhile, but the summary is open
    gate, placement = admit(gate, 13, T0 + WINDOW)
    assert placement == PostAlone()  # the summary's minute is over and so is the posts' minute
    gate, placements = admit_all(gate, range(14, 24), T0 + WINDOW)
    assert placements[:9] == [PostAlone()] * 9 and placements[9] == Summarised(23, T0 + 2 * WINDOW + SUMMARY_GRACE)


def test_a_lead_admitted_again_keeps_its_summary_even_after_its_minute():
    gate, _ = admit_all(None, range(1, 12), T0)
    later = T0 + WINDOW + timedelta(seconds=30)
    assert admit(gate, 11, later) == (gate, Summarised(11, T0 + WINDOW + SUMMARY_GRACE))


def test_members_are_counted_apart():
    gate_a, placements_a = admit_all(None, range(1, 12), T0)
    _, placement_b = admit(None, 12, T0)  # another member's own gate
    assert isinstance(placements_a[-1], Summarised) and placement_b == PostAlone()
