"""deploy/: the message review handler's SAM template passes cfn-lint, grants only what the handler calls, and
its package (deploy/build-review-handler.sh) runs on its own, as Lambda runs it."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import botocore
import botocore.session
import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from bot.kick.regions import ivschat_regions
from bot.store.sqlite import SqliteCaseStore
from rig.bans import record_ban
from rig.world import ROOM, ROOT

TEMPLATE = ROOT / "deploy" / "review-handler.yaml"


def resources(kind: str) -> list[dict]:
    template, problems = decode(str(TEMPLATE))
    assert problems == []
    return [r["Properties"] for r in template["Resources"].values() if r["Type"] == kind]


@pytest.mark.parametrize("provisioned", ["0", "5"])
def test_cfn_lint_finds_nothing_in_any_region_with_ivs_chat(provisioned):
    regions = sorted(r for r, partition in ivschat_regions().items() if partition == "aws")
    config = ManualArgs(regions=regions, parameters=[{"ProvisionedConcurrency": provisioned}])
    matches = lint_file(TEMPLATE, config=config)
    assert [str(match) for match in matches] == []


def _resolve_if(value, conditions: dict[str, bool]):
    """A property with any Fn::If resolved as CloudFormation would, for the given condition values."""
    if isinstance(value, dict) and set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        return _resolve_if(when_true if conditions[condition] else when_false, conditions)
    return value


@pytest.mark.parametrize(
    ("provisioned", "expected"),
    [(0, {"Ref": "AWS::NoValue"}), (5, {"ProvisionedConcurrentExecutions": {"Ref": "ProvisionedConcurrency"}})],
)
def test_provisioned_concurrency_is_configured_only_when_asked_for(provisioned, expected):
    template, _ = decode(str(TEMPLATE))
    assert template["Parameters"]["ProvisionedConcurrency"]["Default"] == 0
    [(name, condition)] = template["Conditions"].items()
    assert condition == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ProvisionedConcurrency"}, "0"]}]}
    [function] = resources("AWS::Serverless::Function")
    assert _resolve_if(function["ProvisionedConcurrencyConfig"], {name: provisioned != 0}) == expected


def test_ivs_chat_may_invoke_exactly_the_arn_the_stack_outputs_for_rooms():
    template, _ = decode(str(TEMPLATE))
    [function_name] = [n for n, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"]
    [function] = resources("AWS::Serverless::Function")
    [permission] = resources("AWS::Lambda::Permission")
    alias = {"Ref": f"{function_name}.Alias"}  # SAM's reference to the AutoPublishAlias's ARN
    assert function["AutoPublishAlias"] and permission["FunctionName"] == alias
    assert template["Outputs"]["ReviewHandlerArn"]["Value"] == alias


def _operations_called(class_name: str, source: Path) -> set[str]:
    """The IAM actions for the DynamoDB client calls a class of ours makes."""
    model = botocore.session.get_session().get_service_model("dynamodb")
    operations = {botocore.xform_name(name): name for name in model.operation_names}
    tree = ast.parse(source.read_text())
    cls = next(n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == class_name)
    calls = {n.func.attr for n in ast.walk(cls) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)}
    return {f"dynamodb:{operations[name]}" for name in calls if name in operations}


def test_the_role_allows_only_the_handlers_read_on_the_table_and_its_own_logs():
    [role] = resources("AWS::IAM::Role")
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    actions = {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}
    read = _operations_called("DynamoBanReader", ROOT / "bot/store/bans.py")
    assert read == {"dynamodb:BatchGetItem"}  # the collector sees the reader's one call
    assert actions == read | {"logs:CreateLogStream", "logs:PutLogEvents"}
    assert all(s["Effect"] == "Allow" and "*" not in json.dumps(s["Resource"]) for s in statements)
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}


def test_the_function_is_the_handler_and_only_ivs_chat_rooms_of_this_account_may_call_it():
    [function] = resources("AWS::Serverless::Function")
    assert (function["Runtime"], function["Handler"]) == ("python3.12", "bot.review.handler")
    assert function["Timeout"] == 1 and set(function["Environment"]["Variables"]) == {
        "IVS_KICK_STORE",
        "IVS_KICK_REVIEW_ON_ERROR",
    }
    [permission] = resources("AWS::Lambda::Permission")
    assert (permission["Principal"], permission["Action"]) == ("ivschat.amazonaws.com", "lambda:InvokeFunction")
    assert permission["SourceAccount"] == {"Ref": "AWS::AccountId"}
    rooms = "arn:${AWS::Partition}:ivschat:${AWS::Region}:${AWS::AccountId}:room/*"
    assert permission["SourceArn"] == {"Fn::Sub": rooms}


# Run inside the package folder, as Lambda runs it: every module of ours must come from there.
IN_THE_PACKAGE = """
import json, os, sys
from bot.review import handler
event = {"Content": "hi", "MessageId": "m1", "RoomArn": sys.argv[1], "Attributes": {},
         "Sender": {"UserId": "troll_42", "Ip": "203.0.113.7", "Attributes": {}}}
ours = sorted(m.__file__ for name, m in sys.modules.items() if name == "bot" or name.startswith("bot."))
slack = sorted(name for name in sys.modules if name.startswith(("slack", "dotenv", "gevent")))
print(json.dumps({"answer": handler(event, None), "ours": ours, "slack": slack}))
"""


def test_the_built_package_holds_the_handler_and_runs_alone(tmp_path):
    package = tmp_path / "review-handler"
    subprocess.run(["sh", str(ROOT / "deploy/build-review-handler.sh"), str(package)], check=True, capture_output=True)
    assert (tmp_path / "review-handler.zip").stat().st_size < 50_000
    store = SqliteCaseStore(tmp_path / "cases.db")
    record_ban(store, ROOM, "troll_42", datetime.now(timezone.utc), timedelta(hours=1))
    store.close()
    env = {**os.environ, "IVS_KICK_DB": str(tmp_path / "cases.db")}
    env.pop("PYTHONPATH", None)
    ran = subprocess.run(
        [sys.executable, "-c", IN_THE_PACKAGE, ROOM], cwd=package, env=env, capture_output=True, text=True, check=True
    )
    result = json.loads(ran.stdout)
    assert result["answer"]["ReviewResult"] == "DENY" and result["slack"] == []
    assert result["ours"] and all(path.startswith(str(package)) for path in result["ours"])
    files = sorted(str(p.relative_to(package)) for p in package.rglob("*.py"))
    assert len(files) == len(result["ours"]) == 6  # everything packaged is used, and nothing else is
