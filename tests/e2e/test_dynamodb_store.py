"""The bot with IVS_KICK_STORE=dynamodb:<table>, against moto's DynamoDB server: the same guarantees."""

from __future__ import annotations

import time

import boto3
import pytest

from rig.drive import event_payload
from rig.moto import MotoServer, dynamodb_table
from rig.world import GROUP, GROUP_MODERATOR, ROOM, BotProcess

from .test_cases import kill_in_mid_post_then_restart

TABLE = "ivs-kick-cases"


@pytest.fixture
def dynamodb_env():
    with MotoServer() as moto:
        dynamodb_table(moto, TABLE)
        yield {"IVS_KICK_STORE": f"dynamodb:{TABLE}", "AWS_ENDPOINT_URL_DYNAMODB": moto.url}


def test_cases_history_and_recovery_with_the_dynamodb_store(start_bot, dynamodb_env):
    bot = start_bot("http", **dynamodb_env)
    first = bot.kick(f"{ROOM} viewer42 spam")
    assert "Case #1:" in first.reply and "Case #1 · Kicked" in first.audit["text"]

    bot.slack.fail_next("chat.postMessage", error="internal_error", status=500, times=1000)
    _, trigger_id, _ = bot.command(f"{ROOM} viewer42 again")
    bot.submit(bot.opened_view(trigger_id), "again")
    bot.slack.wait_for(lambda: '"msg": "audit post queued"' in bot.process.logs(), timeout=15)
    bot.process.kill()
    bot.slack.recover("chat.postMessage")

    restarted = start_bot("http", workdir=bot.process.workdir, **dynamodb_env)
    restarted.slack.wait_for(lambda: len(restarted.audit_posts()) == 2, timeout=20)
    assert "Case #2 · Kicked" in restarted.audit_posts()[1]["text"]
    _, trigger_id, response_url = restarted.command("history viewer42")
    reply = restarted.wait_reply(response_url)
    assert "Last 2 cases for IVS user viewer42" in reply and reply.index("#2") < reply.index("#1")
    code, out, _ = BotProcess(restarted.process.env, restarted.process.workdir).run_to_exit("audit", "export")
    assert code == 0 and out.count('"number"') == 2


def test_a_kick_the_store_cannot_record_is_not_carried_out(start_bot, dynamodb_env):
    bot = start_bot("http", **dynamodb_env)
    _, trigger_id, response_url = bot.command(f"{ROOM} viewer42 spam")
    view = bot.opened_view(trigger_id)
    operator = boto3.client(
        "dynamodb", region_name="us-east-1", endpoint_url=dynamodb_env["AWS_ENDPOINT_URL_DYNAMODB"],
        aws_access_key_id="AKIDIVSKICKTEST", aws_secret_access_key="unused-by-moto",
    )  # fmt: skip
    operator.update_table(TableName=TABLE, DeletionProtectionEnabled=False)
    operator.delete_table(TableName=TABLE)

    ack = bot.submit(view, "spam")

    assert ack["response_action"] == "errors" and "could not be written" in ack["errors"]["reason"]
    assert bot.ivs.disconnects() == [] and bot.replies(response_url) == []
    bot.slack.wait_for(lambda: '"msg": "case store unavailable at submission"' in bot.process.logs())


def test_a_removal_heard_by_one_instance_is_honoured_by_another_on_the_same_table(start_bot, dynamodb_env):
    env = dict(dynamodb_env, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP)
    heard, other = start_bot("http", **env), start_bot("http", **env)
    heard.slack.wait_for(lambda: len(heard.slack.calls_to("usergroups.users.list")) == 2)  # one listing each
    _, trigger_id, response_url = other.command(f"{ROOM} viewer42 spam", user=GROUP_MODERATOR)
    view = other.opened_view(trigger_id)
    removal = {"type": "subteam_members_changed", "subteam_id": GROUP, "added_users": [],
               "removed_users": [GROUP_MODERATOR], "event_ts": f"{time.time():.6f}"}  # fmt: skip
    heard.driver.event(event_payload(removal))  # Slack sends it to one instance only
    heard.slack.wait_for(lambda: '"msg": "moderator group changed"' in heard.process.logs())
    other.submit(view, "spam", user=GROUP_MODERATOR)
    assert "not an IVS Chat moderator" in other.wait_reply(response_url)
    assert not other.ivs.calls and '"msg": "moderator group changed"' not in other.process.logs()


def test_a_burst_of_refusals_is_capped_with_the_dynamodb_store_too(start_bot, dynamodb_env):
    bot = start_bot("http", **dynamodb_env)
    for i in range(12):
        bot.command(f"{ROOM} viewer{i}", user="U0FLOOD")
    bot.slack.wait_for(lambda: bot.process.logs().count('"msg": "audit post left to a summary"') == 2, timeout=30)
    assert len(bot.audit_posts()) == 10
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "pending")
    [waiting] = out.splitlines()
    assert (
        code == 0
        and waiting.startswith("#11\t")
        and waiting.endswith("summary of 2 attempts, posted when its minute ends")
    )


def test_a_raid_of_500_viewers_is_recorded_and_in_each_viewers_history(start_bot, dynamodb_env):
    bot = start_bot("http", IVS_KICK_DISCONNECT_TPS="99", **dynamodb_env)
    users = [f"raider-{i:03d}" for i in range(500)]
    _, trigger_id, response_url = bot.command(f"{ROOM} {','.join(users)}")
    bot.submit(bot.opened_view(trigger_id), "raid")
    bot.slack.wait_for(lambda: any("Case #1" in r for r in bot.replies(response_url)), timeout=60)
    assert "Disconnected all 500 viewers" in bot.replies(response_url)[-1]
    assert "Case #1 · Kicked" in bot.audit_posts()[0]["text"]
    _, _, history_url = bot.command("history raider-499")
    assert "Last 1 case for IVS user raider-499" in bot.wait_reply(history_url)
    code, out, _ = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    [case] = [line for line in out.splitlines() if line.startswith("{")]
    assert code == 0 and case.count('"user_id"') == 500


def test_a_bot_killed_in_mid_post_settles_the_post_soon_after_restart_with_the_dynamodb_store(start_bot, dynamodb_env):
    restarted = kill_in_mid_post_then_restart(start_bot, **dynamodb_env)
    assert '"msg": "audit post found"' in restarted.process.logs() and len(restarted.audit_posts()) == 1
