"""SQLiteEventStore: the embedded default, one file in DATA_DIR.

* WAL journal, `synchronous=NORMAL` (a commit survives a crash of the process; a power cut can
  lose the last commits, never corrupt the file) and a busy timeout, so several processes can
  share one file: writers take the write lock with BEGIN IMMEDIATE and queue for it.
* All sqlite3 calls run on one dedicated thread, never on the event loop.
* `position` is an AUTOINCREMENT rowid. Writers are serialised by SQLite's single write lock,
  so commit order equals position order and a polling subscriber never skips an event.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

from interview_graph.domain.events import DomainEvent
from interview_graph.events import codec
from interview_graph.events.append_rules import (
    plan_append_batch,
    prepare_requests,
)
from interview_graph.events.polling import poll_subscription
from interview_graph.events.port import (
    ANY,
    AppendRequest,
    EventStoreClosedError,
    EventStoreError,
    EventStoreUnavailableError,
    Expected,
    StorableEvent,
)

_T = TypeVar("_T")
_ID_CHUNK = 500  # stays far below SQLite's bound-parameter limit

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        event_id TEXT NOT NULL UNIQUE,
        stream TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
        metadata TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (stream, version)
    )
    """,
    "CREATE INDEX IF NOT EXISTS events_by_type ON events (event_type, position)",
    "CREATE INDEX IF NOT EXISTS events_by_correlation ON events (correlation_id)",
)

_SELECT_FOUND = "SELECT event_id, stream, position FROM events WHERE event_id IN "
_SELECT_VERSIONS = "SELECT stream, max(version) FROM events WHERE stream IN "
_INSERT = (
    "INSERT INTO events (event_id, stream, version, event_type, correlation_id, metadata, data,"
    " recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_READ_STREAM = (
    "SELECT metadata, data, version, position FROM events "
    "WHERE stream = ? AND version >= ? ORDER BY version"
)
_READ_ALL = (
    "SELECT metadata, data, version, position FROM events "
    "WHERE position > ? "
    "AND (? IS NULL OR substr(stream, 1, length(?)) = ?) "
    "AND (? IS NULL OR event_type IN (SELECT value FROM json_each(?))) "
    "ORDER BY position LIMIT ?"
)


class SQLiteEventStore:
    backend = "sqlite"

    def __init__(
        self, path: Path | str, *, busy_timeout_s: float = 30.0, poll_interval_s: float = 0.1
    ) -> None:
        self.path = Path(path)
        self._busy_timeout_s = busy_timeout_s
        self._poll_interval_s = poll_interval_s
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-events")
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"SQLiteEventStore({str(self.path)!r})"

    async def open(self) -> Self:
        """Create the file and schema now, so a bad path fails here and not at first append."""
        await self._run(self._connection)
        return self

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.get_running_loop().run_in_executor(self._executor, self._close_sync)
        self._executor.shutdown(wait=True)

    # ------------------------------------------------------------ port

    async def append(
        self, stream: str, events: Sequence[StorableEvent], expected: Expected = ANY
    ) -> int:
        (position,) = await self.append_batch([AppendRequest(stream, events, expected)])
        return position

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        prepared = prepare_requests(requests)
        if not prepared:
            return []
        return await self._run(self._append_sync, prepared)

    async def read_stream(self, stream: str, from_version: int = 0) -> list[DomainEvent]:
        rows = await self._run(self._fetch, _READ_STREAM, (stream, from_version))
        return [codec.decode(m, d, version=v, position=p) for m, d, v, p in rows]

    async def current_version(self, stream: str) -> int | None:
        rows = await self._run(
            self._fetch, "SELECT max(version) FROM events WHERE stream = ?", (stream,)
        )
        value = rows[0][0]
        return None if value is None else int(value)

    async def read_all(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        limit: int | None = None,
    ) -> list[DomainEvent]:
        types_json = None if event_types is None else codec.to_json(list(event_types))
        params = (
            from_position,
            stream_prefix,
            stream_prefix,
            stream_prefix,
            types_json,
            types_json,
            -1 if limit is None else limit,
        )
        rows = await self._run(self._fetch, _READ_ALL, params)
        return [codec.decode(m, d, version=v, position=p) for m, d, v, p in rows]

    async def last_position(self) -> int:
        rows = await self._run(self._fetch, "SELECT coalesce(max(position), 0) FROM events", ())
        return int(rows[0][0])

    def subscribe(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
    ) -> AsyncIterator[DomainEvent]:
        return poll_subscription(
            self.read_all, from_position, event_types, stream_prefix, self._poll_interval_s
        )

    # ------------------------------------------------------------ worker thread

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        if self._closed:
            raise EventStoreClosedError(f"event store {self.path} is closed; open a new one")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _connection(self) -> sqlite3.Connection:
        if self._conn is not None:
            return self._conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                timeout=self._busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            # Appends touch random pages of the id and stream indexes: a larger page cache
            # keeps them in memory, and fewer, larger checkpoints (each rewrites every page
            # changed since the last) rewrite each hot index page less often.
            conn.execute("PRAGMA cache_size=-65536")
            conn.execute("PRAGMA wal_autocheckpoint=10000")
            conn.execute(f"PRAGMA busy_timeout={int(self._busy_timeout_s * 1000)}")
            conn.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            raise EventStoreUnavailableError(
                f"cannot open the SQLite event store {self.path}: {exc}; check that the "
                "directory exists and is writable (DATA_DIR or EVENT_STORE_URL=sqlite:///path)"
            ) from exc
        self._conn = conn
        return conn

    def _close_sync(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _fetch(self, sql: str, params: Sequence[Any]) -> list[Any]:
        try:
            return self._connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise EventStoreError(
                f"reading the SQLite event store {self.path} failed: {exc}"
            ) from exc

    def _append_sync(self, requests: list[AppendRequest]) -> list[int]:
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise EventStoreUnavailableError(
                f"the SQLite event store {self.path} stayed locked by another writer for "
                f"{self._busy_timeout_s}s: {exc}"
            ) from exc
        try:
            positions = self._append_locked(conn, requests)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return positions

    def _append_locked(self, conn: sqlite3.Connection, requests: list[AppendRequest]) -> list[int]:
        ids = [e.event_id for r in requests for e in r.events]
        found: dict[str, tuple[str, int]] = {}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            for event_id, stream, position in conn.execute(f"{_SELECT_FOUND}({marks})", chunk):
                found[event_id] = (stream, position)
        versions: dict[str, int] = {}
        for chunk in _chunks(list({r.stream for r in requests})):
            marks = ",".join("?" * len(chunk))
            versions.update(conn.execute(f"{_SELECT_VERSIONS}({marks}) GROUP BY stream", chunk))
        plan = plan_append_batch(requests, found, versions)
        recorded_at = _recorded_at()  # one commit, one time: not strftime once per row
        rows = [
            (
                row.event.event_id,
                row.stream,
                row.version,
                row.event.event_type,
                row.event.correlation_id,
                *codec.encode(row.event),
                recorded_at,
            )
            for row in plan.rows
        ]
        new_positions: dict[str, int] = {}
        if rows:
            conn.executemany(_INSERT, rows)
            (last,) = conn.execute("SELECT last_insert_rowid()").fetchone()
            # The write lock is held and positions are AUTOINCREMENT: the rows got a
            # contiguous range ending at `last`, in insertion order.
            first = last - len(rows) + 1
            new_positions = {row[0]: first + offset for offset, row in enumerate(rows)}
        return [
            plan.noop_positions[i]
            if i in plan.noop_positions
            else new_positions[plan.last_event_ids[i]]
            for i in range(len(requests))
        ]


def _recorded_at() -> str:
    """The column default's format, strftime('%Y-%m-%dT%H:%M:%fZ'): milliseconds, 'Z'."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _chunks(values: list[str]) -> list[list[str]]:
    return [values[start : start + _ID_CHUNK] for start in range(0, len(values), _ID_CHUNK)]
