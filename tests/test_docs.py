"""The README tells the truth about how to run the tests and what the code reads."""

import ast
import json
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
    "bot/look_back.py", "bot/ban_messages.py", "bot/ban_select.py", "bot/outcomes.py",
)  # fmt: skip
# Sentences the bot says that report no problem: labels, hints, confirmations and successes.
NOT_PROBLEMS = {
    "Changes the record only", "Disconnected all {} viewers", "No cases for", "Kick from IVS Chat",
    "Audit post:", "Type to search rooms", "Reason for case", "Why are they being removed?",
    "One per line (or separated", "Read the ivs-kick case store", "No audit posts are waiting",
    "Disconnected {} from", "Posted as one message so", "Reason amended by", "You will be asked to",
    "Kicking {} viewers from", "Slack has not answered the", "from IVS Chat", "{} and {} more",
    "A disconnect is a *kick,", "Disconnected all", "Audit post", "One per line",
    "Ended the ban of case", "Replaces the ban of case", "disconnected and banned", "Ban from IVS Chat",
    "Time out in IVS Chat", "Unban in IVS Chat", "Why is the ban lifted?", "Ends this viewer's ban",
    "A ban or timeout also", "No bans in force",
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
