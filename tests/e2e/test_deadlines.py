"""The trigger_id dies 3 s after the command (the fake Slack enforces it), so the modal must open in time
even when Slack's user group look-up is slow or rate limited, and for a whole burst of moderators at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from rig.world import GROUP, ROOM


def _group_bot(start_bot, mode, slack, members):
    slack.set_group_members(GROUP, members)
    return start_bot(mode, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)


def test_a_slow_user_group_look_up_does_not_cost_the_modal(start_bot, slack):
    slack.set_delay("usergroups.users.list", 5)
    bot = _group_bot(start_bot, "http", slack, ["U0GROUPMOD"])
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42", user="U0GROUPMOD")
    view = bot.opened_view(trigger_id)
    assert "could not be confirmed yet" in repr(view["blocks"])
    bot.submit(view, None, user="U0GROUPMOD")  # the decisive check waits for Slack's answer
    assert "Disconnected viewer42" in bot.wait_reply(response_url, timeout=20)


def test_an_unban_confirmation_opened_before_the_role_is_known_says_so(start_bot, slack):
    slack.set_delay("usergroups.users.list", 5)
    bot = _group_bot(start_bot, "http", slack, ["U0GROUPMOD"])
    _, trigger_id, _ = bot.command(f"unban {ROOM} viewer42", user="U0GROUPMOD")
    assert "could not be confirmed yet" in repr(bot.opened_view(trigger_id)["blocks"])


def test_a_rate_limited_user_group_look_up_does_not_cost_the_modal(start_bot, slack):
    slack.fail_next("usergroups.users.list", error="ratelimited", status=429, retry_after=3)
    bot = _group_bot(start_bot, "socket", slack, ["U0GROUPMOD"])
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42", user="U0GROUPMOD")
    bot.submit(bot.opened_view(trigger_id), None, user="U0GROUPMOD")
    assert "Disconnected viewer42" in bot.wait_reply(response_url, timeout=20)
    assert [c.status for c in slack.calls_to("usergroups.users.list")] == [429, 200]  # Retry-After honoured


def test_a_burst_of_forty_moderators_all_get_their_modal(start_bot, slack, mode):
    moderators = [f"U0MOD{i:02d}" for i in range(40)]
    bot = _group_bot(start_bot, mode, slack, moderators)
    with ThreadPoolExecutor(max_workers=40) as pool:
        commands = list(pool.map(lambda user: bot.command(f"{ROOM} viewer-{user}", user=user), moderators))
    for _, trigger_id, _ in commands:
        bot.opened_view(trigger_id)
    assert all(c.ok for c in slack.calls_to("views.open")) and len(slack.calls_to("views.open")) == 40
    assert len(slack.calls_to("usergroups.users.list")) == 1  # one look-up serves the whole burst
    assert not bot.ivs.calls  # nothing reaches AWS before a moderator confirms
