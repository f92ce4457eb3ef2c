"""With IVS_KICK_ROLE_ARN, each kick runs as that role assumed in the moderator's name, so CloudTrail shows
which Slack user acted. moto's STS issues the keys; the fake IVS Chat verifies signatures made with them."""

from __future__ import annotations

import pytest

from rig.moto import MotoServer, assumed_roles, issued_by_moto
from rig.world import ROOM, ROOM_EU

ROLE = "arn:aws:iam::123456789012:role/ivs-kick-moderator"


@pytest.fixture
def moto():
    with MotoServer() as server:
        yield server


def test_each_moderator_kicks_as_their_own_role_session_reused_until_near_expiry(start_bot, moto, ivs):
    ivs.trust_issuer(issued_by_moto)
    bot = start_bot("http", IVS_KICK_ROLE_ARN=ROLE, AWS_ENDPOINT_URL_STS=moto.url, IVS_KICK_MODERATORS="U0MOD,U0LEAD")
    bot.kick(f"{ROOM} viewer1")
    bot.kick(f"{ROOM_EU} viewer2")
    bot.kick(f"{ROOM} viewer3", user="U0LEAD")

    sessions = {role.access_key: role for role in assumed_roles()}
    calls = ivs.disconnects()
    assert len(calls) == 3 and all(call.access_key in sessions for call in calls)
    names = [sessions[call.access_key].session_name for call in calls]
    assert names == ["slack-T0000TEST-U0MOD", "slack-T0000TEST-U0MOD", "slack-T0000TEST-U0LEAD"]
    assert all(sessions[call.access_key].role_arn == ROLE for call in calls)
    assert len(assumed_roles()) == 2  # the first moderator's credentials served both of their kicks
    assert ivs.access_key not in {call.access_key for call in calls}  # never the bot's own identity


def test_a_role_that_cannot_be_assumed_is_reported_and_nothing_is_kicked(start_bot, moto, ivs):
    bot = start_bot("http", IVS_KICK_ROLE_ARN=ROLE, AWS_ENDPOINT_URL_STS="http://127.0.0.1:9")
    kick = bot.kick(f"{ROOM} viewer1")
    assert "Could not reach AWS STS in us-west-2 to assume " + ROLE in kick.reply and not ivs.calls
