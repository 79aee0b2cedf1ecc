"""The job store's tables in SQLite and the conversion of their rows into the port's records.

`jobs.id` orders jobs (claimed oldest first, listed newest first); `jobs.last_seq` numbers a
job's progress records: each record takes `last_seq + 1` in the transaction that writes it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from interview_graph.jobs.port import (
    FileStatus,
    FileWarning,
    Job,
    JobFile,
    JobProgress,
    JobStatus,
)

SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS jobs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        job_id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        project TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        owner TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        last_seq INTEGER NOT NULL DEFAULT 0
    )
    """,
    "CREATE INDEX IF NOT EXISTS jobs_by_status ON jobs (status, id)",
    """
    CREATE TABLE IF NOT EXISTS job_files (
        job_id TEXT NOT NULL,
        position INTEGER NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size_bytes INTEGER NOT NULL,
        stored_as TEXT,
        status TEXT NOT NULL,
        interview_id TEXT,
        title TEXT,
        sentences INTEGER NOT NULL DEFAULT 0,
        analyses INTEGER NOT NULL DEFAULT 0,
        analysis_failures INTEGER NOT NULL DEFAULT 0,
        warnings TEXT NOT NULL DEFAULT '[]',
        error TEXT,
        PRIMARY KEY (job_id, position)
    ) WITHOUT ROWID
    """,
    """
    CREATE TABLE IF NOT EXISTS job_progress (
        job_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT NOT NULL,
        file INTEGER,
        data TEXT NOT NULL DEFAULT '{}',
        PRIMARY KEY (job_id, seq)
    ) WITHOUT ROWID
    """,
)

# Every statement is a literal: values travel as parameters only. The columns of a job,
# of a file and of a progress record are read in the order the `*_from_row` functions take.
SELECT_JOB = """
    SELECT job_id, status, project, created_at, updated_at, started_at, finished_at,
        attempts, error
    FROM jobs WHERE job_id = ?
"""
SELECT_JOB_PAGE = """
    SELECT job_id, status, project, created_at, updated_at, started_at, finished_at,
        attempts, error
    FROM jobs
    WHERE (:status IS NULL OR status = :status) AND (:before IS NULL OR id < :before)
    ORDER BY id DESC LIMIT :limit
"""
CLAIM = """
    UPDATE jobs SET status = 'running', owner = :owner, attempts = attempts + 1,
        started_at = coalesce(started_at, :now), updated_at = :now
    WHERE id = (SELECT id FROM jobs WHERE status = 'queued' ORDER BY id LIMIT 1)
      AND status = 'queued'
    RETURNING job_id, attempts
"""
SELECT_FILES = """
    SELECT job_id, position, name, sha256, size_bytes, stored_as, status, interview_id, title,
        sentences, analyses, analysis_failures, warnings, error
    FROM job_files WHERE job_id IN (SELECT value FROM json_each(?)) ORDER BY job_id, position
"""
INSERT_FILE = """
    INSERT INTO job_files (job_id, position, name, sha256, size_bytes, stored_as, status,
        interview_id, title, sentences, analyses, analysis_failures, warnings, error)
    VALUES (?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, 0, 0, '[]', ?)
"""
SELECT_PROGRESS = """
    SELECT job_id, seq, at, kind, message, file, data
    FROM job_progress WHERE job_id = ? AND seq > ? ORDER BY seq
"""
INSERT_PROGRESS = """
    INSERT INTO job_progress (job_id, seq, at, kind, message, file, data)
    VALUES (?, ?, ?, ?, ?, ?, ?)
"""
NEXT_SEQ = """
    UPDATE jobs SET last_seq = last_seq + 1, updated_at = :now
    WHERE job_id = :job_id AND (:owner IS NULL OR (owner = :owner AND status = 'running'))
    RETURNING last_seq
"""


def create_schema(conn: sqlite3.Connection) -> None:
    for statement in SCHEMA:
        conn.execute(statement)


def job_from_row(row: Sequence[Any], files: Sequence[JobFile]) -> Job:
    job_id, status, project, created, updated, started, finished, attempts, error = row
    return Job(
        job_id=job_id,
        status=cast(JobStatus, status),
        project=project,
        created_at=datetime.fromisoformat(created),
        updated_at=datetime.fromisoformat(updated),
        started_at=_time(started),
        finished_at=_time(finished),
        attempts=attempts,
        error=error,
        files=tuple(files),
    )


def file_from_row(row: Sequence[Any]) -> JobFile:
    (_, position, name, sha256, size, stored_as, status, interview_id, title) = row[:9]
    sentences, analyses, analysis_failures, warnings, error = row[9:]
    return JobFile(
        position=position,
        name=name,
        sha256=sha256,
        size_bytes=size,
        stored_as=stored_as,
        status=cast(FileStatus, status),
        interview_id=interview_id,
        title=title,
        sentences=sentences,
        analyses=analyses,
        analysis_failures=analysis_failures,
        warnings=tuple(FileWarning(w["line"], w["message"]) for w in json.loads(warnings)),
        error=error,
    )


def progress_from_row(row: Sequence[Any]) -> JobProgress:
    job_id, seq, at, kind, message, file, data = row
    return JobProgress(
        job_id=job_id,
        seq=seq,
        at=datetime.fromisoformat(at),
        kind=kind,
        message=message,
        file=file,
        data=json.loads(data),
    )


def warnings_json(warnings: Sequence[FileWarning]) -> str:
    return json.dumps([{"line": w.line, "message": w.message} for w in warnings])


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)
