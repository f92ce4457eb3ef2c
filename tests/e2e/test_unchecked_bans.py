"""A ban in a room that nothing in IVS Chat checks says so, in both modes: in the confirmation, the moderator's reply,
the audit post, history and the export; a room with a message review handler, or one the bot has not read from AWS,
gets no such warning."""

from __future__ import annotations

import json

from rig.world import ROOM, ROOM_EU, BotProcess

HANDLER = "arn:aws:lambda:us-west-2:123456789012:function:ivs-kick-review:live"
WARNING = ":warning: IVS Chat does not check bans in "


def exported(bot) -> list[dict]:
    code, out, err = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def read_room(bot, count: int = 1) -> None:
    """Kick once so the bot reads the room from AWS (GetRoom) and caches it: the look-up ends with an update of
    the dialog, showing the room's name or the warning."""
    bot.kick(f"{ROOM} warm_up")
    bot.slack.wait_for_calls("views.update", count=count, timeout=15)


def test_a_ban_in_a_room_without_a_review_handler_warns_everywhere_it_is_shown(bot, ivs):
    ivs.add_room(ROOM, name="main-stage")
    read_room(bot)
    [update] = bot.slack.calls_to("views.update")
    assert WARNING + "main-stage: the room has no message review handler" in repr(update.params["view"])

    kick = bot.kick(f"ban {ROOM} troll_42 slurs")

    assert WARNING + "main-stage" in repr(kick.view["blocks"])  # from the cache, before confirming
    assert WARNING + "main-stage: the room has no message review handler (see Bans that hold" in kick.reply
    assert "your chat-token service can check it" in kick.reply
    assert WARNING + "main-stage" in repr(kick.audit["blocks"])
    ban_case = exported(bot)[-1]
    assert ban_case["action"] == "ban" and "IVS Chat does not check bans in main-stage" in ban_case["detail"]
    _, _, response_url = bot.command("history troll_42")
    assert ":warning: not checked by IVS Chat" in bot.wait_shown(response_url)


def test_a_ban_in_a_room_with_a_review_handler_does_not_warn(bot, ivs):
    ivs.add_room(ROOM, name="main-stage", review_handler=HANDLER)
    read_room(bot)

    kick = bot.kick(f"timeout {ROOM} troll_42 1h")

    shown = repr(kick.view["blocks"]) + kick.reply + repr(kick.audit["blocks"]) + json.dumps(exported(bot))
    assert "Timeout (1 hour)" in kick.reply and "does not check bans" not in shown


def test_a_ban_on_every_room_counts_the_rooms_without_a_review_handler(start_bot, ivs, mode):
    ivs.add_room(ROOM_EU, review_handler=HANDLER.replace("us-west-2", "eu-central-1"))
    bot = start_bot(mode, IVS_KICK_REGIONS="us-west-2,eu-central-1")

    kick = bot.kick("ban * troll_42 raid")

    assert WARNING + "1 of the 2 rooms the bot knows: they have no message review handler" in kick.reply
    assert WARNING + "1 of the 2 rooms" in repr(kick.audit["blocks"])
    assert "IVS Chat does not check bans in 1 of the 2 rooms" in exported(bot)[-1]["detail"]


def test_a_ban_on_every_room_none_of_which_has_a_handler_says_so(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_REGIONS="us-west-2,eu-central-1")

    kick = bot.kick("ban * troll_42 raid")

    assert WARNING + "any of the 2 rooms the bot knows: none has a message review handler" in kick.reply
    assert WARNING + "any of the 2 rooms" in repr(kick.view["blocks"]) + repr(kick.audit["blocks"])


def test_a_room_the_bot_could_not_read_gets_no_warning(start_bot, ivs):
    ivs.fail_next("AccessDeniedException", times=50, operation="GetRoom")
    bot = start_bot("http")

    kick = bot.kick(f"ban {ROOM} troll_42")

    assert kick.reply.startswith(":white_check_mark: Case #1: Ban: `troll_42` banned from ")
    shown = repr(kick.view["blocks"]) + kick.reply + repr(kick.audit["blocks"]) + json.dumps(exported(bot))
    assert "does not check bans" not in shown
