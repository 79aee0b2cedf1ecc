"""The outbox in SQLite (WAL) in the data directory: durable, local, shared by processes.

Every call runs on one dedicated thread that owns the connection, so the event loop never
blocks on disk and sqlite3's thread rules hold. `synchronous=FULL` makes each commit durable
before `stage`/`release` return: an acknowledged event survives a killed process or a power
cut. Two processes may use one outbox at once (WAL + busy timeout).
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from interview_graph.events.outbox_port import (
    NewOutboxEvent,
    OutboxEntry,
    OutboxStatus,
    StagedSubject,
)

_T = TypeVar("_T")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('staged', 'ready')),
        owner TEXT NOT NULL,
        stream TEXT NOT NULL,
        event_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        metadata TEXT NOT NULL,
        data TEXT NOT NULL,
        subject_kind TEXT NOT NULL,
        subject_id TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        recorded_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_state_seq ON outbox (state, seq)",
    "CREATE INDEX IF NOT EXISTS outbox_batch ON outbox (batch_id)",
    "CREATE TABLE IF NOT EXISTS outbox_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO outbox_counters (name, value) VALUES ('delivered', 0)",
)

_CHUNK = 500  # ids per IN (...) list, well under SQLite's variable limit

_INSERT = (
    "INSERT INTO outbox (batch_id, state, owner, stream, event_id, event_type, correlation_id,"
    " metadata, data, subject_kind, subject_id, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


class OutboxError(RuntimeError):
    """The outbox file could not be read or written; names the file and what to do."""


class SQLiteOutbox:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._conn: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        return self._path

    async def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        try:
            return work(self._connection())
        except sqlite3.Error as exc:
            raise OutboxError(
                f"outbox {self._path} failed: {exc}; check the disk and the file's permissions"
            ) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            with _transaction(conn):
                for statement in _SCHEMA:
                    conn.execute(statement)
            self._conn = conn
        return self._conn

    async def stage(self, batch_id: str, events: Sequence[NewOutboxEvent], owner: str) -> None:
        await self._insert(batch_id, "staged", owner, events)

    async def add_ready(self, events: Sequence[NewOutboxEvent]) -> None:
        await self._insert(f"late-{time.time_ns()}", "ready", "", events)

    async def _insert(
        self, batch_id: str, state: str, owner: str, events: Sequence[NewOutboxEvent]
    ) -> None:
        now = time.time()
        rows = [
            (batch_id, state, owner, e.stream, e.event_id, e.event_type, e.correlation_id,
             e.metadata_json, e.data_json, e.subject_kind, e.subject_id, now)
            for e in events
        ]  # fmt: skip

        def insert(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                conn.executemany(_INSERT, rows)

        await self._run(insert)

    async def release(self, batch_id: str) -> None:
        await self._execute("UPDATE outbox SET state = 'ready' WHERE batch_id = ?", (batch_id,))

    async def discard(self, batch_id: str) -> None:
        await self._execute(
            "DELETE FROM outbox WHERE batch_id = ? AND state = 'staged'", (batch_id,)
        )

    async def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        def execute(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                conn.execute(sql, params)

        await self._run(execute)

    async def next_ready(self, limit: int) -> list[OutboxEntry]:
        def select(conn: sqlite3.Connection) -> list[OutboxEntry]:
            rows = conn.execute(
                "SELECT seq, stream, event_id, event_type, correlation_id, metadata, data,"
                " attempts FROM outbox"
                " WHERE state = 'ready' ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
            return [OutboxEntry(*row) for row in rows]

        return await self._run(select)

    async def mark_delivered(self, seqs: Sequence[int]) -> None:
        chunks = [list(seqs[i : i + _CHUNK]) for i in range(0, len(seqs), _CHUNK)]

        def delete(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                before = conn.total_changes
                for chunk in chunks:
                    marks = ",".join("?" * len(chunk))
                    conn.execute(f"DELETE FROM outbox WHERE seq IN ({marks})", chunk)  # noqa: S608
                deleted = conn.total_changes - before
                conn.execute(
                    "UPDATE outbox_counters SET value = value + ? WHERE name = 'delivered'",
                    (deleted,),
                )

        await self._run(delete)

    async def mark_failed(self, seqs: Sequence[int], error: str) -> None:
        params = [(error[:2000], seq) for seq in seqs]

        def update(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                conn.executemany(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE seq = ?",
                    params,
                )

        await self._run(update)

    async def orphaned_staged(self, live_owners: set[str]) -> list[StagedSubject]:
        def select(conn: sqlite3.Connection) -> list[StagedSubject]:
            rows = conn.execute(
                "SELECT DISTINCT batch_id, owner, subject_kind, subject_id FROM outbox"
                " WHERE state = 'staged'"
            ).fetchall()
            return [
                StagedSubject(batch_id, kind, subject)
                for batch_id, owner, kind, subject in rows
                if owner not in live_owners
            ]

        return await self._run(select)

    async def resolve_orphans(self, batch_ids: Sequence[str], present: set[str]) -> None:
        def resolve(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                for batch_id in batch_ids:
                    rows = conn.execute(
                        "SELECT seq, subject_id FROM outbox"
                        " WHERE batch_id = ? AND state = 'staged'",
                        (batch_id,),
                    ).fetchall()
                    keep = [(seq,) for seq, subject in rows if subject in present]
                    drop = [(seq,) for seq, subject in rows if subject not in present]
                    conn.executemany("UPDATE outbox SET state = 'ready' WHERE seq = ?", keep)
                    conn.executemany("DELETE FROM outbox WHERE seq = ?", drop)

        await self._run(resolve)

    async def status(self) -> OutboxStatus:
        def read(conn: sqlite3.Connection) -> OutboxStatus:
            counts = dict(conn.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"))
            failing, oldest = conn.execute(
                "SELECT COUNT(*) FILTER (WHERE attempts > 0), MIN(recorded_at) FROM outbox"
                " WHERE state = 'ready'"
            ).fetchone()
            last_error_row = conn.execute(
                "SELECT last_error FROM outbox WHERE last_error IS NOT NULL"
                " ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            by_type = dict(
                conn.execute(
                    "SELECT event_type, COUNT(*) FROM outbox WHERE state = 'ready'"
                    " GROUP BY event_type ORDER BY event_type"
                )
            )
            (delivered,) = conn.execute(
                "SELECT value FROM outbox_counters WHERE name = 'delivered'"
            ).fetchone()
            return OutboxStatus(
                staged=int(counts.get("staged", 0)),
                ready=int(counts.get("ready", 0)),
                delivered_total=int(delivered),
                failing=int(failing),
                oldest_ready_age_s=None if oldest is None else round(time.time() - oldest, 1),
                last_error=last_error_row[0] if last_error_row else None,
                by_type={str(k): int(v) for k, v in by_type.items()},
            )

        return await self._run(read)

    async def pending_count(self) -> int:
        def count(conn: sqlite3.Connection) -> int:
            (value,) = conn.execute("SELECT COUNT(*) FROM outbox WHERE state = 'ready'").fetchone()
            return int(value)

        return await self._run(count)

    async def close(self) -> None:
        def close(_conn: sqlite3.Connection) -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        if self._conn is not None:
            await self._run(close)
        self._executor.shutdown(wait=True)


class _transaction:
    """BEGIN IMMEDIATE .. COMMIT: takes the write lock up front, so two processes queue on
    the busy timeout instead of failing mid-transaction with SQLITE_BUSY."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
