"""Cases in a SQLite file: one host, any number of threads and gunicorn workers (WAL, busy timeout).

The file holds personal data about viewers and moderators, so it is created readable and writable by its owner
only (mode 0600), and SQLite gives its `-wal` and `-shm` files the database file's mode.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from ..kick.bans import ALL_ROOMS, EXPIRED, Ban
from ..kick.cases import Action, Amendment, AuditPost, Case, CaseNotFound, NewCase, Status, Target
from ..kick.flood import FLOOD_PRONE, AuditGate
from ..kick.moderators import GroupChange
from .bans import ban_from, ending, holding
from .bans import iso as _time

R = TypeVar("R")

# Each entry moves the schema one version up; PRAGMA user_version records how far a file has come.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE cases (
        number          INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at      TEXT NOT NULL,
        moderator_id    TEXT NOT NULL,
        team_id         TEXT,
        channel_id      TEXT,
        status          TEXT NOT NULL,
        room_arn        TEXT,
        room_name       TEXT,
        reason          TEXT,
        detail          TEXT,
        command_text    TEXT,
        submission_key  TEXT UNIQUE,
        audit_channel   TEXT,
        audit_ts        TEXT,
        audit_error     TEXT,
        audit_due_at    TEXT,
        audit_claimed_until TEXT,
        amendments      TEXT NOT NULL DEFAULT '[]'
    );
    CREATE TABLE targets (
        case_number INTEGER NOT NULL REFERENCES cases(number),
        position    INTEGER NOT NULL,
        user_id     TEXT NOT NULL,
        result      TEXT,
        message     TEXT,
        request_id  TEXT,
        PRIMARY KEY (case_number, position)
    );
    CREATE INDEX targets_by_user ON targets(user_id, case_number);
    CREATE INDEX cases_by_room ON cases(room_arn, number);
    CREATE INDEX cases_undelivered ON cases(audit_ts, audit_due_at);
    """,
    """
    CREATE TABLE drafts (
        key         TEXT PRIMARY KEY,
        payload     TEXT NOT NULL,
        expires_at  TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE cases ADD COLUMN audit_tries INTEGER NOT NULL DEFAULT 0;
    """,
    """
    CREATE TABLE group_changes (
        group_id    TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        added       INTEGER NOT NULL,
        at          REAL NOT NULL,
        PRIMARY KEY (group_id, user_id)
    );
    """,
    """
    ALTER TABLE cases ADD COLUMN summarised_in INTEGER;
    CREATE INDEX cases_by_summary ON cases(summarised_in);
    CREATE TABLE audit_gates (
        moderator_id  TEXT PRIMARY KEY,
        posted        TEXT NOT NULL,
        summary       INTEGER,
        summary_ends  TEXT
    );
    """,
    """
    ALTER TABLE cases ADD COLUMN alive_at TEXT;
    """,
    """
    ALTER TABLE cases ADD COLUMN action TEXT NOT NULL DEFAULT 'kick';
    ALTER TABLE cases ADD COLUMN banned_until TEXT;
    CREATE TABLE bans (
        room        TEXT NOT NULL,
        user_id     TEXT NOT NULL,
        case_number INTEGER NOT NULL REFERENCES cases(number),
        created_by  TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT,
        ended_at    TEXT,
        ended_by    TEXT,
        PRIMARY KEY (room, user_id)
    );
    CREATE INDEX bans_by_user ON bans(user_id);
    CREATE INDEX bans_lapsing ON bans(ended_at, expires_at);
    """,
)
# Not posted alone: left to a summary whose lead is another case.
_MEMBER = "summarised_in IS NOT NULL AND summarised_in != number"
_FLOOD_PRONE_LAST = "status IN ({})".format(", ".join(sorted(f"'{status.value}'" for status in FLOOD_PRONE)))


log = logging.getLogger(__name__)
PRIVATE_MODE = 0o600
SIDE_FILES = ("-wal", "-shm", "-journal")  # SQLite creates these next to the database, with its mode


def _make_private(path: str) -> None:
    """Create the database file with mode 0600 before SQLite opens it, or tighten an existing one (and the
    `-wal`, `-shm` and `-journal` files beside it) that group or others could read, with one warning line.
    Raises OSError when the file cannot be created (a missing directory, no permission)."""
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, PRIVATE_MODE))  # the umask can only narrow 0600
    widened = {}
    for name in (path, *(path + suffix for suffix in SIDE_FILES)):
        try:
            mode = stat.S_IMODE(os.stat(name).st_mode)
        except FileNotFoundError:
            continue
        if mode & 0o077:
            os.chmod(name, mode & PRIVATE_MODE)
            widened[name] = f"{mode:04o}"
    if widened:
        message = "case store file could be read by other users; its mode is now 0600"
        log.warning(message, extra={"fields": {"files": widened}})  # each file with the mode it had


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value)


class SqliteCaseStore:
    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        if self.path != ":memory:":
            _make_private(self.path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA busy_timeout = 30000")
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode = WAL")
        self._db.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def _migrate(self) -> None:
        with self._lock, self._transaction():
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version = {number}")

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """BEGIN IMMEDIATE takes the write lock up front, so two workers cannot interleave read-then-write."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- writing ---------------------------------------------------------------------------

    def open_case(self, new: NewCase) -> tuple[Case, bool]:
        with self._lock, self._transaction():
            if new.submission_key:
                row = self._db.execute("SELECT number FROM cases WHERE submission_key = ?", (new.submission_key,))
                existing = row.fetchone()
                if existing:
                    return self._load(existing["number"]), False
            cursor = self._db.execute(
                """INSERT INTO cases (created_at, moderator_id, team_id, channel_id, status, room_arn, room_name,
                                      reason, detail, command_text, submission_key, audit_due_at, action,
                                      banned_until)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    _time(new.created_at),
                    new.moderator_id,
                    new.team_id,
                    new.channel_id,
                    new.status.value,
                    new.room_arn,
                    new.room_name,
                    new.reason,
                    new.detail,
                    new.command_text,
                    new.submission_key,
                    _time(new.audit_due_at or new.created_at),
                    new.action.value,
                    _time(new.banned_until) if new.banned_until else None,
                ),
            )
            number = int(cursor.lastrowid or 0)
            self._db.executemany(
                "INSERT INTO targets (case_number, position, user_id) VALUES (?, ?, ?)",
                [(number, i, user) for i, user in enumerate(new.user_ids)],
            )
            return self._load(number), True

    def record_outcome(
        self,
        number: int,
        status: Status,
        targets: Sequence[Target],
        detail: str | None,
        audit_due_at: datetime,
        room: tuple[str, str | None] | None = None,
    ) -> Case:
        with self._lock, self._transaction():
            self._require(number)
            self._db.execute(
                "UPDATE cases SET status = ?, detail = ?, audit_due_at = ? WHERE number = ?",
                (status.value, detail, _time(audit_due_at), number),
            )
            if room:
                self._db.execute("UPDATE cases SET room_arn = ?, room_name = ? WHERE number = ?", (*room, number))
            self._db.execute("DELETE FROM targets WHERE case_number = ?", (number,))
            self._db.executemany(
                "INSERT INTO targets (case_number, position, user_id, result, message, request_id)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                [(number, i, t.user_id, t.result, t.message, t.request_id) for i, t in enumerate(targets)],
            )
            return self._load(number)

    def claim_delivery(self, number: int, now: datetime, until: datetime) -> Case | None:
        with self._lock, self._transaction():
            claimed = self._db.execute(
                """UPDATE cases SET audit_claimed_until = ?, audit_tries = audit_tries + 1
                   WHERE number = ? AND audit_ts IS NULL AND status != 'pending'
                     AND (audit_claimed_until IS NULL OR audit_claimed_until < ?)""",
                (_time(until), number, _time(now)),
            ).rowcount
            return self._load(number) if claimed else None

    def renew_claim(self, number: int, held_until: datetime, until: datetime) -> bool:
        with self._lock:
            return bool(
                self._db.execute(
                    """UPDATE cases SET audit_claimed_until = ?
                       WHERE number = ? AND audit_ts IS NULL AND audit_claimed_until = ?""",
                    (_time(until), number, _time(held_until)),
                ).rowcount
            )

    def mark_delivered(self, number: int, post: AuditPost) -> None:
        with self._lock:
            self._db.execute(
                """UPDATE cases SET audit_channel = ?, audit_ts = ?, audit_error = NULL, audit_due_at = NULL,
                          audit_claimed_until = NULL WHERE number = ?""",
                (post.channel, post.ts, number),
            )

    def note_delivery_failure(self, number: int, error: str, retry_at: datetime) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE cases SET audit_error = ?, audit_due_at = ?, audit_claimed_until = NULL WHERE number = ?",
                (error, _time(retry_at), number),
            )

    def keep_alive(self, number: int, at: datetime) -> bool:
        with self._lock:
            return bool(
                self._db.execute(
                    "UPDATE cases SET alive_at = ? WHERE number = ? AND status = 'pending'", (_time(at), number)
                ).rowcount
            )

    def interrupt_stale(self, silent_since: datetime, detail: str) -> list[Case]:
        with self._lock, self._transaction():
            rows = self._db.execute(
                "SELECT number FROM cases WHERE status = 'pending' AND coalesce(alive_at, created_at) < ?",
                (_time(silent_since),),
            ).fetchall()
            for row in rows:
                self._db.execute(
                    "UPDATE cases SET status = 'interrupted', detail = ? WHERE number = ?", (detail, row["number"])
                )
            return [self._load(row["number"]) for row in rows]

    def change_gate(self, moderator_id: str, change: Callable[[AuditGate | None], tuple[AuditGate, R]]) -> R:
        with self._lock, self._transaction():
            row = self._db.execute("SELECT * FROM audit_gates WHERE moderator_id = ?", (moderator_id,)).fetchone()
            gate = None
            if row:
                ends = _parse_time(row["summary_ends"]) if row["summary_ends"] else None
                gate = AuditGate(tuple(map(_parse_time, json.loads(row["posted"]))), row["summary"], ends)
            new, result = change(gate)
            self._db.execute(
                "INSERT OR REPLACE INTO audit_gates (moderator_id, posted, summary, summary_ends) VALUES (?, ?, ?, ?)",
                (
                    moderator_id,
                    json.dumps([_time(at) for at in new.posted]),
                    new.summary,
                    _time(new.summary_ends) if new.summary_ends else None,
                ),
            )
            return result

    def summarise(self, number: int, lead: int, due_at: datetime) -> bool:
        with self._lock, self._transaction():
            posted = self._db.execute("SELECT 1 FROM cases WHERE number = ? AND audit_ts IS NOT NULL", (lead,))
            if posted.fetchone():
                return False
            due = _time(due_at) if number == lead else None
            self._db.execute(
                "UPDATE cases SET summarised_in = ?, audit_due_at = coalesce(?, audit_due_at),"
                " audit_claimed_until = NULL, audit_tries = max(audit_tries - 1, 0) WHERE number = ?",
                (lead, due, number),
            )
            return True

    def summarised(self, lead: int) -> list[Case]:
        return self._cases("SELECT number FROM cases WHERE summarised_in = ? ORDER BY number", (lead,))

    def amend_reason(self, number: int, amendment: Amendment) -> Case:
        with self._lock, self._transaction():
            row = self._require(number)
            amendments = json.loads(row["amendments"])
            amendments.append(
                {
                    "at": _time(amendment.at),
                    "by": amendment.by,
                    "old_reason": amendment.old_reason,
                    "new_reason": amendment.new_reason,
                }
            )
            self._db.execute(
                "UPDATE cases SET reason = ?, amendments = ? WHERE number = ?",
                (amendment.new_reason, json.dumps(amendments), number),
            )
            return self._load(number)

    def save_draft(self, key: str, payload: str, expires_at: datetime) -> None:
        with self._lock, self._transaction():
            self._db.execute("DELETE FROM drafts WHERE expires_at < ?", (_time(datetime.now(timezone.utc)),))
            self._db.execute(
                "INSERT OR REPLACE INTO drafts (key, payload, expires_at) VALUES (?, ?, ?)",
                (key, payload, _time(expires_at)),
            )

    def load_draft(self, key: str, now: datetime) -> str | None:
        rows = self._query("SELECT payload FROM drafts WHERE key = ? AND expires_at >= ?", (key, _time(now)))
        return rows[0]["payload"] if rows else None

    # -- reading ---------------------------------------------------------------------------

    def get(self, number: int) -> Case | None:
        with self._lock:
            row = self._db.execute("SELECT number FROM cases WHERE number = ?", (number,)).fetchone()
            return self._load(number) if row else None

    def due_deliveries(self, now: datetime) -> list[Case]:
        return self._cases(
            f"""SELECT number FROM cases WHERE audit_ts IS NULL AND status != 'pending' AND audit_due_at <= ?
               AND (audit_claimed_until IS NULL OR audit_claimed_until < ?) AND NOT ({_MEMBER})
               ORDER BY {_FLOOD_PRONE_LAST}, number""",
            (_time(now), _time(now)),
        )

    def undelivered(self) -> list[Case]:
        return self._cases(f"SELECT number FROM cases WHERE audit_ts IS NULL AND NOT ({_MEMBER}) ORDER BY number", ())

    def history(self, *, user_id: str | None = None, room_arn: str | None = None, limit: int = 10) -> list[Case]:
        if user_id is not None:
            query = "SELECT DISTINCT case_number AS number FROM targets WHERE user_id = ? ORDER BY number DESC LIMIT ?"
            return self._cases(query, (user_id, limit))
        return self._cases(
            "SELECT number FROM cases WHERE room_arn = ? ORDER BY number DESC LIMIT ?", (room_arn, limit)
        )

    def export(self, since: datetime | None = None) -> Iterator[Case]:
        floor = _time(since) if since else ""
        numbers = [r["number"] for r in self._query("SELECT number FROM cases WHERE created_at >= ?", (floor,))]
        for number in sorted(numbers):
            yield self._load(number)

    def record_group_change(self, group_id: str, change: GroupChange) -> None:
        """One row per group and user; the upsert's WHERE is GroupChange.supersedes, so a stale change is a no-op."""
        with self._lock:
            self._db.execute(
                """INSERT INTO group_changes (group_id, user_id, added, at) VALUES (?, ?, ?, ?)
                   ON CONFLICT (group_id, user_id) DO UPDATE SET added = excluded.added, at = excluded.at
                   WHERE excluded.at > group_changes.at
                      OR (excluded.at = group_changes.at AND group_changes.added = 1 AND excluded.added = 0)""",
                (group_id, change.user_id, int(change.added), change.at),
            )

    def group_change(self, group_id: str, user_id: str) -> GroupChange | None:
        rows = self._query(
            "SELECT added, at FROM group_changes WHERE group_id = ? AND user_id = ?", (group_id, user_id)
        )
        return GroupChange(user_id, bool(rows[0]["added"]), rows[0]["at"]) if rows else None

    def put_ban(self, ban: Ban) -> Ban | None:
        with self._lock, self._transaction():
            before = self._db.execute(
                "SELECT * FROM bans WHERE room = ? AND user_id = ?", (ban.room, ban.user_id)
            ).fetchone()
            self._db.execute(
                """INSERT OR REPLACE INTO bans (room, user_id, case_number, created_by, created_at, expires_at,
                                                ended_at, ended_by) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL)""",
                (
                    ban.room,
                    ban.user_id,
                    ban.case_number,
                    ban.created_by,
                    _time(ban.created_at),
                    _time(ban.expires_at) if ban.expires_at else None,
                ),
            )
            replaced = ban_from(before) if before else None
            return replaced if replaced and replaced.holds_at(ban.created_at) else None

    def end_ban(self, room: str, user_id: str, at: datetime, by: str, case_number: int | None = None) -> Ban | None:
        with self._lock, self._transaction():
            row = self._db.execute("SELECT * FROM bans WHERE room = ? AND user_id = ?", (room, user_id)).fetchone()
            ban = ban_from(row) if row else None
            if ban is None or not ending(ban, at, by, case_number):
                return None
            ended = ban.expires_at if by == EXPIRED and ban.expires_at else at
            self._db.execute(
                "UPDATE bans SET ended_at = ?, ended_by = ? WHERE room = ? AND user_id = ?",
                (_time(ended), by, room, user_id),
            )
            return ban

    def ban_on(self, room_arn: str, user_id: str, now: datetime) -> Ban | None:
        rows = self._query("SELECT * FROM bans WHERE user_id = ? AND room IN (?, ?)", (user_id, room_arn, ALL_ROOMS))
        return holding(map(ban_from, rows), now)

    def active_bans(self, now: datetime, room: str | None = None) -> list[Ban]:
        rows = self._query(
            """SELECT * FROM bans WHERE ended_at IS NULL AND (expires_at IS NULL OR expires_at > ?)
               AND (? IS NULL OR room = ?) ORDER BY created_at DESC, case_number DESC""",
            (_time(now), room, room),
        )
        return [ban_from(row) for row in rows]

    def lapsed_bans(self, now: datetime) -> list[Ban]:
        rows = self._query(
            "SELECT * FROM bans WHERE ended_at IS NULL AND expires_at <= ? ORDER BY expires_at", (_time(now),)
        )
        return [ban_from(row) for row in rows]

    def ping(self) -> None:
        self._query("SELECT 1", ())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _query(self, sql: str, params: tuple[Any, ...]) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _cases(self, sql: str, params: tuple[Any, ...]) -> list[Case]:
        with self._lock:
            return [self._load(row["number"]) for row in self._db.execute(sql, params).fetchall()]

    def _require(self, number: int) -> sqlite3.Row:
        row = self._db.execute("SELECT * FROM cases WHERE number = ?", (number,)).fetchone()
        if row is None:
            raise CaseNotFound(number)
        return row

    def _load(self, number: int) -> Case:
        row = self._require(number)
        targets = self._db.execute(
            "SELECT user_id, result, message, request_id FROM targets WHERE case_number = ? ORDER BY position",
            (number,),
        ).fetchall()
        return Case(
            number=row["number"],
            created_at=_parse_time(row["created_at"]),
            moderator_id=row["moderator_id"],
            team_id=row["team_id"],
            channel_id=row["channel_id"],
            status=Status(row["status"]),
            room_arn=row["room_arn"],
            room_name=row["room_name"],
            reason=row["reason"],
            targets=tuple(Target(t["user_id"], t["result"], t["message"], t["request_id"]) for t in targets),
            detail=row["detail"],
            command_text=row["command_text"],
            submission_key=row["submission_key"],
            audit_post=AuditPost(row["audit_channel"], row["audit_ts"]) if row["audit_ts"] else None,
            audit_error=row["audit_error"],
            audit_tries=row["audit_tries"],
            summarised_in=row["summarised_in"],
            amendments=tuple(
                Amendment(_parse_time(a["at"]), a["by"], a["old_reason"], a["new_reason"])
                for a in json.loads(row["amendments"])
            ),
            action=Action(row["action"]),
            banned_until=_parse_time(row["banned_until"]) if row["banned_until"] else None,
        )
