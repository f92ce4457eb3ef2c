"""The README tells the truth about how to run the tests and what the code reads."""

import ast
import json
import os
import re
from pathlib import Path

import botocore
import botocore.session

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_is_exactly_two_commands_run_then_test():
    run, test = quick_start_commands()
    assert run.endswith("python -m bot") and test.endswith("python -m pytest")


def test_ci_runs_the_readmes_test_command():
    assert quick_start_commands()[1] in (ROOT / ".ci/run").read_text().splitlines()


def _env_names_read(tree: ast.AST) -> set[str]:
    """Environment variables a module reads: `os.environ.get("X")`, `env.get("X")`, `os.environ["X"]`,
    `os.getenv("X")`, and helpers handed the environment with a name (`_number(env, "PORT", …)`)."""

    def is_env(node: ast.AST) -> bool:  # not a WSGI `environ`, which holds a request
        return (isinstance(node, ast.Name) and node.id == "env") or (
            isinstance(node, ast.Attribute) and node.attr == "environ"
        )

    def names(nodes: list[ast.expr]) -> set[str]:
        return {n.value for n in nodes if isinstance(n, ast.Constant) and isinstance(n.value, str)}

    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "get" and is_env(func.value):
                found |= names(node.args[:1])
            elif isinstance(func, ast.Attribute) and func.attr == "getenv":
                found |= names(node.args[:1])
            elif any(is_env(arg) for arg in node.args):
                found |= names(node.args)
        elif isinstance(node, ast.Subscript) and is_env(node.value):
            found |= names([node.slice])
    return {name for name in found if re.fullmatch(r"[A-Z][A-Z0-9_]+", name)}


def test_every_variable_the_code_reads_is_in_the_settings_table_and_the_example():
    read = set().union(*(_env_names_read(ast.parse(p.read_text())) for p in (ROOT / "bot").rglob("*.py")))
    assert {"SLACK_BOT_TOKEN", "IVS_KICK_DB", "PORT", "WEB_CONCURRENCY"} <= read  # the collector sees every kind
    table = README.split("### Settings", 1)[1].split("\n\n", 2)[1]
    documented = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", table, re.MULTILINE))
    assert read - documented == set(), "add a row to README's settings table"
    example = (ROOT / ".env.example").read_text()
    assert {name for name in read if not re.search(rf"^#? ?{name}=", example, re.MULTILINE)} == set()


def _json_blocks(text: str) -> list[dict]:
    return [json.loads(block) for block in re.findall(r"```json\n(.*?)```", text, re.DOTALL)]


def _actions(policy: dict) -> set[str]:
    statements = policy.get("Statement", [policy])
    return {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])}


def _section(title: str) -> str:
    return README.split(title, 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def test_with_a_role_to_assume_the_bots_own_identity_keeps_the_look_ups_and_the_role_only_kicks():
    from bot.kick.rooms import GET_ACTION, LIST_ACTION

    role_permissions, _trust, own = _json_blocks(_section("### CloudTrail shows which Slack user kicked"))
    assert _actions(role_permissions) == {"ivschat:DisconnectUser"}
    assert _actions(own) == {"sts:AssumeRole", GET_ACTION, LIST_ACTION}
    without_role = _json_blocks(_section("## The IAM policy"))[0]
    assert _actions(without_role) == {"ivschat:DisconnectUser", GET_ACTION, LIST_ACTION}


def _dynamodb_actions_called() -> set[str]:
    """The IAM actions DynamoCaseStore needs: each client call, direct or by name, and each kind of write inside a
    transaction."""
    model = botocore.session.get_session().get_service_model("dynamodb")
    operation = {botocore.xform_name(name): name for name in model.operation_names}
    source = (ROOT / "bot/store/dynamodb.py").read_text()
    store = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef) and n.name == "DynamoCaseStore")
    called = {
        node.func.attr
        for node in ast.walk(store)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in operation
    }
    # and operations called by name (getattr(self._client, "batch_write_item"))
    called |= {n.value for n in ast.walk(store) if isinstance(n, ast.Constant) and n.value in operation}
    actions = {f"dynamodb:{operation[name]}" for name in called if name != "transact_write_items"}
    kinds = {"Put", "Update", "Delete", "ConditionCheck"}  # what TransactWriteItems may hold
    keys = (key for node in ast.walk(store) if isinstance(node, ast.Dict) for key in node.keys)
    written = {key.value for key in keys if isinstance(key, ast.Constant) and key.value in kinds}
    return actions | {f"dynamodb:{kind}Item" for kind in written}


def test_the_dynamodb_policy_names_every_action_the_store_calls():
    policy = next(p for p in _json_blocks(README) if p.get("Sid") == "KeepCasesInDynamoDB")
    called = _dynamodb_actions_called()
    assert {"dynamodb:GetItem", "dynamodb:PutItem"} <= called  # the collector sees calls and transactions
    assert _actions(policy) == called


# Where the bot words what an operator or a moderator reads: replies, dialogs, audit posts, start-up and CLI lines.
SPEAKING_MODULES = (
    "bot/__main__.py", "bot/startup.py", "bot/settings.py", "bot/cli.py", "bot/store/__init__.py",
    "bot/delivery.py", "bot/messages.py", "bot/outbox.py", "bot/kick/*.py", "bot/listeners/**/*.py",
    "bot/store/dynamodb.py", "bot/store/bans.py", "bot/review.py", "bot/bans_cli.py",
    "bot/look_back.py", "bot/ban_messages.py", "bot/ban_select.py", "bot/outcomes.py",
)  # fmt: skip
# Sentences the bot says that report no problem: labels, hints, confirmations and successes.
NOT_PROBLEMS = {
    "Changes the record only", "Disconnected all {} viewers", "No cases for", "Kick from IVS Chat",
    "Audit post:", "Type to search rooms", "Reason for case", "Why are they being removed?",
    "One per line (or separated", "Read the ivs-kick case store", "No audit posts are waiting",
    "Check the bans in the", "is not banned from",
    "Disconnected {} from", "Posted as one message so", "Reason amended by", "You will be asked to",
    "Kicking {} viewers from", "Slack has not answered the", "from IVS Chat", "{} and {} more",
    "Disconnected all", "Audit post", "One per line",
    "Ended the ban of case", "Replaces the ban of case", "disconnected and banned", "Ban from IVS Chat",
    "Time out in IVS Chat", "Unban in IVS Chat", "Why is the ban lifted?", "Ends this viewer's ban",
    "A ban or timeout also", "No bans in force", "The timeout set in case",
    # prefixes of another message, which has its own row
    "Nothing was done", "The kick failed", "Last delivery problem", "The unban changed nothing",
}  # fmt: skip


def _templates(path: Path) -> list[str]:
    """Each sentence-like string of a module, f-string placeholders as {}; docstrings and log lines left out."""
    tree = ast.parse(path.read_text())
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                skip.add(id(first.value))
        if isinstance(node, ast.JoinedStr):
            skip |= {id(value) for value in node.values}
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.append(node.value)
        elif isinstance(node, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values))
    sentence = re.compile(r"(?::[a-z_]+: )?(?:\{\}|[A-Z][A-Za-z_]*(?: [A-Z][A-Za-z_]*)?) [a-z]")
    return [t for t in found if sentence.match(t) and len(t.split()) >= 4 and "\n" not in t.strip()]


def _key(template: str) -> str:
    """What identifies a message in the table: the first words of its first constant clause."""
    text = re.sub(r"^:[a-z_]+: ", "", template)
    constant = next((part.strip() for part in text.split("{}") if len(part.split()) >= 2), text)
    clause = re.split(r"(?<=[.;:)])\s|\s\(", constant)[0].rstrip(".;:")
    return " ".join(clause.split()[:5])


def _you_see() -> str:
    table = README.split("## Troubleshooting", 1)[1].split("\n\n", 2)[1]
    return "\n".join(row.split(" | ")[0] for row in table.splitlines() if row.startswith("| "))


def test_every_problem_message_has_a_troubleshooting_row():
    paths = sorted({p for pattern in SPEAKING_MODULES for p in ROOT.glob(pattern)})
    templates = {t for path in paths for t in _templates(path)}
    assert len(templates) > 40  # the collector sees the messages
    you_see = _you_see()
    missing = sorted(
        key for key in {_key(t) for t in templates} if key not in you_see and not key.startswith(tuple(NOT_PROBLEMS))
    )
    assert missing == [], "add a row to README's troubleshooting table for each"


def _clean_aws(monkeypatch) -> None:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)


def test_the_readmes_table_set_up_makes_the_table_the_bot_makes(monkeypatch):
    import boto3
    from moto import mock_aws

    from bot.store.dynamodb import BANS_INDEX_ATTRIBUTES, BANS_INDEX_SPEC, create_table

    create, update = re.findall(r"```sh\n(aws dynamodb (?:create|update)-table.*?)```", README, re.DOTALL)
    _clean_aws(monkeypatch)
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        create_table(client, "ivs-kick-cases")
        table = client.describe_table(TableName="ivs-kick-cases")["Table"]
    attributes = {(a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]}
    assert set(re.findall(r"AttributeName=(\w+),AttributeType=(\w)", create)) == attributes
    documented = json.loads(re.search(r"--global-secondary-indexes '(.*?)'", create, re.DOTALL).group(1))
    made = [
        {k: index[k] for k in ("IndexName", "KeySchema", "Projection")} for index in table["GlobalSecondaryIndexes"]
    ]
    assert sorted(documented, key=str) == sorted(made, key=str)
    # and the update that adds the bans index to an older table is the one add_bans_index makes
    added = {(a["AttributeName"], a["AttributeType"]) for a in BANS_INDEX_ATTRIBUTES}
    assert set(re.findall(r"AttributeName=(\w+),AttributeType=(\w)", update)) == added
    assert json.loads(re.search(r"--global-secondary-index-updates '(.*?)'", update, re.DOTALL).group(1)) == [
        {"Create": BANS_INDEX_SPEC}
    ]


def test_the_readmes_token_service_check_reads_the_bans_the_bot_writes(monkeypatch):
    """The Python snippet of "The ban records and a token service's check", against moto's DynamoDB server holding
    bans the bot's own store wrote."""
    from datetime import datetime, timedelta, timezone

    from bot.kick.bans import ALL_ROOMS
    from bot.store.dynamodb import DynamoCaseStore
    from rig.bans import record_ban
    from rig.moto import MotoServer, dynamodb_table
    from rig.world import ROOM, ROOM_EU

    [snippet] = re.findall(r"```python\n(.*?)```", _section("### The ban records and a token service's check"), re.S)
    _clean_aws(monkeypatch)
    now = datetime.now(timezone.utc)
    with MotoServer() as moto:
        for name, value in {
            "AWS_ENDPOINT_URL_DYNAMODB": moto.url, "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "AKIDIVSKICKTEST", "AWS_SECRET_ACCESS_KEY": "unused-by-moto",
        }.items():  # fmt: skip
            monkeypatch.setenv(name, value)
        dynamodb_table(moto, "ivs-kick-cases")
        import boto3

        store = DynamoCaseStore("ivs-kick-cases", client=boto3.client("dynamodb"))
        record_ban(store, ROOM, "timed_out", now, timedelta(hours=1))
        record_ban(store, ALL_ROOMS, "everywhere", now)
        record_ban(store, ROOM, "served", now - timedelta(hours=3), timedelta(hours=1))
        record_ban(store, ROOM, "forgiven", now, timedelta(days=7))
        store.end_ban(ROOM, "forgiven", now, "U0MOD")
        namespace: dict = {}
        exec(snippet, namespace)
        is_banned = namespace["is_banned"]
        answers = {(room, user): is_banned("ivs-kick-cases", room, user) for room in (ROOM, ROOM_EU)
                   for user in ("timed_out", "everywhere", "served", "forgiven", "never")}  # fmt: skip
    assert {key for key, banned in answers.items() if banned} == {
        (ROOM, "timed_out"), (ROOM, "everywhere"), (ROOM_EU, "everywhere")
    }  # fmt: skip
