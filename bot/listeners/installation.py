"""Only the workspace (or Enterprise Grid organisation) the bot token belongs to may use the bot.

One app can be installed in several workspaces, and each installation's requests come signed with the same
signing secret, to the same request URL or Socket Mode connection. This bot acts with one bot token, so a request
from anywhere else is refused by a global middleware before any listener sees it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import BoltContext, BoltRequest, BoltResponse

log = logging.getLogger(__name__)

NOT_INSTALLED = "This app is not installed in your workspace."


@dataclass(frozen=True)
class Installation:
    """Where the bot token belongs, from `auth.test`: a workspace (`team_id`), or with `org_wide` an Enterprise
    Grid organisation (`enterprise_id`) whose every workspace may use the bot."""

    team_id: str | None
    enterprise_id: str | None
    org_wide: bool

    @classmethod
    def from_auth_test(cls, answer: Mapping[str, Any]) -> Installation:
        """`answer`: auth.test's response (`team_id`, `enterprise_id`, `is_enterprise_install`)."""
        return cls(answer.get("team_id"), answer.get("enterprise_id"), answer.get("is_enterprise_install") is True)

    def admits(self, team_id: str | None, enterprise_id: str | None) -> bool:
        """Whether a request from this workspace / organisation is ours. An org-wide installation matches on the
        organisation, any other on the workspace; with no ID to compare, nothing matches."""
        if self.org_wide:
            return self.enterprise_id is not None and enterprise_id == self.enterprise_id
        return self.team_id is not None and team_id == self.team_id


def only_from(installation: Installation) -> Callable[..., BoltResponse | None]:
    """A Bolt global middleware that lets through only requests `installation` admits.

    Bolt reads the request's workspace and organisation into its context from every payload shape (slash
    commands' `team_id` and `enterprise_id`, interactions' `team` that is null in an org-wide installation with
    `user.team_id` and `enterprise`, events' `authorizations`). A refused request is still answered 200, so
    Slack does not retry it; a slash command's answer says why, privately.
    """

    def check_workspace(
        req: BoltRequest, context: BoltContext, body: dict[str, Any], next: Callable[[], None]
    ) -> BoltResponse | None:
        if installation.admits(context.team_id, context.enterprise_id):
            next()
            return None
        log.warning(
            "request from another workspace refused",
            extra={"fields": {"team": context.team_id, "enterprise": context.enterprise_id,
                              "kind": body.get("command") or body.get("type")}},
        )  # fmt: skip
        if body.get("command"):
            answer = json.dumps({"response_type": "ephemeral", "text": NOT_INSTALLED})
            return BoltResponse(status=200, body=answer, headers={"content-type": "application/json"})
        return BoltResponse(status=200, body="")

    return check_workspace
