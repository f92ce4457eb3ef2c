"""The outbox's retry and recovery rules, with a real SQLite store and a recorded post function."""

from datetime import datetime, timedelta, timezone

from bot.delivery import Posted
from bot.kick.cases import NewCase, Status, Target
from bot.leases import LeaseKeeper
from bot.outbox import CLAIM, PACE_SECONDS, STALE_AFTER, SWEEP_SECONDS, AuditOutbox
from bot.store.sqlite import SqliteCaseStore

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)


class Slack:
    def __init__(self):
        self.answers, self.posted = [], []

    def __call__(self, record):
        answer = self.answers.pop(0) if self.answers else Posted(ts=f"1700000000.{len(self.posted):06d}")
        if answer.ts:
            self.posted.append(record)
        return answer


class Clock:
    def __init__(self):
        self.now = T0

    def __call__(self):
        return self.now


def setup(tmp_path, find=lambda case: None):
    store, slack, clock = SqliteCaseStore(tmp_path / "c.db"), Slack(), Clock()
    return store, slack, clock, AuditOutbox(store, "C0AUDIT", slack, find, clock)


def kicked_case(store, at=T0):
    case, _ = store.open_case(NewCase(at, "U0MOD", "T0", "C0", Status.PENDING, user_ids=("v",), audit_due_at=at))
    return store.record_outcome(case.number, Status.KICKED, [Target("v", "kicked")], None, at + timedelta(seconds=5))


def test_delivered_once_even_when_swept_again(tmp_path):
    store, slack, clock, outbox = setup(tmp_path)
    case = kicked_case(store)
    assert outbox.deliver(case) is None
    clock.now += timedelta(minutes=10)
    assert outbox.deliver_due() == 0 and outbox.deliver(case) is None
    assert len(slack.posted) == 1 and store.get(case.number).audit_post.ts == "1700000000.000000"


def test_a_refused_post_is_kept_and_retried_with_backoff_until_accepted(tmp_path):
    store, slack, clock, outbox = setup(tmp_path)
    case = kicked_case(store)
    slack.answers = [Posted(error="not_in_channel"), Posted(error="not_in_channel")]
    assert outbox.deliver(case) == "not_in_channel"
    assert outbox.deliver_due() == 0  # not yet due: 5 s backoff
    clock.now += timedelta(seconds=5)
    assert outbox.deliver_due() == 0 and store.get(case.number).audit_error == "not_in_channel"
    clock.now += timedelta(seconds=10)
    assert outbox.deliver_due() == 0  # second backoff is 15 s
    clock.now += timedelta(seconds=5)
    assert outbox.deliver_due() == 1 and len(slack.posted) == 1
    assert [c.number for c in store.undelivered()] == []


def test_the_backoff_is_counted_by_the_store_so_a_restart_continues_it(tmp_path):
    """Anyone can open cases, so the outbox keeps no count per case in memory: the store's tries drive it."""
    store, slack, clock, outbox = setup(tmp_path)
    case = kicked_case(store)
    slack.answers = [Posted(error="not_in_channel"), Posted(error="not_in_channel")]
    assert outbox.deliver(case) == "not_in_channel"
    restarted = AuditOutbox(store, "C0AUDIT", slack, lambda case: None, clock)
    clock.now += timedelta(seconds=5)
    assert restarted.deliver_due() == 0
    clock.now += timedelta(seconds=14)
    assert restarted.deliver_due() == 0  # the second try's backoff, 15 s, not a fresh 5 s
    clock.now += timedelta(seconds=1)
    assert restarted.deliver_due() == 1 and len(slack.posted) == 1


def test_a_case_left_behind_by_a_dead_process_is_posted_after_the_grace(tmp_path):
    store, slack, clock, outbox = setup(tmp_path)
    kicked_case(store)  # its process died before posting
    assert outbox.deliver_due() == 0
    clock.now += timedelta(seconds=5)
    assert outbox.deliver_due() == 1


def test_a_kick_that_never_got_an_answer_is_posted_as_interrupted(tmp_path):
    store, slack, clock, outbox = setup(tmp_path)
    case, _ = store.open_case(NewCase(T0, "U0MOD", "T0", "C0", Status.PENDING, user_ids=("v",), audit_due_at=T0))
    assert outbox.deliver_due() == 0  # it may still be running somewhere
    clock.now += STALE_AFTER + timedelta(seconds=1)
    assert outbox.deliver_due() == 1
    assert store.get(case.number).status is Status.INTERRUPTED and "Outcome unknown" in slack.posted[0].text


def test_a_post_slack_took_but_never_answered_is_found_and_not_posted_again(tmp_path):
    looked_up = []

    def find(case):
        looked_up.append(case.number)
        return "1700000000.000042"

    store, slack, clock, outbox = setup(tmp_path, find)
    case = kicked_case(store)
    slack.answers = [Posted(error="TimeoutError: could not reach Slack")]  # Slack kept it; the answer was lost
    assert outbox.deliver(case) is not None and looked_up == []  # a first try never needs to look
    clock.now += timedelta(seconds=5)
    assert outbox.deliver_due() == 1
    assert looked_up == [case.number] and slack.posted == []
    assert store.get(case.number).audit_post.ts == "1700000000.000042"


def refused_case(store, at=T0, member="U0FLOOD"):
    case, _ = store.open_case(NewCase(at, member, "T0", "C0", Status.REFUSED, user_ids=("v",), audit_due_at=at))
    return case


def paced_setup(tmp_path):
    """An outbox whose pauses advance the clock, and the clock times at which each post was made."""
    store, slack, clock, _ = setup(tmp_path)
    pauses, post_times = [], []

    def sleep(seconds):
        pauses.append(seconds)
        clock.now += timedelta(seconds=seconds)

    def post(record):
        post_times.append(clock.now)
        return slack(record)

    return store, slack, clock, AuditOutbox(store, "C0AUDIT", post, lambda case: None, clock, sleep), post_times


def sweep_until_idle(outbox):
    """Sweep as the outbox's thread does, again at once while a sweep gave way after posting (time passes here
    only while a post waits for its pace)."""
    posted = 0
    while swept := outbox.deliver_due():
        posted += swept
    return posted


def test_a_refused_case_is_never_posted_on_the_callers_thread(tmp_path):
    store, slack, clock, outbox = setup(tmp_path)
    assert outbox.deliver(refused_case(store)) is None and slack.posted == []
    assert outbox.deliver_due() == 1 and len(slack.posted) == 1  # the outbox's own sweep posts it


def test_a_burst_gets_ten_posts_then_one_summary_at_the_end_of_its_minute(tmp_path):
    store, slack, clock, outbox, post_times = paced_setup(tmp_path)
    burst = [refused_case(store) for _ in range(30)]
    assert sweep_until_idle(outbox) == 10
    assert [r.case_number for r in slack.posted] == [c.number for c in burst[:10]]
    assert all(b - a >= timedelta(seconds=PACE_SECONDS) for a, b in zip(post_times, post_times[1:]))
    assert [c.number for c in store.undelivered()] == [11]  # the summary's lead stands for all 20
    eleventh_taken_up = post_times[-1]  # its summary's minute began then, right after the tenth post
    clock.now = eleventh_taken_up + timedelta(seconds=59)
    assert outbox.deliver_due() == 0
    clock.now = eleventh_taken_up + timedelta(seconds=80)
    assert outbox.deliver_due() == 1
    summary = slack.posted[-1]
    assert summary.metadata["event_payload"] == {"case": 11, "summary_of": 20}
    assert "20 more refused or invalid attempts" in summary.text and "cases #11–#30" in summary.text
    assert store.undelivered() == [] and len(list(store.export())) == 30
    assert {store.get(n).audit_post.ts for n in range(11, 31)} == {"1700000000.000010"}
    assert outbox.deliver_due() == 0 and len(slack.posted) == 11


def test_kicks_are_posted_before_a_backlog_of_refusals(tmp_path):
    store, slack, clock, outbox, _ = paced_setup(tmp_path)
    for _ in range(5):
        refused_case(store, member="U0OTHER")
    kick = kicked_case(store)
    clock.now += timedelta(seconds=5)
    assert sweep_until_idle(outbox) == 6 and slack.posted[0].case_number == kick.number


def test_a_long_backlog_of_refusals_gives_way_to_a_kick_that_comes_due_meanwhile(tmp_path):
    store, slack, clock, outbox, post_times = paced_setup(tmp_path)
    for member in range(20):  # twenty members, one refusal each: all posted alone, paced
        refused_case(store, member=f"U0M{member}")
    outbox.deliver_due()
    first_pass = len(slack.posted)
    assert 0 < first_pass < 20 and post_times[-1] - T0 <= timedelta(seconds=SWEEP_SECONDS + PACE_SECONDS)
    kick = kicked_case(store, at=clock.now - timedelta(seconds=5))  # its own thread failed; now due for a retry
    outbox.deliver_due()
    assert slack.posted[first_pass].case_number == kick.number


def test_a_summary_whose_answer_was_lost_is_found_not_posted_again(tmp_path):
    store, slack, clock, _ = setup(tmp_path)
    outbox = AuditOutbox(store, "C0AUDIT", slack, lambda case: "1700000000.000777", clock, lambda seconds: None)
    for _ in range(12):
        refused_case(store)
    outbox.deliver_due()
    slack.answers = [Posted(error="TimeoutError: could not reach Slack")]
    clock.now += timedelta(seconds=70)
    assert outbox.deliver_due() == 0 and [c.number for c in store.undelivered()] == [11]
    clock.now += timedelta(seconds=5)
    assert outbox.deliver_due() == 1 and len(slack.posted) == 10
    assert store.get(12).audit_post.ts == "1700000000.000777" and store.undelivered() == []


def test_a_claim_is_renewed_while_its_post_is_in_flight_so_no_other_process_takes_it(tmp_path):
    store, slack, clock, _ = setup(tmp_path)
    keeper = LeaseKeeper(every=3600)  # renewed by hand below, as the keeper's thread would
    other = AuditOutbox(store, "C0AUDIT", slack, lambda case: None, clock)  # another process on the same store
    case = kicked_case(store)
    swept_meanwhile = []

    def slow_post(record):
        for _ in range(3):  # Slack takes three claims' time to answer; the poster's process lives on
            clock.now += CLAIM - timedelta(seconds=1)
            keeper.renew_all()
            swept_meanwhile.append(other.deliver_due())
        return slack(record)

    posting = AuditOutbox(store, "C0AUDIT", slow_post, lambda case: None, clock, leases=keeper)
    assert posting.deliver(case) is None
    assert swept_meanwhile == [0, 0, 0] and len(slack.posted) == 1
    assert store.get(case.number).audit_post is not None


def test_a_claim_left_by_a_process_killed_in_mid_post_lapses_within_the_claim_and_is_found_not_reposted(tmp_path):
    in_channel = {}
    store, slack, clock, outbox = setup(tmp_path, find=lambda case: in_channel.get(case.number))
    case = kicked_case(store)
    assert store.claim_delivery(case.number, T0, T0 + CLAIM)  # the killed process's claim, never renewed again
    in_channel[case.number] = "1700000000.000099"  # Slack had taken its post
    clock.now = T0 + timedelta(seconds=5)
    assert outbox.deliver_due() == 0  # the claim still runs
    clock.now = T0 + CLAIM + timedelta(microseconds=1)
    assert outbox.deliver_due() == 1 and slack.posted == []
    assert store.get(case.number).audit_post.ts == "1700000000.000099"
    assert CLAIM + timedelta(seconds=SWEEP_SECONDS) <= timedelta(seconds=20)  # a restart's bound, whatever the sweep


def pending_case(store, users=("v",)):
    case, _ = store.open_case(NewCase(T0, "U0MOD", "T0", "C0", Status.PENDING, user_ids=users, audit_due_at=T0))
    return case


def test_a_raid_that_keeps_beating_is_never_taken_for_dead_and_is_posted_with_its_outcome(tmp_path):
    store, slack, clock, _ = setup(tmp_path)
    keeper = LeaseKeeper(every=3600)
    outbox = AuditOutbox(store, "C0AUDIT", slack, lambda case: None, clock, leases=keeper)
    case = pending_case(store, users=tuple(f"raider{i}" for i in range(500)))
    with outbox.running(case):
        for _ in range(10):  # ten minutes of DisconnectUser calls, beating all along
            clock.now += STALE_AFTER - timedelta(seconds=1)
            keeper.renew_all()
            assert outbox.deliver_due() == 0 and store.get(case.number).status is Status.PENDING
        targets = [Target(user, "kicked") for user in case.user_ids]
        done = store.record_outcome(case.number, Status.KICKED, targets, None, clock.now)
        assert outbox.deliver(done) is None
    assert len(slack.posted) == 1 and "Outcome unknown" not in slack.posted[0].text
    assert store.get(case.number).status is Status.KICKED


def test_a_raid_whose_beats_stop_is_interrupted_after_the_silence_not_its_age(tmp_path):
    store, slack, clock, _ = setup(tmp_path)
    keeper = LeaseKeeper(every=3600)
    outbox = AuditOutbox(store, "C0AUDIT", slack, lambda case: None, clock, leases=keeper)
    case = pending_case(store)
    with outbox.running(case):
        clock.now += timedelta(minutes=5)
        keeper.renew_all()  # the last beat: its process dies now
    clock.now += STALE_AFTER - timedelta(seconds=1)
    assert outbox.deliver_due() == 0
    clock.now += timedelta(seconds=2)
    assert outbox.deliver_due() == 1 and store.get(case.number).status is Status.INTERRUPTED
    assert "Outcome unknown" in slack.posted[0].text
