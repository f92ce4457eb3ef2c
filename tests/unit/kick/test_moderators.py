import threading

from bot.kick.moderators import GroupUnavailable, ModeratorDirectory, Standing


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class Group:
    """A stand-in for Slack's user group look-up that counts calls and can be held or made to fail."""

    def __init__(self, members):
        self.members = set(members)
        self.calls = 0
        self.release = threading.Event()
        self.release.set()
        self.error = None

    def __call__(self, group_id):
        self.calls += 1
        self.release.wait(5)
        if self.error:
            raise self.error
        return set(self.members)


def directory(group, clock, **kw):
    return ModeratorDirectory(users={"ULIST"}, group_id="SMODS", fetch_group=group, max_age=60, clock=clock, **kw)


def test_listed_users_are_moderators_without_asking_slack():
    group = Group([])
    assert directory(group, Clock()).check("ULIST").allowed
    assert group.calls == 0


def test_neither_list_nor_group_means_nobody_is_a_moderator():
    d = ModeratorDirectory()
    assert not d.configured and d.check("UANY").standing is Standing.NOT_MODERATOR


def test_group_members_are_cached_until_max_age():
    group, clock = Group(["UGRP"]), Clock()
    d = directory(group, clock)
    assert d.check("UGRP", wait=5).allowed
    assert d.check("UOTHER", wait=5).standing is Standing.NOT_MODERATOR
    assert group.calls == 1
    clock.now += 61
    group.members.discard("UGRP")
    assert d.check("UGRP", wait=5).standing is Standing.NOT_MODERATOR
    assert group.calls == 2


def test_concurrent_checks_share_one_fetch():
    group, clock = Group(["UGRP"]), Clock()
    group.release.clear()
    d = directory(group, clock)
    results = []
    threads = [threading.Thread(target=lambda: results.append(d.check("UGRP", wait=5))) for _ in range(20)]
    for t in threads:
        t.start()
    group.release.set()
    for t in threads:
        t.join()
    assert group.calls == 1 and all(r.allowed for r in results)


def test_a_slow_slack_gives_unknown_within_the_wait_and_the_fetch_completes_later():
    group, clock = Group(["UGRP"]), Clock()
    group.release.clear()
    d = directory(group, clock)
    verdict = d.check("UGRP", wait=0.05)
    assert verdict.standing is Standing.UNKNOWN and verdict.transient
    group.release.set()
    assert d.check("UGRP", wait=5).allowed


def test_a_stale_answer_is_used_when_allowed_and_refreshed_behind():
    group, clock = Group(["UGRP"]), Clock()
    d = directory(group, clock)
    assert d.check("UGRP", wait=5).allowed
    clock.now += 120
    assert d.check("UGRP", max_age=900, wait=0).allowed
    d.check("UGRP", wait=5)
    assert group.calls == 2


def test_removal_event_revokes_at_once_and_survives_a_fetch_in_flight():
    group, clock = Group(["UGRP"]), Clock()
    d = directory(group, clock)
    assert d.check("UGRP", wait=5).allowed
    d.apply_change("SMODS", added=[], removed=["UGRP"])
    assert d.check("UGRP", wait=5).standing is Standing.NOT_MODERATOR
    clock.now += 61
    group.release.clear()
    future_check = threading.Thread(target=d.check, args=("UGRP",), kwargs={"wait": 5})
    future_check.start()
    d.apply_change("SMODS", added=["UNEW"], removed=[])
    group.release.set()
    future_check.join()
    assert d.check("UNEW", wait=5).allowed


def test_events_for_other_groups_are_ignored():
    group, clock = Group(["UGRP"]), Clock()
    d = directory(group, clock)
    d.check("UGRP", wait=5)
    d.apply_change("SOTHER", added=[], removed=["UGRP"])
    assert d.check("UGRP", wait=5).allowed


def test_a_missing_group_is_a_lasting_problem_and_fails_closed():
    group, clock = Group([]), Clock()
    group.error = GroupUnavailable("no_such_subteam", transient=False)
    verdict = directory(group, clock).check("UGRP", wait=5)
    assert verdict.standing is Standing.UNKNOWN and not verdict.transient and not verdict.allowed
    assert "no_such_subteam" in verdict.reason
