"""Only regions where IVS Chat exists, per botocore's endpoint data, are accepted: in a room ARN typed in a command,
in IVS_KICK_REGIONS and in IVS_KICK_ROOMS, each refused with a message naming the field, what was given and the
regions that would do."""

from __future__ import annotations

import boto3
import pytest

from bot.kick import regions
from bot.kick.command import ParseError, parse_command
from bot.kick.regions import has_ivschat, ivschat_regions, ivschat_regions_text
from bot.kick.rooms import is_room_arn, parse_aliases, parse_regions
from bot.settings import SettingsError, load_settings

# Regions a hostile or careless moderator might type: each must be refused before anything else happens.
BOGUS_REGIONS = [
    pytest.param("us-west-99", id="plausible-but-made-up"),
    pytest.param("xx-fake-1", id="made-up"),
    pytest.param("af-south-1", id="real-region-without-ivs-chat"),
    pytest.param("us-gov-west-1", id="govcloud-without-ivs-chat"),
    pytest.param("cn-north-1", id="china-partition-region"),
    pytest.param("us-west-2\u00a0", id="no-break-space"),
    pytest.param("us\u2010west-2", id="unicode-hyphen"),
    pytest.param("us-west-\uff12", id="fullwidth-digit"),
    pytest.param("us-west-2\u200b", id="zero-width-space"),
    pytest.param("US-WEST-2", id="upper-case"),
    pytest.param("", id="empty"),
]
# Regions whose ARN passes IVS Chat's own ARN pattern, so only the region check can refuse them.
WELL_FORMED_BOGUS = ("us-west-99", "xx-fake-1", "af-south-1", "us-gov-west-1", "cn-north-1")


def room_arn(region: str) -> str:
    return f"arn:aws:ivschat:{region}:123456789012:room/abc"


def test_the_regions_are_those_boto3_lists_for_ivs_chat_in_every_partition() -> None:
    session = boto3.session.Session()
    expected = {
        region: partition
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("ivschat", partition_name=partition)
    }
    assert dict(ivschat_regions()) == expected and {"us-west-2", "eu-central-1"} <= expected.keys()
    assert ivschat_regions() is ivschat_regions()  # read once


def test_a_real_region_without_ivs_chat_exists_in_botocores_data() -> None:
    """Keeps the real-region-without-ivs-chat case meaningful: af-south-1 is an AWS region, just not IVS Chat's."""
    assert "af-south-1" in boto3.session.Session().get_available_regions("ec2")
    assert not has_ivschat("af-south-1")


def test_a_region_must_belong_to_the_arns_partition() -> None:
    assert has_ivschat("us-west-2") and has_ivschat("us-west-2", "aws")
    assert not has_ivschat("us-west-2", "aws-cn") and not has_ivschat("us-west-2", "aws-us-gov")


def test_a_long_list_of_regions_is_shortened(monkeypatch: pytest.MonkeyPatch) -> None:
    many = {f"xx-region-{n:02}": "aws" for n in range(20)}
    monkeypatch.setattr(regions, "ivschat_regions", lambda: many)
    assert ivschat_regions_text() == ", ".join(sorted(many)[:12]) + " and 8 more"


@pytest.mark.parametrize("region", BOGUS_REGIONS)
def test_a_command_naming_a_region_without_ivs_chat_is_refused(region: str) -> None:
    parsed = parse_command(f"{room_arn(region)} viewer1")
    assert isinstance(parsed, ParseError) and parsed.field == "room"
    assert parsed.message.startswith("Room must be") and "viewer1" not in parsed.message
    if region in WELL_FORMED_BOGUS:
        assert f"got region \u201c{region}\u201d" in parsed.message
        assert "us-west-2" in parsed.message and "eu-central-1" in parsed.message  # the regions that would do


@pytest.mark.parametrize("region", BOGUS_REGIONS)
def test_the_form_alone_with_a_region_without_ivs_chat_is_refused(region: str) -> None:
    parsed = parse_command(room_arn(region))
    assert isinstance(parsed, ParseError) and parsed.field == "room"


@pytest.mark.parametrize("region", BOGUS_REGIONS)
def test_a_room_arn_in_a_region_without_ivs_chat_is_not_a_room_arn(region: str) -> None:
    assert not is_room_arn(room_arn(region))


@pytest.mark.parametrize("region", [p for p in BOGUS_REGIONS if p.id not in {"empty", "no-break-space"}])
def test_ivs_kick_regions_refuses_a_region_without_ivs_chat(region: str) -> None:
    """(Blank entries are skipped and spaces around an entry trimmed, so those two shapes do not apply.)"""
    with pytest.raises(ValueError) as raised:
        parse_regions(f"us-west-2,{region}")
    message = str(raised.value)
    assert message.startswith("IVS_KICK_REGIONS has") and "where IVS Chat exists" in message
    assert "us-west-2" in message and "eu-central-1" in message


@pytest.mark.parametrize("region", WELL_FORMED_BOGUS)
def test_ivs_kick_regions_names_the_region_given(region: str) -> None:
    with pytest.raises(ValueError, match=f"IVS_KICK_REGIONS has \u201c{region}\u201d, which is not a region"):
        parse_regions(f"us-west-2, {region}")


@pytest.mark.parametrize("region", WELL_FORMED_BOGUS)
def test_ivs_kick_rooms_refuses_an_alias_in_a_region_without_ivs_chat(region: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_aliases(f"main={room_arn('us-west-2')}, fake={room_arn(region)}")
    message = str(raised.value)
    assert message.startswith("IVS_KICK_ROOMS has \u201cfake=") and f"region \u201c{region}\u201d" in message
    assert "where IVS Chat does not exist" in message and "us-west-2" in message


def test_both_settings_are_reported_as_settings_errors() -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-abcdefsecret",
        "SLACK_SIGNING_SECRET": "0123456789abcdef0123456789abcdef",
        "IVS_KICK_AUDIT_CHANNEL": "C0AUDIT",
        "IVS_KICK_MODERATORS": "U0MOD1",
        "IVS_KICK_REGIONS": "us-west-2,xx-fake-1",
        "IVS_KICK_ROOMS": f"main={room_arn('xx-fake-2')}",
    }
    with pytest.raises(SettingsError) as raised:
        load_settings(env)
    [regions_line] = [line for line in raised.value.problems if line.startswith("IVS_KICK_REGIONS")]
    [rooms_line] = [line for line in raised.value.problems if line.startswith("IVS_KICK_ROOMS")]
    assert "xx-fake-1" in regions_line and "xx-fake-2" in rooms_line


def test_every_region_with_ivs_chat_is_accepted() -> None:
    for region in ivschat_regions():
        assert parse_regions(region) == (region,)
        assert parse_command(f"{room_arn(region)} viewer1").room == room_arn(region)
