"""The outbox in SQLite (WAL) in the data directory: durable, local, shared by processes.

Every call runs on one dedicated thread that owns the connection, so the event loop never
blocks on disk and sqlite3's thread rules hold. Two processes may use one outbox at once
(WAL + busy timeout).

One row per batch (the events of one graph write), its events packed into one payload
(`outbox_payload`): a batch is written once, flips its state once and is deleted once,
however many events it holds.

Durability: `stage` commits with `synchronous=FULL`, so an acknowledged batch survives a
killed process or a power cut before the graph write starts. Every later step (release,
discard, delivered, failed) commits with `synchronous=NORMAL`: a power cut can undo only the
newest of those, and each undo is safe. A lost release or discard leaves the batch staged
under a dead owner, which the next run resolves against the graph; a lost delivery mark
re-delivers events the store already holds, which is a no-op (deterministic event ids).
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from interview_graph.dualwrite.outbox_payload import (
    pack,
    rows_to_new_events,
    type_counts,
    unpack,
)
from interview_graph.dualwrite.outbox_port import (
    HeldEvents,
    NewOutboxEvent,
    OutboxEntry,
    OutboxStatus,
    StagedSubject,
)
from interview_graph.dualwrite.sqlite_outbox_schema import (
    INSERT_BATCH,
    INSERT_PAYLOAD,
    SET_ATTEMPTS,
    create_schema,
)

_T = TypeVar("_T")

_DELETE_BATCH = "DELETE FROM outbox_batches WHERE seq = ?"
_DELETE_PAYLOAD = "DELETE FROM outbox_payloads WHERE seq = ?"
_READY = (
    "SELECT b.seq, b.attempts, p.payload FROM outbox_batches AS b"
    " JOIN outbox_payloads AS p ON p.seq = b.seq"
    " WHERE b.state = 'ready' ORDER BY b.seq"
)
# Batches by id, with the events parked from them (`_parked_batch_id`), per state.
_HELD = """
    WITH mine(id) AS (SELECT value FROM json_each(?))
    SELECT state, coalesce(sum(events), 0) FROM outbox_batches
    WHERE batch_id IN (SELECT id FROM mine)
       OR (batch_id GLOB 'parked:*:*'
           AND substr(batch_id, 8, instr(substr(batch_id, 8), ':') - 1) IN (SELECT id FROM mine))
    GROUP BY state
"""


class OutboxError(RuntimeError):
    """The outbox file could not be read or written; names the file and what to do."""


class SQLiteOutbox:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox")
        self._conn: sqlite3.Connection | None = None
        self._synchronous = ""

    @property
    def path(self) -> Path:
        return self._path

    async def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        try:
            return work(self._connection())
        except (sqlite3.Error, ValueError) as exc:
            raise OutboxError(
                f"outbox {self._path} failed: {exc}; check the disk and the file's permissions"
            ) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            self._conn, self._synchronous = conn, ""
            try:
                with self._transaction(durable=True):
                    create_schema(conn)
            except BaseException:
                self._conn = None
                conn.close()
                raise
        return self._conn

    def _transaction(self, *, durable: bool) -> _Transaction:
        assert self._conn is not None
        mode = "FULL" if durable else "NORMAL"
        if mode != self._synchronous:
            self._conn.execute(f"PRAGMA synchronous={mode}")
            self._synchronous = mode
        return _Transaction(self._conn)

    # ------------------------------------------------------------------ writing

    async def stage(self, batch_id: str, events: Sequence[NewOutboxEvent], owner: str) -> None:
        await self._insert(batch_id, "staged", owner, events)

    async def add_ready(self, events: Sequence[NewOutboxEvent], batch_id: str = "") -> str:
        batch_id = batch_id or f"late-{time.time_ns()}"
        await self._insert(batch_id, "ready", "", events)
        return batch_id

    async def _insert(
        self, batch_id: str, state: str, owner: str, events: Sequence[NewOutboxEvent]
    ) -> None:
        if not events:
            return
        payload = pack(events)
        batch = (batch_id, state, owner, len(events), type_counts(events), time.time())

        def insert(conn: sqlite3.Connection) -> None:
            with self._transaction(durable=True):
                seq = conn.execute(INSERT_BATCH, batch).lastrowid
                conn.execute(INSERT_PAYLOAD, (seq, payload))

        await self._run(insert)

    async def release(self, batch_id: str) -> None:
        def release(conn: sqlite3.Connection) -> None:
            with self._transaction(durable=False):
                conn.execute(
                    "UPDATE outbox_batches SET state = 'ready' WHERE batch_id = ?", (batch_id,)
                )

        await self._run(release)

    async def discard(self, batch_id: str) -> None:
        def discard(conn: sqlite3.Connection) -> None:
            with self._transaction(durable=False):
                row = conn.execute(
                    "SELECT seq FROM outbox_batches WHERE batch_id = ? AND state = 'staged'",
                    (batch_id,),
                ).fetchone()
                if row is not None:
                    _remove_batches(conn, row)

        await self._run(discard)

    # ------------------------------------------------------------------ delivering

    async def next_ready(self, limit: int) -> list[OutboxEntry]:
        def select(conn: sqlite3.Connection) -> list[OutboxEntry]:
            entries: list[OutboxEntry] = []
            for seq, attempts, payload in conn.execute(_READY):
                entries.extend(
                    OutboxEntry(seq, stream, event_id, event_type, corr, meta, data, attempts)
                    for stream, event_id, event_type, corr, meta, data, _, _ in unpack(payload)
                )
                if len(entries) >= limit:
                    break
            return entries

        return await self._run(select)

    async def mark_delivered(self, batch_seqs: Sequence[int]) -> set[int]:
        def delete(conn: sqlite3.Connection) -> set[int]:
            with self._transaction(durable=False):
                removed, events = _remove_batches(conn, batch_seqs)
                _count_delivered(conn, events)
                return removed

        return await self._run(delete)

    async def mark_failed(self, batch_seqs: Sequence[int], error: str) -> None:
        params = [(error[:2000], seq) for seq in batch_seqs]

        def update(conn: sqlite3.Connection) -> None:
            with self._transaction(durable=False):
                conn.executemany(
                    "UPDATE outbox_batches SET attempts = attempts + 1, last_error = ?"
                    " WHERE seq = ?",
                    params,
                )

        await self._run(update)

    async def settle(
        self, batch_seqs: Sequence[int], rejected: Sequence[tuple[OutboxEntry, str]]
    ) -> set[int]:
        def settle(conn: sqlite3.Connection) -> set[int]:
            with self._transaction(durable=True):
                origins = _batch_ids(conn, batch_seqs)
                removed, events = _remove_batches(conn, batch_seqs)
                parked = [(entry, error) for entry, error in rejected if entry.batch_seq in removed]
                for entry, error in parked:
                    _insert_parked(conn, origins[entry.batch_seq], entry, error)
                _count_delivered(conn, events - len(parked))
                return removed

        return await self._run(settle)

    async def retry_parked(self) -> int:
        def retry(conn: sqlite3.Connection) -> int:
            with self._transaction(durable=False):
                (events,) = conn.execute(
                    "SELECT coalesce(sum(events), 0) FROM outbox_batches WHERE state = 'parked'"
                ).fetchone()
                conn.execute(
                    "UPDATE outbox_batches SET state = 'ready', attempts = 0 WHERE state = 'parked'"
                )
                return int(events)

        return await self._run(retry)

    # ------------------------------------------------------------------ crash recovery

    async def orphaned_staged(self, live_owners: set[str]) -> list[StagedSubject]:
        def select(conn: sqlite3.Connection) -> list[StagedSubject]:
            rows = conn.execute(
                "SELECT b.batch_id, b.owner, p.payload FROM outbox_batches AS b"
                " JOIN outbox_payloads AS p ON p.seq = b.seq WHERE b.state = 'staged'"
            ).fetchall()
            return [
                StagedSubject(batch_id, row[6], row[7])
                for batch_id, owner, payload in rows
                if owner not in live_owners
                for row in unpack(payload)
            ]

        return await self._run(select)

    async def resolve_orphans(self, batch_ids: Sequence[str], present: set[str]) -> None:
        def resolve(conn: sqlite3.Connection) -> None:
            with self._transaction(durable=True):
                for batch_id in batch_ids:
                    _resolve_orphan(conn, batch_id, present)

        await self._run(resolve)

    # ------------------------------------------------------------------ reporting

    async def status(self) -> OutboxStatus:
        def read(conn: sqlite3.Connection) -> OutboxStatus:
            counts = dict(
                conn.execute("SELECT state, sum(events) FROM outbox_batches GROUP BY state")
            )
            failing, oldest = conn.execute(
                "SELECT coalesce(sum(events) FILTER (WHERE attempts > 0), 0), min(recorded_at)"
                " FROM outbox_batches WHERE state = 'ready'"
            ).fetchone()
            last_error_row = conn.execute(
                "SELECT last_error FROM outbox_batches WHERE last_error IS NOT NULL"
                " ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            by_type = dict(
                conn.execute(
                    "SELECT t.key, sum(t.value) FROM outbox_batches AS b,"
                    " json_each(b.type_counts) AS t WHERE b.state = 'ready'"
                    " GROUP BY t.key ORDER BY t.key"
                )
            )
            (delivered,) = conn.execute(
                "SELECT value FROM outbox_counters WHERE name = 'delivered'"
            ).fetchone()
            return OutboxStatus(
                staged=int(counts.get("staged") or 0),
                ready=int(counts.get("ready") or 0),
                parked=int(counts.get("parked") or 0),
                delivered_total=int(delivered),
                failing=int(failing),
                oldest_ready_age_s=None if oldest is None else round(time.time() - oldest, 1),
                last_error=last_error_row[0] if last_error_row else None,
                by_type={str(k): int(v) for k, v in by_type.items()},
            )

        return await self._run(read)

    async def pending_count(self, up_to_seq: int | None = None) -> int:
        def count(conn: sqlite3.Connection) -> int:
            (value,) = conn.execute(
                "SELECT coalesce(sum(events), 0) FROM outbox_batches WHERE state = 'ready'"
                " AND (?1 IS NULL OR seq <= ?1)",
                (up_to_seq,),
            ).fetchone()
            return int(value)

        return await self._run(count)

    async def last_seq(self) -> int:
        def last(conn: sqlite3.Connection) -> int:
            (value,) = conn.execute("SELECT coalesce(max(seq), 0) FROM outbox_batches").fetchone()
            return int(value)

        return await self._run(last)

    async def held_events(self, batch_ids: Sequence[str]) -> HeldEvents:
        def count(conn: sqlite3.Connection) -> HeldEvents:
            by_state = dict(conn.execute(_HELD, (json.dumps(list(batch_ids)),)).fetchall())
            parked = int(by_state.pop("parked", 0))
            return HeldEvents(waiting=sum(int(v) for v in by_state.values()), parked=parked)

        if not batch_ids:
            return HeldEvents(waiting=0, parked=0)
        return await self._run(count)

    async def close(self) -> None:
        def close(_conn: sqlite3.Connection) -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        if self._conn is not None:
            await self._run(close)
        self._executor.shutdown(wait=True)


def _remove_batches(conn: sqlite3.Connection, batch_seqs: Sequence[int]) -> tuple[set[int], int]:
    """Delete those of these batches that are still there, with their payloads; returns
    which ones, and how many events they held."""
    rows = conn.execute(
        "SELECT seq, events FROM outbox_batches WHERE seq IN (SELECT value FROM json_each(?))",
        (json.dumps(list(batch_seqs)),),
    ).fetchall()
    params = [(seq,) for seq, _ in rows]
    conn.executemany(_DELETE_BATCH, params)
    conn.executemany(_DELETE_PAYLOAD, params)
    return {int(seq) for seq, _ in rows}, sum(int(events) for _, events in rows)


def _batch_ids(conn: sqlite3.Connection, batch_seqs: Sequence[int]) -> dict[int, str]:
    rows = conn.execute(
        "SELECT seq, batch_id FROM outbox_batches WHERE seq IN (SELECT value FROM json_each(?))",
        (json.dumps(list(batch_seqs)),),
    ).fetchall()
    return {int(seq): str(batch_id) for seq, batch_id in rows}


def _count_delivered(conn: sqlite3.Connection, events: int) -> None:
    conn.execute("UPDATE outbox_counters SET value = value + ? WHERE name = 'delivered'", (events,))


def _resolve_orphan(conn: sqlite3.Connection, batch_id: str, present: set[str]) -> None:
    """Keep the events whose subject the graph holds (ready), drop the rest."""
    row = conn.execute(
        "SELECT b.seq, p.payload FROM outbox_batches AS b JOIN outbox_payloads AS p"
        " ON p.seq = b.seq WHERE b.batch_id = ? AND b.state = 'staged'",
        (batch_id,),
    ).fetchone()
    if row is None:
        return
    seq, payload = row
    kept = [event for event in unpack(payload) if event[7] in present]
    if not kept:
        _remove_batches(conn, [seq])
        return
    events = rows_to_new_events(kept)
    conn.execute(
        "UPDATE outbox_batches SET state = 'ready', events = ?, type_counts = ? WHERE seq = ?",
        (len(events), type_counts(events), seq),
    )
    conn.execute("UPDATE outbox_payloads SET payload = ? WHERE seq = ?", (pack(events), seq))


def _parked_event(entry: OutboxEntry) -> NewOutboxEvent:
    """Parked events are never resolved against the graph: they carry no subject."""
    return NewOutboxEvent(
        entry.stream, entry.event_id, entry.event_type, entry.correlation_id,
        entry.metadata_json, entry.data_json, "", "",
    )  # fmt: skip


def _parked_batch_id(origin_batch_id: str, event_id: str) -> str:
    """A parked event's batch: named after the batch it came from, so the run that recorded
    it still finds it (`held_events`); parked again after a retry, it keeps that name."""
    if origin_batch_id.startswith("parked:"):
        return origin_batch_id
    return f"parked:{origin_batch_id}:{event_id}"


def _insert_parked(
    conn: sqlite3.Connection, origin_batch_id: str, entry: OutboxEntry, error: str
) -> None:
    event = _parked_event(entry)
    batch_id = _parked_batch_id(origin_batch_id, event.event_id)
    seq = conn.execute(
        INSERT_BATCH, (batch_id, "parked", "", 1, type_counts([event]), time.time())
    ).lastrowid
    conn.execute(INSERT_PAYLOAD, (seq, pack([event])))
    conn.execute(SET_ATTEMPTS, (entry.attempts + 1, error[:2000], seq))


class _Transaction:
    """BEGIN IMMEDIATE .. COMMIT: takes the write lock up front, so two processes queue on
    the busy timeout instead of failing mid-transaction with SQLITE_BUSY."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        self._conn.execute("ROLLBACK" if exc_type is not None else "COMMIT")
