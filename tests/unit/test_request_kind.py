import pytest

from bot.app import _kind


@pytest.mark.parametrize(
    "body, kind",
    [
        ({"command": "/ivs-kick", "text": "x"}, "/ivs-kick"),
        ({"type": "event_callback", "event": {"type": "subteam_members_changed"}}, "event:subteam_members_changed"),
        ({"type": "block_actions"}, "block_actions"),
        ({"type": "event_callback", "event": "x"}, "event:unknown"),  # signed shapes Slack never sends: logged
        ({"type": "event_callback", "event": []}, "event:unknown"),
        ({"type": "x" * 10_000}, "x" * 100),
        ({}, "unknown"),
    ],
)
def test_every_request_shape_gets_a_kind_for_its_log_line(body, kind):
    assert _kind(body) == kind
