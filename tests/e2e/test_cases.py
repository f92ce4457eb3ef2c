"""Every attempt is a numbered case, kicked at most once, and its audit post survives crashes and outages."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import subprocess
import sys

import pytest

from rig.drive import event_payload
from rig.world import AUDIT_CHANNEL, GROUP, ROOM, BotProcess


def test_every_kind_of_attempt_is_a_numbered_case_with_one_audit_post(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_MODERATOR_GROUP=GROUP)
    kicked = bot.kick(f"{ROOM} viewer1 spam")
    bot.ivs.fail_next("AccessDeniedException")
    failed = bot.kick(f"{ROOM} viewer2")
    bot.command("main/stage viewer3")  # invalid
    _, _, refused_url = bot.command(f"{ROOM} viewer4", user="U0RANDOM")
    refused_reply = bot.wait_reply(refused_url)
    bot.slack.wait_for(lambda: len(bot.audit_posts()) == 4)

    assert "Case #1:" in kicked.reply and "Case #1 · Kicked" in kicked.audit["text"]
    assert "Case #2:" in failed.reply and "Case #2 · Kick failed" in failed.audit["text"]
    texts = [p["text"] for p in bot.audit_posts()]
    assert any("Case #3 · Invalid kick request" in t for t in texts)
    assert "Case #4:" in refused_reply and any("Case #4 · Kick refused" in t for t in texts)

    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    cases = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [(c["number"], c["status"]) for c in cases] == [(1, "kicked"), (2, "failed"), (3, "invalid"), (4, "refused")]
    assert cases[0]["audit_post"]["channel"] == AUDIT_CHANNEL and cases[0]["targets"][0]["request_id"]
    assert cases[2]["command_text"] == "main/stage viewer3"


def test_a_double_submission_kicks_once_and_records_once(start_bot, mode):
    bot = start_bot(mode)
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42")
    view = bot.opened_view(trigger_id)
    bot.submit(view, "spam")
    bot.submit(view, "spam")  # a double click, or Slack retrying
    bot.wait_reply(response_url)
    bot.slack.wait_for(lambda: len(bot.audit_posts()) >= 1)
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(bot.ivs.calls) == 1 and len(rows) == 1 and len(bot.audit_posts()) == 1
    assert len(bot.replies(response_url)) == 1


def test_a_bot_killed_between_the_kick_and_the_audit_post_posts_it_once_after_restart(start_bot, mode):
    bot = start_bot(mode)
    bot.slack.fail_next("chat.postMessage", error="internal_error", status=500, times=1000)
    _, trigger_id, _ = bot.command(f"{ROOM} viewer42 spam")
    bot.submit(bot.opened_view(trigger_id), "spam")
    bot.ivs.wait_for_calls(1)
    # The kick is on record and the first delivery has given up (Slack kept answering 500); die now.
    bot.slack.wait_for(lambda: '"msg": "audit post queued"' in bot.process.logs(), timeout=15)
    bot.process.kill()

    bot.slack.recover("chat.postMessage")
    assert not bot.audit_posts()
    restarted = start_bot(mode, workdir=bot.process.workdir)
    restarted.slack.wait_for(lambda: len(restarted.audit_posts()) == 1, timeout=20)
    [post] = restarted.audit_posts()
    assert "Case #1 · Kicked" in post["text"]
    assert len(bot.ivs.disconnects()) == 1  # nobody was kicked twice
    code, out, _ = BotProcess(restarted.process.env, restarted.process.workdir).run_to_exit("audit", "pending")
    assert "No audit posts are waiting" in out


def kill_in_mid_post_then_restart(start_bot, **env):
    """Kill the bot while Slack holds the answer to its audit post (the post itself was taken), restart it on the
    same store, and return the restarted bot once it has settled that post (20 s: the bound on recovery)."""
    bot = start_bot("http", **env)
    bot.slack.set_delay("chat.postMessage", 60)
    _, trigger_id, _ = bot.command(f"{ROOM} viewer42 spam")
    bot.submit(bot.opened_view(trigger_id), "spam")
    bot.slack.wait_for_calls("chat.postMessage", 1, timeout=15)
    bot.process.kill()
    bot.slack.set_delay("chat.postMessage", 0)
    restarted = start_bot("http", workdir=bot.process.workdir, **env)
    cli = BotProcess(restarted.process.env, restarted.process.workdir)
    restarted.slack.wait_for(lambda: "No audit posts are waiting" in cli.run_to_exit("audit", "pending")[1], timeout=20)
    return restarted


def test_a_bot_killed_in_mid_post_settles_the_post_soon_after_restart_and_posts_it_once(start_bot):
    restarted = kill_in_mid_post_then_restart(start_bot)
    assert '"msg": "audit post found"' in restarted.process.logs()  # found in the channel, not posted again
    [post] = restarted.audit_posts()
    assert "Case #1 · Kicked" in post["text"] and len(restarted.ivs.disconnects()) == 1


def test_a_raid_longer_than_any_silence_is_never_taken_for_dead_and_posts_its_outcome(start_bot):
    """The raid's start is moved an hour back in the store once it has beaten, as if it had been kicking that long;
    the outbox's sweeps meanwhile must judge it by its heartbeat, not its age."""
    bot = start_bot("http", IVS_KICK_DISCONNECT_TPS="2")
    users = [f"raider{i}" for i in range(30)]  # 15 s at two a second
    _, trigger_id, response_url = bot.command(f"{ROOM} {','.join(users)} raid")
    bot.submit(bot.opened_view(trigger_id), "raid")
    db = sqlite3.connect(bot.process.workdir / "ivs-kick.db", timeout=30)
    beat = "SELECT 1 FROM cases WHERE number = 1 AND status = 'pending' AND alive_at IS NOT NULL"
    bot.slack.wait_for(lambda: db.execute(beat).fetchone() is not None, timeout=20)
    with db:
        db.execute("UPDATE cases SET created_at = ? WHERE number = 1", ("2000-01-01T00:00:00.000000+00:00",))
    bot.slack.wait_for(lambda: any("Case #1" in r for r in bot.replies(response_url)), timeout=60)
    assert "Disconnected all 30 viewers" in bot.replies(response_url)[-1]
    [post] = bot.audit_posts()
    assert "Case #1 · Kicked" in post["text"] and "Outcome unknown" not in post["text"]
    assert db.execute("SELECT status FROM cases WHERE number = 1").fetchone() == ("kicked",)


def test_an_audit_channel_that_refuses_keeps_the_post_pending_until_fixed(start_bot, slack):
    slack.add_channel(AUDIT_CHANNEL, bot_is_member=False)
    bot = start_bot("http")
    kick = bot.kick(f"{ROOM} viewer42")
    assert "Disconnected viewer42" in kick.reply and "is kept and will be posted" in kick.reply
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "pending")
    assert code == 0 and "#1" in out and "not a member" in out
    slack.add_channel(AUDIT_CHANNEL, bot_is_member=True)  # someone invites the bot
    slack.wait_for(lambda: len(bot.audit_posts()) == 1, timeout=20)
    assert "Case #1 · Kicked" in bot.audit_posts()[0]["text"]


def test_a_case_refused_at_submit_after_a_revoke_is_on_record(start_bot):
    bot = start_bot("socket", IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42", user="U0GROUPMOD")
    view = bot.opened_view(trigger_id)
    bot.driver.event(
        event_payload(
            {"type": "subteam_members_changed", "subteam_id": GROUP, "added_users": [], "removed_users": ["U0GROUPMOD"]}
        )
    )
    bot.submit(view, None, user="U0GROUPMOD")
    assert "Case #1: Nothing was done" in bot.wait_reply(response_url)

    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    [case] = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and (case["number"], case["status"], case["moderator_id"]) == (1, "refused", "U0GROUPMOD")
    assert [t["user_id"] for t in case["targets"]] == ["viewer42"] and case["room_arn"] == ROOM
    assert not bot.ivs.calls  # refused before AWS was asked


def test_a_post_slack_accepted_but_never_answered_is_not_posted_twice(start_bot, slack):
    bot = start_bot("http")
    slack.set_chaos(seed=1, rate=1.0, methods={"chat.postMessage"}, kinds=("timeout",))  # kept, answer lost
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42")
    bot.submit(bot.opened_view(trigger_id), None)
    slack.wait_for_calls("chat.postMessage", 1)
    slack.calm()
    reply = bot.wait_reply(response_url, timeout=30)
    assert "could not be posted" in reply  # the bot could not know; it says so and keeps the case queued
    cli = BotProcess(bot.process.env, bot.process.workdir)
    slack.wait_for(lambda: "No audit posts are waiting" in cli.run_to_exit("audit", "pending")[1], timeout=30)
    assert slack.calls_to("conversations.history")  # it looked before posting again, and found it
    code, out, _ = cli.run_to_exit("audit", "export")
    assert json.loads(out.splitlines()[0])["audit_post"]["ts"] == slack.messages[0]["ts"]
    assert len(slack.messages) == 1 and len(slack.calls_to("chat.postMessage")) == 1


FORMULA = 'SUM(1+1)*cmd|"/Ccalc"!A0'  # what a spreadsheet would run as a formula after one of the characters below


def _export(bot, fmt: str) -> str:
    """`python -m bot audit export` as bytes decoded without newline translation, so a carriage return survives."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "audit", "export", "--format", fmt],
        cwd=bot.process.workdir,
        env=bot.process.env,
        capture_output=True,
        timeout=30,
        check=True,
    )
    return result.stdout.decode()


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r"], ids=["equals", "plus", "minus", "at", "tab", "cr"])
def test_a_csv_cell_a_spreadsheet_would_run_begins_with_a_quote(start_bot, lead):
    bot = start_bot("http")
    typed = f"{lead}{FORMULA} viewer1"  # not a room: an invalid case whose command begins with `lead`
    ack, _, _ = bot.command(typed)
    assert "Room must be" in ack["text"]
    if lead.strip():  # IVS user IDs and reasons cannot begin with a tab or a carriage return
        bot.kick(f"{ROOM} {lead}viewer2 {lead}{FORMULA}")

    out = _export(bot, "csv")
    rows = list(csv.DictReader(io.StringIO(out, newline="")))
    assert rows[0]["command"] == f"'{typed}"  # neutralised, and otherwise exactly as typed
    if lead.strip():
        assert rows[1]["user_id"] == f"'{lead}viewer2" and rows[1]["reason"] == f"'{lead}{FORMULA}"
    for row in rows:
        for column, cell in row.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
    quoted = "'" + typed.replace('"', '""')
    assert f'"{quoted}"' in out  # in quotes, its own doubled: the formula's quotes cannot end the cell

    first = json.loads(_export(bot, "jsonl").splitlines()[0])
    assert first["command_text"] == typed  # JSON Lines are data, kept as typed
