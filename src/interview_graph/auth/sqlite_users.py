"""The user store in SQLite: `DATA_DIR/users.sqlite3`, readable by its owner only (mode 0600,
and SQLite gives its WAL files the same mode).

Why SQLite rather than a JSON file: the CLI (`users add`, `users token`) changes the users
while one or several API processes read them and record when each token was last used.
SQLite makes every change one transaction that no reader sees half-done and that no other
writer's change overwrites; a JSON file rewritten by several processes needs a lock of its
own around every read-modify-write to avoid losing one of two concurrent updates.

Each process holds the table in memory and reloads it when `PRAGMA data_version` says
another connection committed: a token rotated or a user removed by the CLI stops working at
the next request of every API process, and authenticating costs a dictionary lookup.
The lookup is by the token's digest, so timing tells an attacker at most a digest's prefix,
never a token's; the final comparison is constant-time.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from interview_graph.auth.roles import Role, UnknownRoleError
from interview_graph.auth.tokens import digests_match, looks_like_token, new_token, token_digest
from interview_graph.auth.users import (
    DuplicateUserError,
    UnknownUserError,
    User,
    UserStoreError,
    checked_name,
)

USERS_FILE = "users.sqlite3"
# A token's use is written at most this often per user and process: `users list` shows it
# to the minute without a write per request.
LAST_USED_EVERY_S = 60.0
# Recording a use gives way to a concurrent writer (the CLI) rather than hold the request.
_LAST_USED_BUSY_MS = 50
_BUSY_MS = 5000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (
    name TEXT PRIMARY KEY COLLATE NOCASE,
    role TEXT NOT NULL,
    token_sha256 TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    token_issued_at TEXT NOT NULL,
    last_used_at TEXT
)
"""
_INSERT = (
    "INSERT INTO users (name, role, token_sha256, created_at, token_issued_at, last_used_at)"
    " VALUES (?, ?, ?, ?, ?, NULL)"
)
_SELECT = "SELECT name, role, token_sha256, created_at, token_issued_at, last_used_at FROM users"


@dataclass(frozen=True)
class _Entry:
    user: User
    digest: str


class SQLiteUserStore:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._by_digest: dict[str, _Entry] = {}
        self._data_version: int | None = None  # None: the table must be (re)loaded
        self._use_written: dict[str, float] = {}

    # ------------------------------------------------------------------ writes

    def add(self, name: str, role: Role) -> str:
        name = checked_name(name)
        token = new_token()
        now = _now()
        try:
            self._write(
                _INSERT,
                (name, role.value, token_digest(token), now, now),
            )
        except sqlite3.IntegrityError:
            raise DuplicateUserError(
                f"a user named {name!r} exists already: pick another name, or give them a new "
                f"token with `interview-graph users token {name}`"
            ) from None
        return token

    def rotate(self, name: str) -> str:
        token = new_token()
        changed = self._write(
            "UPDATE users SET token_sha256 = ?, token_issued_at = ? WHERE name = ?",
            (token_digest(token), _now(), name),
        )
        if changed == 0:
            raise _unknown(name)
        return token

    def remove(self, name: str) -> None:
        if self._write("DELETE FROM users WHERE name = ?", (name,)) == 0:
            raise _unknown(name)

    def _write(self, statement: str, params: tuple[str, ...]) -> int:
        with self._lock:
            conn = self._connection()
            try:
                with conn:
                    changed = conn.execute(statement, params).rowcount
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise self._failed(exc) from exc
            self._data_version = None  # our own commits do not move our data_version
            return changed

    # ------------------------------------------------------------------ reads

    def users(self) -> list[User]:
        with self._lock:
            self._refresh()
            entries = list(self._by_digest.values())
        return sorted((entry.user for entry in entries), key=lambda user: user.name.lower())

    def count(self) -> int:
        with self._lock:
            self._refresh()
            return len(self._by_digest)

    def authenticate(self, token: str) -> User | None:
        if not looks_like_token(token):
            return None
        digest = token_digest(token)
        with self._lock:
            self._refresh()
            entry = self._by_digest.get(digest)
            if entry is None or not digests_match(entry.digest, digest):
                return None
            self._note_use(entry.user.name)
            return entry.user

    def _refresh(self) -> None:
        """Reloads the table if another connection changed it since the last load."""
        conn = self._connection()
        try:
            version = int(conn.execute("PRAGMA data_version").fetchone()[0])
            if version == self._data_version:
                return
            rows = conn.execute(_SELECT).fetchall()
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        self._by_digest = {row[2]: _Entry(self._user(row), row[2]) for row in rows}
        self._data_version = version

    def _user(self, row: tuple[str, str, str, str, str, str | None]) -> User:
        name, role, _digest, created_at, issued_at, last_used_at = row
        try:
            parsed_role = Role.parse(role)
        except UnknownRoleError as exc:
            raise UserStoreError(f"{self._path}: user {name!r}: {exc}") from None
        return User(
            name=name,
            role=parsed_role,
            created_at=datetime.fromisoformat(created_at),
            token_issued_at=datetime.fromisoformat(issued_at),
            last_used_at=datetime.fromisoformat(last_used_at) if last_used_at else None,
        )

    def _note_use(self, name: str) -> None:
        """Records the use of a token, at most once a minute per user; skipped (the next
        use records it) if another process holds the file's write lock."""
        now = time.monotonic()
        if now - self._use_written.get(name, -LAST_USED_EVERY_S) < LAST_USED_EVERY_S:
            return
        self._use_written[name] = now
        conn = self._connection()
        try:
            conn.execute(f"PRAGMA busy_timeout = {_LAST_USED_BUSY_MS}")
            with conn:
                conn.execute("UPDATE users SET last_used_at = ? WHERE name = ?", (_now(), name))
            self._data_version = None  # the listing shows it
        except sqlite3.OperationalError:
            self._use_written.pop(name, None)
        finally:
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")

    # ------------------------------------------------------------------ file

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            _create_private(self._path)
            conn = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise self._failed(exc) from exc
        conn.isolation_level = "DEFERRED"  # `with conn:` makes each write one transaction
        return conn

    def _failed(self, exc: BaseException) -> UserStoreError:
        return UserStoreError(
            f"the user store {self._path} could not be used: {exc}; check that the file is "
            "readable and writable by this account"
        )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None
                self._data_version = None


def _create_private(path: Path) -> None:
    """The file, created readable and writable by its owner only; an existing file that
    others could read is made private."""
    descriptor = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        if os.fstat(descriptor).st_mode & 0o077:
            os.fchmod(descriptor, 0o600)
    finally:
        os.close(descriptor)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _unknown(name: str) -> UnknownUserError:
    return UnknownUserError(
        f"no user named {name!r}: `interview-graph users list` shows the users there are"
    )
