"""`python -m bot audit …`: read the case store from a shell, without Slack tokens.

python -m bot audit pending                          cases whose audit post has not reached Slack
python -m bot audit export [--since DATE] [--format csv|jsonl]   every case, oldest first, to stdout
    (CSV cells that a spreadsheet would run as a formula are neutralised; JSON Lines are the data as stored)
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

from dotenv import load_dotenv

from .kick.cases import Case, CaseStore
from .store import STORE_ERRORS, StoreChoice, choose_store, open_store, unavailable_store

CSV_COLUMNS = (
    "case", "created_at", "action", "status", "banned_until", "moderator_id", "team_id", "channel_id", "room_arn",
    "room_name", "user_id", "result", "message", "aws_request_id", "reason", "detail", "command", "audit_channel",
    "audit_ts", "amendments",
)  # fmt: skip


# OWASP's CSV Injection rule: a spreadsheet may run a cell that begins with one of these as a formula.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A cell no spreadsheet runs: text that begins with = + - @, a tab or a carriage return gets a leading `'`
    (https://owasp.org/www-community/attacks/CSV_Injection). The rest is kept as it was."""
    return "'" + value if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) else value


def _since(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--since takes a date or time like 2026-11-01 or 2026-11-01T12:00Z; got {text!r}"
        )
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot audit", description="Read the ivs-kick case store.")
    actions = parser.add_subparsers(dest="action", required=True)
    actions.add_parser("pending", help="list cases whose audit post is waiting for delivery")
    export = actions.add_parser("export", help="write every case to stdout, oldest first")
    export.add_argument("--since", type=_since, help="only cases created at or after this date/time (UTC if no zone)")
    export.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    return parser


# Exit codes: argparse's own 2 for bad arguments and settings; 3, as at start-up, for a store that cannot be read.
EXIT_BAD_SETTINGS = 2
EXIT_STORE_UNAVAILABLE = 3


def stop(line: str, code: int, command: str = "audit") -> SystemExit:
    """`line` on stderr after the command's name (`python -m bot audit: …`); raise what it returns to exit."""
    print(f"python -m bot {command}: {line}", file=sys.stderr)
    return SystemExit(code)


def store_choice_from_env(command: str = "audit") -> StoreChoice:
    """IVS_KICK_STORE / IVS_KICK_DB from `.env` and the environment. A SQLite file must already exist: reading
    records never creates an empty store. Exits (see `stop`) when the choice is malformed or the file is missing."""
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        choice = choose_store(os.environ)
    except ValueError as problem:
        raise stop(str(problem), EXIT_BAD_SETTINGS, command) from None
    if choice.kind == "sqlite" and not Path(choice.location).is_file():
        raise stop(
            f"there is no case store at {Path(choice.location).absolute()} (IVS_KICK_DB, with IVS_KICK_STORE=sqlite). "
            "Run this in the bot's working directory, or set IVS_KICK_DB to the bot's SQLite file "
            "(IVS_KICK_STORE=dynamodb:<table> for the DynamoDB store).",
            EXIT_STORE_UNAVAILABLE,
            command,
        )
    return choice


def case_as_json(case: Case) -> dict[str, Any]:
    data = asdict(case)
    data["status"] = case.status.value
    data["action"] = case.action.value
    return json.loads(json.dumps(data, default=lambda v: v.isoformat() if isinstance(v, datetime) else str(v)))


def _csv_rows(case: Case) -> Iterable[dict[str, Any]]:
    base = {
        "case": case.number, "created_at": case.created_at.isoformat(), "action": case.action.value,
        "status": case.status.value, "banned_until": case.banned_until.isoformat() if case.banned_until else None,
        "moderator_id": case.moderator_id, "team_id": case.team_id, "channel_id": case.channel_id,
        "room_arn": case.room_arn, "room_name": case.room_name, "reason": case.reason, "detail": case.detail,
        "command": case.command_text, "audit_channel": case.audit_post.channel if case.audit_post else None,
        "audit_ts": case.audit_post.ts if case.audit_post else None,
        "amendments": json.dumps(case_as_json(case)["amendments"]) if case.amendments else "",
    }  # fmt: skip
    for target in case.targets or [None]:
        row = dict(base)
        if target:
            row.update(user_id=target.user_id, result=target.result, message=target.message,
                       aws_request_id=target.request_id)  # fmt: skip
        yield row


def export(cases: Iterable[Case], fmt: str, out: TextIO) -> int:
    count = 0
    if fmt == "csv":
        # Every cell quoted, so a separator, quote or line break inside one cannot start another.
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="raise", quoting=csv.QUOTE_ALL)
        writer.writeheader()
        for case in cases:
            writer.writerows({column: _cell(value) for column, value in row.items()} for row in _csv_rows(case))
            count += 1
    else:
        for case in cases:
            out.write(json.dumps(case_as_json(case), ensure_ascii=False) + "\n")
            count += 1
    return count


def pending(store: CaseStore, out: TextIO) -> int:
    waiting = store.undelivered()
    if not waiting:
        out.write("No audit posts are waiting.\n")
    for case in waiting:
        why = case.audit_error or ("kick still running" if case.status.value == "pending" else "not yet tried")
        if case.summarised_in == case.number and not case.audit_error:
            why = f"summary of {len(store.summarised(case.number))} attempts, posted when its minute ends"
        out.write(f"#{case.number}\t{case.created_at:%Y-%m-%d %H:%M:%S}Z\t{case.status.value}\t{why}\n")
    return len(waiting)


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    choice = store_choice_from_env()
    try:
        store = open_store(choice)
        try:
            if args.action == "pending":
                pending(store, sys.stdout)
            else:
                count = export(store.export(args.since), args.format, sys.stdout)
                print(f"exported {count} cases", file=sys.stderr)
        finally:
            store.close()
    except BrokenPipeError:  # the reader went away (`… | head`): what it read was written; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except STORE_ERRORS as error:
        raise stop(unavailable_store(choice, error), EXIT_STORE_UNAVAILABLE) from None
    return 0
