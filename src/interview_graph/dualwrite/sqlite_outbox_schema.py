"""The SQLite outbox's tables, the statements that add a batch, and the upgrade of outboxes
written by earlier versions.

One row per batch in `outbox_batches` (state, owner, counts); its packed events in
`outbox_payloads`, kept apart so that flipping a batch's state never rewrites its events.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from interview_graph.dualwrite.outbox_payload import pack, type_counts
from interview_graph.dualwrite.outbox_port import NewOutboxEvent

SCHEMA: Final = (
    """CREATE TABLE IF NOT EXISTS outbox_batches (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        batch_id TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL CHECK (state IN ('staged', 'ready', 'parked')),
        owner TEXT NOT NULL,
        events INTEGER NOT NULL,
        type_counts TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        recorded_at REAL NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS outbox_batches_state ON outbox_batches (state, seq)",
    "CREATE TABLE IF NOT EXISTS outbox_payloads (seq INTEGER PRIMARY KEY, payload TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS outbox_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL)",
    "INSERT OR IGNORE INTO outbox_counters (name, value) VALUES ('delivered', 0)",
)

INSERT_BATCH: Final = (
    "INSERT INTO outbox_batches (batch_id, state, owner, events, type_counts, recorded_at)"
    " VALUES (?, ?, ?, ?, ?, ?)"
)
INSERT_PAYLOAD: Final = "INSERT INTO outbox_payloads (seq, payload) VALUES (?, ?)"
SET_ATTEMPTS: Final = "UPDATE outbox_batches SET attempts = ?, last_error = ? WHERE seq = ?"


def create_schema(conn: sqlite3.Connection) -> None:
    """Create the tables if missing and move an earlier version's pending events over."""
    for statement in SCHEMA:
        conn.execute(statement)
    _migrate_row_per_event_outbox(conn)


def _migrate_row_per_event_outbox(conn: sqlite3.Connection) -> None:
    """Outboxes written by earlier versions kept one row per event in `outbox`: move what
    they hold, batch by batch in recorded order, so no pending event is lost on upgrade."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'outbox'"
    ).fetchone()
    if exists is None:
        return
    rows = conn.execute(
        "SELECT batch_id, state, owner, stream, event_id, event_type, correlation_id,"
        " metadata, data, subject_kind, subject_id, attempts, last_error, recorded_at"
        " FROM outbox ORDER BY seq"
    ).fetchall()
    batches: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        batches.setdefault(row[0], []).append(row)
    for batch_id, batch_rows in batches.items():
        events = [NewOutboxEvent(*r[3:11]) for r in batch_rows]
        first = batch_rows[0]
        seq = conn.execute(
            INSERT_BATCH,
            (batch_id, first[1], first[2], len(events), type_counts(events), first[13]),
        ).lastrowid
        conn.execute(INSERT_PAYLOAD, (seq, pack(events)))
        conn.execute(SET_ATTEMPTS, (max(r[11] for r in batch_rows), batch_rows[-1][12], seq))
    conn.execute("DROP TABLE outbox")
