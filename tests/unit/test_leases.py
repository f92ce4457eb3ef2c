"""The lease keeper: renews what is held, drops what its store no longer gives, outlives a failed renewal."""

import threading

from bot.leases import LeaseKeeper


def test_held_leases_are_renewed_until_released_or_refused():
    keeper = LeaseKeeper(every=3600)
    renewed = []
    answers = iter([True, False])

    def refused_on_second_round():
        renewed.append("refused")
        return next(answers)

    with keeper.hold(lambda: renewed.append("kept") or True):
        with keeper.hold(refused_on_second_round):
            keeper.renew_all()
            keeper.renew_all()
            keeper.renew_all()  # the refused lease is no longer renewed
        keeper.renew_all()
    keeper.renew_all()  # nothing held
    assert renewed == ["kept", "refused", "kept", "refused", "kept", "kept"]
    keeper.stop()


def test_a_failed_renewal_is_tried_again_next_round():
    keeper = LeaseKeeper(every=3600)
    tries = []

    def flaky():
        tries.append(1)
        if len(tries) == 1:
            raise OSError("store unreachable")
        return True

    with keeper.hold(flaky):
        keeper.renew_all()
        keeper.renew_all()
    assert len(tries) == 2
    keeper.stop()


def test_the_keepers_thread_renews_without_being_asked():
    keeper = LeaseKeeper(every=0.01)
    renewed = threading.Event()
    with keeper.hold(lambda: renewed.set() or True):
        assert renewed.wait(30)
    keeper.stop()
