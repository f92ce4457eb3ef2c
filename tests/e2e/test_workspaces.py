"""Only the workspace or Enterprise Grid organisation the bot token belongs to may use the bot, on every surface;
Grid's payload shapes (`team: null`, `enterprise`, `user.team_id`, `authorizations`) are read correctly."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import pytest

from rig.drive import TEAM_ID, button_payload, command_payload, event_payload, submission_payload
from rig.world import AUDIT_CHANNEL, GROUP, GROUP_MODERATOR, ROOM, Bot, BotProcess

ORG = "E0ORG"
SISTER = "T0SISTER"  # another workspace of the same organisation
REFUSED = "request from another workspace refused"


@dataclass(frozen=True)
class Origin:
    """Where a request comes from, shaped as Slack shapes it for a workspace or an org-wide installation."""

    team: str
    enterprise: str | None = None
    org_wide: bool = False

    def command(self, form: dict[str, str]) -> dict[str, str]:
        form = form | {"team_id": self.team}
        if self.enterprise:
            form |= {"enterprise_id": self.enterprise, "enterprise_name": "Org", "is_enterprise_install": "true"}
        return form

    def interaction(self, payload: dict[str, Any]) -> dict[str, Any]:
        payload = json.loads(json.dumps(payload))
        payload["user"]["team_id"] = self.team
        if "view" in payload:
            payload["view"]["team_id"] = self.team
            payload["view"]["app_installed_team_id"] = None if self.org_wide else self.team
        if self.org_wide:
            payload |= {
                "team": None,
                "enterprise": {"id": self.enterprise, "name": "Org"},
                "is_enterprise_install": True,
            }
        else:
            payload["team"] = {"id": self.team, "domain": "elsewhere"}
        return payload

    def event(self, body: dict[str, Any]) -> dict[str, Any]:
        team = None if self.org_wide else self.team
        authorization = {"enterprise_id": self.enterprise, "team_id": team, "user_id": "U0000BOT", "is_bot": True,
                         "is_enterprise_install": self.org_wide}  # fmt: skip
        return body | {"team_id": self.team, "enterprise_id": self.enterprise, "authorizations": [authorization],
                       "is_ext_shared_channel": False}  # fmt: skip


HOME = Origin(TEAM_ID)


def _command(bot: Bot, origin: Origin, text: str, user: str = GROUP_MODERATOR) -> tuple[Any, str, str]:
    trigger_id, response_url = bot.slack.new_trigger_id(), bot.slack.new_response_url()
    form = command_payload(text, user_id=user, trigger_id=trigger_id, response_url=response_url)
    return bot.driver.command(origin.command(form)), trigger_id, response_url


def _submit(bot: Bot, origin: Origin, view: dict[str, Any], reason: str | None = "spam") -> Any:
    return bot.driver.interaction(origin.interaction(submission_payload(view, user_id=GROUP_MODERATOR, reason=reason)))


def _click_edit(bot: Bot, origin: Origin, post: dict[str, Any]) -> str:
    trigger_id = bot.slack.new_trigger_id()
    [block] = [b for b in post["blocks"] if b["type"] == "actions"]
    button = button_payload(
        post, AUDIT_CHANNEL, user_id=GROUP_MODERATOR, action_id="ivs_kick_edit_reason",
        value=block["elements"][0]["value"], trigger_id=trigger_id, response_url=bot.slack.new_response_url(),
    )  # fmt: skip
    bot.driver.interaction(origin.interaction(button))
    return trigger_id


def _room_options(bot: Bot, origin: Origin, form: dict[str, Any], user: str = GROUP_MODERATOR) -> Any:
    suggestion = {
        "type": "block_suggestion", "user": {"id": user}, "team": {"id": TEAM_ID}, "api_app_id": "A0000TEST",
        "token": "x", "action_id": "room", "block_id": "room", "value": "", "view": form,
    }  # fmt: skip
    return bot.driver.interaction(origin.interaction(suggestion) | {"user": {"id": user, "team_id": origin.team}})


def _removal(origin: Origin) -> dict[str, Any]:
    event = {"type": "subteam_members_changed", "subteam_id": GROUP, "added_users": [], "removed_users":
             [GROUP_MODERATOR], "added_users_count": 0, "removed_users_count": 1}  # fmt: skip
    return origin.event(event_payload(event))


def _kick(bot: Bot, origin: Origin, text: str) -> str:
    _, trigger_id, response_url = _command(bot, origin, text)
    _submit(bot, origin, bot.opened_view(trigger_id))
    return bot.wait_reply(response_url)


def _cases(bot: Bot) -> list[dict[str, Any]]:
    code, out, err = BotProcess(bot.process.env, bot.process.workdir).run_to_exit("audit", "export")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def _tally(bot: Bot) -> tuple[int, int, int]:
    """What the bot has done so far: IVS calls, audit posts, modals opened."""
    return len(bot.ivs.calls), len(bot.audit_posts()), len(bot.slack.calls_to("views.open"))


def _opened(bot: Bot, trigger_id: str) -> list[Any]:
    return [c for c in bot.slack.calls_to("views.open") if c.params.get("trigger_id") == trigger_id]


def _wait_until_the_group_is_read(bot: Bot) -> None:
    bot.slack.wait_for(lambda: bot.slack.calls_to("usergroups.users.list"), timeout=10)


def _first_options(bot: Bot, origin: Origin, form: dict[str, Any], user: str = GROUP_MODERATOR) -> list[Any]:
    """The room listing starts with the bot; until it is in, a moderator gets no options."""
    deadline = time.monotonic() + 10
    while (
        not (options := (_room_options(bot, origin, form, user) or {}).get("options")) and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    return options or []


# -- one surface each: what an outsider sends, and what must then be true ------------------------------------------


def _outsider_commands(bot: Bot, home: Origin, outsider: Origin) -> None:
    done = _tally(bot)
    ack, trigger_id, response_url = _command(bot, outsider, f"{ROOM} viewer42")
    assert ack["text"] == "This app is not installed in your workspace." and ack["response_type"] == "ephemeral"
    bot.slack.wait_for(lambda: REFUSED in bot.process.logs())
    assert not _opened(bot, trigger_id) and not bot.replies(response_url) and _tally(bot) == done


def _outsider_submits(bot: Bot, home: Origin, outsider: Origin) -> None:
    _, trigger_id, response_url = _command(bot, home, f"{ROOM} viewer42")
    view, done = bot.opened_view(trigger_id), _tally(bot)
    assert _submit(bot, outsider, view) is None
    bot.slack.wait_for(lambda: REFUSED in bot.process.logs())
    assert not _cases(bot) and not bot.replies(response_url) and _tally(bot) == done


def _outsider_clicks_edit_reason(bot: Bot, home: Origin, outsider: Origin) -> None:
    _kick(bot, home, f"{ROOM} viewer42 spam")
    [post], done = bot.slack.messages, _tally(bot)
    trigger_id = _click_edit(bot, outsider, post)
    bot.slack.wait_for(lambda: REFUSED in bot.process.logs())
    assert not _opened(bot, trigger_id) and _tally(bot) == done


def _outsider_lists_rooms(bot: Bot, home: Origin, outsider: Origin) -> None:
    _, trigger_id, _ = _command(bot, home, "")
    form = bot.opened_view(trigger_id)
    assert _first_options(bot, home, form), "a moderator at home sees the rooms"
    assert _room_options(bot, outsider, form) is None
    bot.slack.wait_for(lambda: REFUSED in bot.process.logs())  # log lines are written by a thread of their own


def _outsider_removes_a_moderator(bot: Bot, home: Origin, outsider: Origin) -> None:
    bot.driver.event(_removal(outsider))
    bot.slack.wait_for(lambda: REFUSED in bot.process.logs())
    assert "moderator group changed" not in bot.process.logs()
    assert "Disconnected viewer42" in _kick(bot, home, f"{ROOM} viewer42")


SURFACES = {
    "slash_command": _outsider_commands,
    "view_submission": _outsider_submits,
    "block_actions": _outsider_clicks_edit_reason,
    "block_suggestion": _outsider_lists_rooms,
    "event": _outsider_removes_a_moderator,
}


@pytest.mark.parametrize("surface", SURFACES)
def test_a_request_from_another_workspace_changes_nothing(start_bot, mode, surface):
    bot = start_bot(mode, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP, IVS_KICK_REGIONS="us-west-2")
    _wait_until_the_group_is_read(bot)
    SURFACES[surface](bot, HOME, Origin("T0OTHER"))
    assert "T0OTHER" in [line for line in bot.process.logs().splitlines() if REFUSED in line][0]


@pytest.mark.parametrize("surface", SURFACES)
def test_a_request_from_another_organisation_changes_nothing(start_bot, slack, surface):
    slack.enterprise_id, slack.enterprise_install = ORG, True
    bot = start_bot("http", IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP, IVS_KICK_REGIONS="us-west-2")
    _wait_until_the_group_is_read(bot)
    SURFACES[surface](bot, Origin(SISTER, ORG, org_wide=True), Origin("T0OTHERORG", "E0OTHER", org_wide=True))
    assert "E0OTHER" in [line for line in bot.process.logs().splitlines() if REFUSED in line][0]


def test_a_workspace_install_refuses_the_other_workspaces_of_its_organisation(start_bot, slack):
    slack.enterprise_id = ORG  # installed in one workspace of a Grid organisation, not org-wide
    bot = start_bot("http")
    ack, _, _ = _command(bot, Origin(SISTER, ORG), f"{ROOM} viewer42", user="U0MOD")
    assert "not installed" in ack["text"]
    ack, trigger_id, _ = _command(bot, Origin(TEAM_ID, ORG), f"{ROOM} viewer42", user="U0MOD")
    assert ack is None and bot.opened_view(trigger_id)


def test_an_org_wide_install_serves_every_workspace_of_the_organisation_in_grid_shapes(start_bot, slack, mode):
    slack.enterprise_id, slack.enterprise_install = ORG, True
    bot = start_bot(mode, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP, IVS_KICK_REGIONS="us-west-2")
    _wait_until_the_group_is_read(bot)
    grid = Origin(SISTER, ORG, org_wide=True)

    _, trigger_id, response_url = _command(bot, grid, "")
    form = bot.opened_view(trigger_id)
    assert ROOM in {o["value"] for o in _first_options(bot, grid, form)}

    _, trigger_id, response_url = _command(bot, grid, f"{ROOM} viewer42")
    assert _submit(bot, grid, bot.opened_view(trigger_id)) is None
    assert "Disconnected viewer42" in bot.wait_reply(response_url)
    [case] = _cases(bot)
    assert case["team_id"] == SISTER  # the submitter's workspace, from `user.team_id` since `team` is null

    trigger_id = _click_edit(bot, grid, bot.slack.messages[0])
    assert bot.opened_view(trigger_id)["callback_id"] == "ivs_kick_edit_reason"

    bot.driver.event(_removal(grid))
    bot.slack.wait_for(lambda: "moderator group changed" in bot.process.logs())
    _, _, response_url = _command(bot, grid, f"{ROOM} viewer43")
    assert "not an IVS Chat moderator" in bot.wait_reply(response_url)
    assert REFUSED not in bot.process.logs() and "Traceback" not in bot.process.logs()


def test_the_room_picker_lists_rooms_to_moderators_only(start_bot, mode):
    bot = start_bot(mode, IVS_KICK_MODERATORS=None, IVS_KICK_MODERATOR_GROUP=GROUP, IVS_KICK_REGIONS="us-west-2")
    _wait_until_the_group_is_read(bot)
    _, trigger_id, _ = _command(bot, HOME, "")
    form = bot.opened_view(trigger_id)
    assert ROOM in {o["value"] for o in _first_options(bot, HOME, form)}
    assert _room_options(bot, HOME, form, user="U0RANDOM") == {"options": []}


def test_slacks_url_verification_names_no_workspace_and_is_still_answered(start_bot):
    bot = start_bot("http")
    challenge = {
        "token": "deprecated-verification-token",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    assert bot.driver.event(challenge) == {"challenge": challenge["challenge"]}
    assert REFUSED not in bot.process.logs()
