"""The case store contract, run against every store implementation."""

from datetime import datetime, timedelta, timezone
from threading import Thread

from bot.kick.cases import Amendment, AuditPost, NewCase, Status, Target
from bot.kick.flood import AuditGate
from bot.kick.moderators import GroupChange

T0 = datetime(2026, 11, 26, 15, 0, tzinfo=timezone.utc)
ROOM = "arn:aws:ivschat:us-west-2:123456789012:room/g1H2I3j4k5L6"


def new(**overrides) -> NewCase:
    fields = dict(
        created_at=T0,
        moderator_id="U0MOD",
        team_id="T0",
        channel_id="C0",
        status=Status.PENDING,
        room_arn=ROOM,
        reason="spam",
        user_ids=("viewer42",),
    )
    return NewCase(**(fields | overrides))


def test_cases_are_numbered_and_read_back_whole(store):
    first, created = store.open_case(new())
    second, _ = store.open_case(new(user_ids=("other",), reason=None))
    assert created and (first.number, second.number) == (1, 2)
    assert store.get(1) == first
    assert first.user_ids == ("viewer42",) and first.region == "us-west-2" and first.created_at == T0
    assert second.reason is None and store.get(99) is None
    named, _ = store.open_case(new(room_name="main-stage"))
    assert store.get(named.number).room_name == "main-stage" and first.room_name is None


def test_the_same_submission_is_one_case(store):
    first, created = store.open_case(new(submission_key="V123"))
    again, created_again = store.open_case(new(submission_key="V123"))
    assert created and not created_again and again.number == first.number
    assert len(list(store.export())) == 1


def test_numbers_stay_unique_under_concurrent_writers(store):
    numbers = []
    threads = [Thread(target=lambda: numbers.append(store.open_case(new())[0].number)) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == list(range(1, 21))


def test_outcome_replaces_pending_targets(store):
    case, _ = store.open_case(new())
    done = store.record_outcome(case.number, Status.KICKED, [Target("viewer42", "kicked", "ok", "req-1")], None, T0)
    assert done.status is Status.KICKED and done.request_ids == ("req-1",)


def test_a_room_found_after_the_case_opened_is_recorded_with_the_outcome(store):
    case, _ = store.open_case(new(room_arn=None, room_name=None))
    assert store.history(room_arn=ROOM) == []
    done = store.record_outcome(
        case.number, Status.KICKED, [Target("viewer42", "kicked")], None, T0, room=(ROOM, "main-stage")
    )
    assert (done.room_arn, done.room_name, done.region) == (ROOM, "main-stage", "us-west-2")
    assert [c.number for c in store.history(room_arn=ROOM)] == [case.number]
    assert store.get(case.number) == done


def test_delivery_is_claimed_once_retried_when_due_and_marked(store):
    case, _ = store.open_case(new())
    assert store.claim_delivery(case.number, T0, T0 + timedelta(minutes=1)) is None  # no outcome yet
    store.record_outcome(case.number, Status.FAILED, [Target("viewer42", "room_not_found")], None, T0)
    assert [c.number for c in store.due_deliveries(T0)] == [case.number]
    assert store.claim_delivery(case.number, T0, T0 + timedelta(minutes=1)) is not None
    assert store.claim_delivery(case.number, T0, T0 + timedelta(minutes=1)) is None  # someone else holds it
    assert store.due_deliveries(T0) == []
    store.note_delivery_failure(case.number, "not_in_channel", retry_at=T0 + timedelta(seconds=30))
    assert store.due_deliveries(T0 + timedelta(seconds=10)) == []
    assert store.get(case.number).audit_error == "not_in_channel"
    assert [c.number for c in store.due_deliveries(T0 + timedelta(seconds=31))] == [case.number]
    again = store.claim_delivery(case.number, T0 + timedelta(seconds=31), T0 + timedelta(minutes=2))
    assert again is not None and again.audit_tries == 2  # the second try knows there was a first
    store.mark_delivered(case.number, AuditPost("C0AUDIT", "1700000000.000100"))
    delivered = store.get(case.number)
    assert delivered.audit_post == AuditPost("C0AUDIT", "1700000000.000100") and delivered.audit_error is None
    assert store.undelivered() == [] and store.claim_delivery(case.number, T0, T0) is None


def test_a_case_is_not_due_before_its_due_time(store):
    case, _ = store.open_case(new(status=Status.REFUSED, audit_due_at=T0 + timedelta(seconds=5)))
    assert store.due_deliveries(T0) == []
    assert [c.number for c in store.due_deliveries(T0 + timedelta(seconds=5))] == [case.number]
    assert store.claim_delivery(case.number, T0, T0 + timedelta(seconds=60))  # its own writer need not wait


def test_an_expired_claim_can_be_taken_over(store):
    case, _ = store.open_case(new(status=Status.REFUSED))
    assert store.claim_delivery(case.number, T0, T0 + timedelta(seconds=60))
    assert store.claim_delivery(case.number, T0 + timedelta(seconds=61), T0 + timedelta(seconds=120))


def test_a_renewed_claim_holds_and_only_its_holder_can_renew_it(store):
    case, _ = store.open_case(new(status=Status.REFUSED))
    first_until, renewed_until = T0 + timedelta(seconds=12), T0 + timedelta(seconds=20)
    assert store.claim_delivery(case.number, T0, first_until)
    assert store.renew_claim(case.number, first_until, renewed_until)
    assert store.claim_delivery(case.number, T0 + timedelta(seconds=15), T0 + timedelta(seconds=27)) is None
    assert not store.renew_claim(case.number, first_until, T0 + timedelta(seconds=30))  # not its expiry any more
    taken_until = T0 + timedelta(seconds=33)
    assert store.claim_delivery(case.number, T0 + timedelta(seconds=21), taken_until)  # the renewals stopped
    assert not store.renew_claim(case.number, renewed_until, T0 + timedelta(seconds=40))  # it is the other's now
    store.mark_delivered(case.number, AuditPost("C0AUDIT", "1.2"))
    assert not store.renew_claim(case.number, taken_until, T0 + timedelta(seconds=45))  # nothing left to claim


def test_a_pending_case_that_beats_is_not_interrupted_however_old(store):
    beating, _ = store.open_case(new())
    silent, _ = store.open_case(new())
    assert store.keep_alive(beating.number, T0 + timedelta(minutes=9))
    assert [c.number for c in store.interrupt_stale(T0 + timedelta(minutes=8), "the bot stopped")] == [silent.number]
    assert store.get(beating.number).status is Status.PENDING
    assert [c.number for c in store.interrupt_stale(T0 + timedelta(minutes=10), "the bot stopped")] == [beating.number]
    assert not store.keep_alive(beating.number, T0 + timedelta(minutes=11))  # no longer pending: the beats stop
    assert store.get(beating.number).status is Status.INTERRUPTED


def test_stale_pending_cases_become_interrupted(store):
    old, _ = store.open_case(new())
    fresh, _ = store.open_case(new(created_at=T0 + timedelta(minutes=5)))
    interrupted = store.interrupt_stale(T0 + timedelta(minutes=1), "the bot stopped")
    assert [c.number for c in interrupted] == [old.number]
    assert store.get(old.number).status is Status.INTERRUPTED and store.get(fresh.number).status is Status.PENDING


def test_history_by_user_and_by_room_newest_first_and_limited(store):
    for user in ("a", "b", "a", "a"):
        store.open_case(new(user_ids=(user,)))
    other_room = ROOM.replace("g1H2I3j4k5L6", "OtherRoom1")
    store.open_case(new(room_arn=other_room, user_ids=("a",)))
    assert [c.number for c in store.history(user_id="a", limit=10)] == [5, 4, 3, 1]
    assert [c.number for c in store.history(user_id="a", limit=2)] == [5, 4]
    assert [c.number for c in store.history(room_arn=ROOM, limit=10)] == [4, 3, 2, 1]
    assert store.history(user_id="nobody") == []


def test_export_since_a_time_oldest_first(store):
    for minutes in (0, 10, 20):
        store.open_case(new(created_at=T0 + timedelta(minutes=minutes)))
    assert [c.number for c in store.export(T0 + timedelta(minutes=5))] == [2, 3]
    assert [c.number for c in store.export()] == [1, 2, 3]


def test_reason_amendments_are_kept_in_order(store):
    case, _ = store.open_case(new())
    store.amend_reason(case.number, Amendment(T0, "U0MOD", "spam", "spam and slurs"))
    amended = store.amend_reason(case.number, Amendment(T0 + timedelta(minutes=1), "U0LEAD", "spam and slurs", None))
    assert amended.reason is None
    assert [(a.by, a.old_reason, a.new_reason) for a in amended.amendments] == [
        ("U0MOD", "spam", "spam and slurs"),
        ("U0LEAD", "spam and slurs", None),
    ]


def test_drafts_are_kept_until_they_expire(store):
    store.save_draft("V1", '{"users": ["a", "b"]}', T0 + timedelta(minutes=30))
    assert store.load_draft("V1", T0) == '{"users": ["a", "b"]}'
    assert store.load_draft("V1", T0 + timedelta(minutes=31)) is None
    assert store.load_draft("unknown", T0) is None
    store.save_draft("V1", "replaced", T0 + timedelta(minutes=30))
    assert store.load_draft("V1", T0) == "replaced"


def test_the_newest_group_change_per_user_is_kept_whatever_order_they_are_recorded_in(store):
    assert store.group_change("S1", "U1") is None
    store.record_group_change("S1", GroupChange("U1", False, 1700000002.5))
    store.record_group_change("S1", GroupChange("U1", True, 1700000001.0))  # late: sent before the removal
    store.record_group_change("S1", GroupChange("U1", True, 1700000002.5))  # the same time: the removal wins
    assert store.group_change("S1", "U1") == GroupChange("U1", False, 1700000002.5)
    store.record_group_change("S1", GroupChange("U1", True, 1700000003.0))
    assert store.group_change("S1", "U1") == GroupChange("U1", True, 1700000003.0)
    store.record_group_change("S1", GroupChange("U1", False, 1700000003.0))
    assert store.group_change("S1", "U1") == GroupChange("U1", False, 1700000003.0)
    assert store.group_change("S2", "U1") is None and store.group_change("S1", "U2") is None


def test_kicks_are_due_before_refused_and_invalid_cases(store):
    refused, _ = store.open_case(new(status=Status.REFUSED, audit_due_at=T0))
    invalid, _ = store.open_case(new(status=Status.INVALID, audit_due_at=T0))
    kick, _ = store.open_case(new(audit_due_at=T0))
    store.record_outcome(kick.number, Status.KICKED, [Target("viewer42", "kicked")], None, T0)
    assert [c.number for c in store.due_deliveries(T0)] == [kick.number, refused.number, invalid.number]


def test_a_member_of_a_summary_is_delivered_through_its_lead_only(store):
    lead, _ = store.open_case(new(status=Status.REFUSED, audit_due_at=T0))
    member, _ = store.open_case(new(status=Status.INVALID, audit_due_at=T0))
    for case in (lead, member):
        assert store.claim_delivery(case.number, T0, T0 + timedelta(minutes=1))
    assert store.summarise(lead.number, lead.number, T0 + timedelta(minutes=1))
    assert store.summarise(member.number, lead.number, T0 + timedelta(minutes=1))
    assert store.due_deliveries(T0 + timedelta(seconds=59)) == []  # the lead waits for its minute; claims released
    assert [c.number for c in store.due_deliveries(T0 + timedelta(minutes=1))] == [lead.number]
    assert [c.number for c in store.undelivered()] == [lead.number]
    assert [(c.number, c.summarised_in, c.audit_tries) for c in store.summarised(lead.number)] == [
        (lead.number, lead.number, 0),  # the claim that left it to the summary did not try to post it
        (member.number, lead.number, 0),
    ]
    for case in (lead, member):
        store.mark_delivered(case.number, AuditPost("C0AUDIT", "1700000000.000200"))
    late, _ = store.open_case(new(status=Status.REFUSED, audit_due_at=T0))
    assert not store.summarise(late.number, lead.number, T0)  # too late for a summary already posted
    assert store.get(late.number).summarised_in is None and store.get(member.number).audit_post.ts.endswith("200")


def test_an_audit_gate_changes_atomically_under_concurrent_writers(store):
    def add_one(gate):
        posted = gate.posted if gate else ()
        return AuditGate(posted + (T0 + timedelta(seconds=len(posted)),)), len(posted)

    seen = []
    threads = [Thread(target=lambda: seen.append(store.change_gate("U0FLOOD", add_one))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(seen) == list(range(8))
    assert store.change_gate("U0FLOOD", lambda gate: (gate, gate)).posted[-1] == T0 + timedelta(seconds=7)
    assert store.change_gate("U0OTHER", lambda gate: (AuditGate(), gate)) is None
