"""Which requests an installation admits: the rule the global middleware applies before any listener."""

from __future__ import annotations

import pytest

from bot.listeners.installation import Installation

WORKSPACE = Installation.from_auth_test({"team_id": "T1", "is_enterprise_install": False})
GRID_WORKSPACE = Installation.from_auth_test({"team_id": "T1", "enterprise_id": "E1", "is_enterprise_install": False})
ORG_WIDE = Installation.from_auth_test({"team_id": "E1", "enterprise_id": "E1", "is_enterprise_install": True})


@pytest.mark.parametrize(
    "installation, team, enterprise, admitted",
    [
        (WORKSPACE, "T1", None, True),
        (WORKSPACE, "T2", None, False),
        (WORKSPACE, None, None, False),
        (GRID_WORKSPACE, "T1", "E1", True),
        (GRID_WORKSPACE, "T2", "E1", False),  # another workspace of the same organisation
        (ORG_WIDE, "T2", "E1", True),
        (ORG_WIDE, None, "E1", True),  # `team: null` in an org-wide installation's interactions
        (ORG_WIDE, "T2", "E2", False),
        (ORG_WIDE, "E1", None, False),
        (Installation(None, None, org_wide=True), None, None, False),
    ],
)
def test_an_installation_admits_only_its_own_workspace_or_organisation(installation, team, enterprise, admitted):
    assert installation.admits(team, enterprise) is admitted
