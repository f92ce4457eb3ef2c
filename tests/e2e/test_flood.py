"""A member typing /ivs-kick as fast as they can: every attempt on record, the moderation channel not flooded,
and a real kick's audit post never queued behind the burst."""

from __future__ import annotations

import json

from rig.world import ROOM, BotProcess

FLOODER = "U0FLOOD"  # any member of the workspace: not a moderator
BURST = 30
INDIVIDUAL_POSTS = 10  # bot.kick.flood.INDIVIDUAL_POSTS, the README's figure
# The summary is posted when its minute ends: a minute after the eleventh attempt was taken up, which is after
# the ten posts before it, two seconds apart.
SUMMARY_TIMEOUT = 150.0

# What the flooder types, in turn: refused (a well-formed kick from a non-moderator) and invalid (a user ID with
# a zero-width space, refused by the parser before any role check). Both kinds share one cap.
ATTEMPTS = {
    "refused": lambda i: f"{ROOM} viewer{i} spam",
    "invalid": lambda i: f"{ROOM} bad\u200bviewer{i}",
}


def attempt(i: int) -> str:
    return ATTEMPTS["refused" if i % 2 else "invalid"](i)


def metadata(post: dict) -> dict:
    return (post.get("metadata") or {}).get("event_payload") or {}


def export(bot) -> list[dict]:
    code, out, err = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_a_burst_of_attempts_gets_ten_posts_and_one_summary_and_a_kick_jumps_ahead(start_bot, slack):
    bot = start_bot("http")
    for i in range(BURST // 2):
        bot.command(attempt(i), user=FLOODER)
    kick = bot.kick(f"{ROOM} troll_42 spam")  # a moderator's kick in the middle of the burst
    for i in range(BURST // 2, BURST):
        bot.command(attempt(i), user=FLOODER)

    assert kick.audit is not None and "Kicked" in kick.audit["text"] and "Audit record posted" in kick.reply
    posts = bot.audit_posts()
    kick_number = metadata(kick.audit)["case"]
    before_kick = posts[: next(i for i, p in enumerate(posts) if metadata(p).get("case") == kick_number)]
    assert len(before_kick) <= INDIVIDUAL_POSTS  # not queued behind the burst

    slack.wait_for(lambda: any("summary_of" in metadata(p) for p in bot.audit_posts()), timeout=SUMMARY_TIMEOUT)
    cases = export(bot)
    flood = [c for c in cases if c["moderator_id"] == FLOODER]
    assert len(flood) == BURST and sorted(c["status"] for c in flood) == sorted(
        "refused" if i % 2 else "invalid" for i in range(BURST)
    )
    flood_numbers = {c["number"] for c in flood}
    posts = [p for p in bot.audit_posts() if metadata(p)["case"] in flood_numbers]
    [summary] = [p for p in posts if "summary_of" in metadata(p)]
    alone = [p for p in posts if "summary_of" not in metadata(p)]
    assert len(alone) == INDIVIDUAL_POSTS and metadata(summary)["summary_of"] == BURST - INDIVIDUAL_POSTS
    assert f"{BURST - INDIVIDUAL_POSTS} more refused or invalid attempts by <@{FLOODER}>" in summary["text"]
    # Every case keeps its full record, and each points at the post that stands for it.
    assert all(c["audit_post"] and c["command_text"] for c in flood)
    assert len({c["audit_post"]["ts"] for c in flood}) == INDIVIDUAL_POSTS + 1
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "pending")
    assert code == 0 and "No audit posts are waiting" in out


def test_every_refused_member_still_gets_a_private_answer_and_the_summary_waits_in_audit_pending(start_bot):
    bot = start_bot("socket")
    urls = [bot.command(ATTEMPTS["refused"](i), user=FLOODER)[2] for i in range(INDIVIDUAL_POSTS + 2)]
    for url in urls:
        assert "not an IVS Chat moderator" in bot.wait_reply(url)
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == INDIVIDUAL_POSTS, timeout=30)
    bot.slack.wait_for(lambda: bot.process.logs().count('"msg": "audit post left to a summary"') == 2, timeout=15)
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "pending")
    [waiting] = out.splitlines()  # the eleventh attempt leads the summary, which stands for the twelfth too
    assert code == 0 and waiting.startswith(f"#{INDIVIDUAL_POSTS + 1}\t")
    assert waiting.endswith("summary of 2 attempts, posted when its minute ends")
    assert len(bot.audit_posts()) == INDIVIDUAL_POSTS
