"""Case stores: SQLite (one host) by default, DynamoDB for several instances.

`IVS_KICK_STORE` picks one: `sqlite` (the default, file `IVS_KICK_DB`) or `dynamodb:<table>`.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

if TYPE_CHECKING:  # the message review handler imports this package, and must not load the bot's domain
    from ..kick.cases import CaseStore


class TableOutdated(RuntimeError):
    """The store predates a feature the bot needs (a DynamoDB table without its `bans` index, a SQLite file
    without its `bans` table); the message says how to bring it up to date."""


class StoreThrottled(RuntimeError):
    """DynamoDB kept answering part of a read as unprocessed (throttled) through every try."""


# What a store raises when it cannot be reached or written: the file or table, the network, DynamoDB itself.
STORE_ERRORS = (sqlite3.Error, BotoCoreError, ClientError, OSError, TableOutdated, StoreThrottled)

DEFAULT_DB = "ivs-kick.db"
_DYNAMODB = re.compile(r"dynamodb:([a-zA-Z0-9_.-]{3,255})")


@dataclass(frozen=True)
class StoreChoice:
    kind: str  # "sqlite" or "dynamodb"
    location: str  # the SQLite file, or the DynamoDB table

    def describe(self) -> str:
        return f"{self.kind}:{self.location}"


def choose_store(env: Mapping[str, str]) -> StoreChoice:
    """Read IVS_KICK_STORE / IVS_KICK_DB; ValueError with a clear sentence when the choice is malformed."""
    spec = env.get("IVS_KICK_STORE", "").strip() or "sqlite"
    if spec == "sqlite":
        return StoreChoice("sqlite", env.get("IVS_KICK_DB", "").strip() or DEFAULT_DB)
    match = _DYNAMODB.fullmatch(spec)
    if match:
        return StoreChoice("dynamodb", match.group(1))
    raise ValueError(
        "IVS_KICK_STORE must be sqlite (the default; file from IVS_KICK_DB) or dynamodb:<table> "
        f"(a DynamoDB table name of 3-255 letters, digits, _ . -); got {spec[:80]!r}."
    )


def unavailable_store(choice: StoreChoice, error: BaseException) -> str:
    """One line for an operator: which case store could not be opened or read, why, and which settings to check.
    `error` is one of STORE_ERRORS."""
    where = f"The case store {choice.describe()} cannot be opened"
    if isinstance(error, TableOutdated):
        return f"{where}: {error}"
    if choice.kind == "sqlite":
        return (
            f"{where}: {error}. Check IVS_KICK_DB (the SQLite file, {choice.location}: its directory must exist and "
            "the bot must be able to write there) and IVS_KICK_STORE."
        )
    if isinstance(error, NoRegionError):
        return (
            f"{where}: no AWS region is configured for DynamoDB. Set AWS_DEFAULT_REGION (or the region of "
            "AWS_PROFILE) to the table's region."
        )
    return (
        f"{where}: {error}. Check IVS_KICK_STORE, and the table, its region (AWS_DEFAULT_REGION) and the bot's "
        "permissions."
    )


def open_store(choice: StoreChoice) -> CaseStore:
    if choice.kind == "dynamodb":
        from .dynamodb import DynamoCaseStore  # boto3's DynamoDB model loads only when it is used

        return DynamoCaseStore(choice.location)
    from .sqlite import SqliteCaseStore

    return SqliteCaseStore(choice.location)
