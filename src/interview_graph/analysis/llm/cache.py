"""Replies cached in SQLite (in DATA_DIR) and a ledger of sentences left without analysis.

The key is a hash of everything that shapes a reply (provider, model, prompt version, context
windows, the sentence and its context), never of ids: re-running a file, resuming after a
crash or meeting the same passage in another interview costs no call. The ledger keeps the
latest failure per sentence and model until an analysis succeeds, so `show` can tell later
why a sentence has none.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

CACHE_FILENAME = "llm-cache.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS replies (
    cache_key TEXT PRIMARY KEY,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt_version TEXT NOT NULL,
    reply_json TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS analysis_failures (
    interview_id TEXT NOT NULL,
    sentence_id TEXT NOT NULL,
    sequence_order INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    reason TEXT NOT NULL,
    at TEXT NOT NULL,
    PRIMARY KEY (sentence_id, provider, model)
);
CREATE INDEX IF NOT EXISTS analysis_failures_by_interview
    ON analysis_failures (interview_id, sequence_order);
"""


@dataclass(frozen=True, slots=True)
class FailureRecord:
    interview_id: str
    sentence_id: str
    sequence_order: int
    provider: str
    model: str
    reason: str
    at: str


def cache_key(parts: Sequence[object]) -> str:
    """sha256 of the parts as canonical JSON: the same inputs give the same key anywhere."""
    encoded = json.dumps(list(parts), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


class SQLiteAnalysisCache:
    """One SQLite file shared by processes (WAL); opened on first use, never at import."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(_SCHEMA)
            self._connection = connection
        return self._connection

    def get_many(self, keys: Sequence[str]) -> dict[str, str]:
        """Cached reply JSON by key, for the keys that have one."""
        found: dict[str, str] = {}
        with self._lock:
            db = self._db()
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                marks = ",".join("?" * len(chunk))
                rows = db.execute(
                    f"SELECT cache_key, reply_json FROM replies WHERE cache_key IN ({marks})",  # noqa: S608 - only placeholders
                    chunk,
                )
                found.update(dict(rows.fetchall()))
        return found

    def put_many(
        self, provider: str, model: str, prompt_version: str, replies: Iterable[tuple[str, str]]
    ) -> None:
        now = now_iso()
        rows = [(key, provider, model, prompt_version, reply, now) for key, reply in replies]
        if not rows:
            return
        with self._lock:
            db = self._db()
            with db:
                db.executemany("INSERT OR REPLACE INTO replies VALUES (?, ?, ?, ?, ?, ?)", rows)

    def record_failures(self, failures: Sequence[FailureRecord]) -> None:
        rows = [
            (f.interview_id, f.sentence_id, f.sequence_order, f.provider, f.model, f.reason, f.at)
            for f in failures
        ]
        if not rows:
            return
        with self._lock:
            db = self._db()
            with db:
                db.executemany(
                    "INSERT OR REPLACE INTO analysis_failures VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )

    def clear_failures(self, sentence_ids: Sequence[str], provider: str, model: str) -> None:
        """A sentence analysed at last is no longer a failure of that model."""
        if not sentence_ids:
            return
        with self._lock:
            db = self._db()
            with db:
                db.executemany(
                    "DELETE FROM analysis_failures "
                    "WHERE sentence_id = ? AND provider = ? AND model = ?",
                    [(sentence_id, provider, model) for sentence_id in sentence_ids],
                )

    def failures_for(self, interview_id: str) -> list[FailureRecord]:
        with self._lock:
            rows = (
                self._db()
                .execute(
                    "SELECT interview_id, sentence_id, sequence_order, provider, model, reason, at "
                    "FROM analysis_failures WHERE interview_id = ? ORDER BY sequence_order, model",
                    (interview_id,),
                )
                .fetchall()
            )
        return [FailureRecord(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


def read_failures(data_dir: Path, interview_id: str) -> list[FailureRecord]:
    """The ledger's failures of one interview; none when no LLM analyzer ever ran here."""
    path = Path(data_dir) / CACHE_FILENAME
    if not path.exists():
        return []
    cache = SQLiteAnalysisCache(path)
    try:
        return cache.failures_for(interview_id)
    finally:
        cache.close()


def now_iso() -> str:
    """The time stamp of a cached reply or a recorded failure: UTC, to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")
