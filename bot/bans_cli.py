"""`python -m bot bans check --room <room ARN> --user <IVS user ID>`: may this viewer get a chat token?

For a chat-token service that asks before calling CreateChatToken. It makes the check the message review handler
makes (bot/review.py): the viewer's ban in that room, or in every room (`*`), read from the case store that
IVS_KICK_STORE and IVS_KICK_DB (and `.env`) name, without Slack tokens. Exit codes:

    0  not banned: issue the token (stdout says so)
    1  banned: stdout says until when (ISO-8601 UTC, or permanently), where, and the case number
    2  bad arguments or settings: one line on stderr naming the field (--room, --user) or the setting
    3  the case store cannot be read: one line on stderr, as `audit` and the bot's start-up print

The room and the user ID are checked against IVS Chat's own rules (bot/kick/request.py) before the store is read.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timezone

from .cli import EXIT_BAD_SETTINGS, EXIT_STORE_UNAVAILABLE, stop, store_choice_from_env
from .kick.bans import ALL_ROOMS, Ban
from .kick.request import InvalidField, validate_room, validate_user
from .store import STORE_ERRORS, unavailable_store
from .store.bans import open_reader

EXIT_MAY_CHAT = 0
EXIT_BANNED = 1
COMMAND = "bans check"
# A token service waits for the answer: each DynamoDB call may take 1 s to connect and 1 s to answer, tried
# twice, so a DynamoDB that does not answer costs about 4 s at the most before exit 3.
STORE_SECONDS = 1.0
STORE_ATTEMPTS = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot bans", description="Check the bans in the case store.")
    actions = parser.add_subparsers(dest="action", metavar="check", required=True)
    check = actions.add_parser(
        "check",
        help="exit 0 if the viewer may get a chat token, 1 if banned",
        description="Exit 0 when the viewer may get a chat token for the room, 1 when banned there or everywhere "
        "(2: bad arguments, 3: the case store cannot be read).",
    )
    check.add_argument("--room", required=True, help="the IVS Chat room's ARN")
    check.add_argument("--user", required=True, help="the viewer's IVS Chat user ID")
    return parser


def _values_joined(argv: list[str]) -> list[str]:
    """`--room X` and `--user X` as `--room=X` and `--user=X`: IVS Chat allows any visible text as a user ID, so a
    viewer may be called `-troll` or `--room`, which argparse would otherwise read as an option and refuse."""
    joined, args = [], iter(argv)
    for arg in args:
        value = next(args, None) if arg in ("--room", "--user") else None
        joined.append(arg if value is None else f"{arg}={value}")
    return joined


def _utc(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def describe(ban: Ban, user_id: str) -> str:
    """`troll_42 is banned from arn:… until 2026-12-04T16:00:00Z (case #12).`, `… from every room permanently …`"""
    where = "every room" if ban.room == ALL_ROOMS else ban.room
    until = "permanently" if ban.expires_at is None else f"until {_utc(ban.expires_at)}"
    return f"{user_id} is banned from {where} {until} (case #{ban.case_number})."


def main(argv: list[str]) -> int:
    args = _parser().parse_args(_values_joined(argv))
    for flag, check, value in (("--room", validate_room, args.room), ("--user", validate_user, args.user)):
        try:
            check(value)
        except InvalidField as problem:
            raise stop(f"{flag}: {problem.message}", EXIT_BAD_SETTINGS, COMMAND) from None
    choice = store_choice_from_env(COMMAND)
    try:
        reader = open_reader(choice, seconds=STORE_SECONDS, attempts=STORE_ATTEMPTS)
        ban = reader.ban_on(args.room, args.user, datetime.now(timezone.utc))
    except STORE_ERRORS as error:
        raise stop(unavailable_store(choice, error), EXIT_STORE_UNAVAILABLE, COMMAND) from None
    if ban is None:
        print(f"{args.user} is not banned from {args.room}.")
        return EXIT_MAY_CHAT
    print(describe(ban, args.user))
    return EXIT_BANNED
