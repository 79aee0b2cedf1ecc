"""The job queue in SQLite (WAL) in the data directory: the embedded backend, shared by every
process that serves the same data directory.

Claims: a job is claimed by one UPDATE that moves the oldest queued job to `running` under
this process's owner name, so two processes never claim the same job. The owner name is a
lease, a lock file held for the life of the process (`OwnerLease`): the kernel drops it
however the process dies, so a job whose owner's lease can be locked was left behind by a
dead worker. `recover` (run before every claim) re-queues such jobs: the file in progress
goes back to pending and is processed again, which writes the same graph (deterministic ids).
A job interrupted `max_attempts` times is failed with the reason instead of looping forever.

Every call runs on one dedicated thread that owns the connection. Every write commits with
`synchronous=FULL`: a job acknowledged to the client survives a power cut.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from interview_graph.dualwrite.lease import OwnerLease
from interview_graph.jobs.port import (
    COMPLETED,
    FAILED,
    FILE_DONE,
    FILE_FAILED,
    QUEUED,
    REQUEUED,
    STARTED,
    FileResult,
    Job,
    JobNotHeld,
    JobPage,
    JobProgress,
    JobQueueError,
    JobStatus,
    NewJobFile,
)
from interview_graph.jobs.sqlite_queue_schema import (
    CLAIM,
    INSERT_FILE,
    INSERT_PROGRESS,
    NEXT_SEQ,
    SELECT_FILES,
    SELECT_JOB,
    SELECT_JOB_PAGE,
    SELECT_PROGRESS,
    create_schema,
    file_from_row,
    job_from_row,
    progress_from_row,
    warnings_json,
)

_T = TypeVar("_T")

DEFAULT_MAX_ATTEMPTS = 3
POLL_INTERVAL_S = 0.25  # how often a waiting reader looks for other processes' records


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


class SQLiteJobQueue:
    """`JobQueue` and `JobClaims` on `DATA_DIR/jobs.sqlite3`; leases in `lease_dir`."""

    def __init__(
        self, path: Path, lease_dir: Path, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
    ) -> None:
        self._path = path
        self._lease_dir = lease_dir
        self._max_attempts = max_attempts
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="jobs")
        self._conn: sqlite3.Connection | None = None
        self._lease: OwnerLease | None = None
        self._changed: asyncio.Event | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def owner(self) -> str:
        """This process's owner name (its lease), taken on first use."""
        if self._lease is None:
            self._lease = OwnerLease(self._lease_dir)
        return self._lease.name

    # ------------------------------------------------------------------ plumbing

    async def _run(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._call, work)

    def _call(self, work: Callable[[sqlite3.Connection], _T]) -> _T:
        try:
            return work(self._connection())
        except sqlite3.Error as exc:
            raise JobQueueError(
                f"job store {self._path} failed: {exc}; check the disk and the file's permissions"
            ) from exc

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self._path, timeout=30.0, isolation_level=None)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=FULL")
                with _transaction(conn):
                    create_schema(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _notify(self) -> None:
        """Wake this process's readers waiting for records (others poll)."""
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    async def close(self) -> None:
        def close(_conn: sqlite3.Connection) -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        if self._conn is not None:
            await self._run(close)
        self._executor.shutdown(wait=True)
        if self._lease is not None:
            self._lease.release()
            self._lease = None

    # ------------------------------------------------------------------ JobQueue

    async def submit(self, project: str | None, files: Sequence[NewJobFile]) -> Job:
        job_id = str(uuid.uuid4())
        refused = sum(1 for file in files if file.stored_as is None)
        message = f"queued: {len(files)} file(s)" + (
            f", {refused} refused on upload" if refused else ""
        )

        def insert(conn: sqlite3.Connection) -> Job:
            now = _now()
            with _transaction(conn):
                conn.execute(
                    "INSERT INTO jobs (job_id, status, project, created_at, updated_at)"
                    " VALUES (?, 'queued', ?, ?, ?)",
                    (job_id, project, now, now),
                )
                conn.executemany(
                    INSERT_FILE,
                    [_new_file_row(job_id, position, file) for position, file in enumerate(files)],
                )
                _append(conn, job_id, None, QUEUED, message, None, {"files": len(files)})
            return _load_job(conn, job_id)

        job = await self._run(insert)
        self._notify()
        return job

    async def get(self, job_id: str) -> Job | None:
        def load(conn: sqlite3.Connection) -> Job | None:
            return _find_job(conn, job_id)

        return await self._run(load)

    async def list_jobs(
        self, *, limit: int, cursor: str | None = None, status: JobStatus | None = None
    ) -> JobPage:
        def select(conn: sqlite3.Connection) -> JobPage:
            before = None
            if cursor is not None:
                row = conn.execute("SELECT id FROM jobs WHERE job_id = ?", (cursor,)).fetchone()
                if row is None:
                    raise ValueError(f"cursor {cursor!r} names no job")
                before = row[0]
            rows = conn.execute(
                SELECT_JOB_PAGE, {"status": status, "before": before, "limit": limit + 1}
            ).fetchall()
            jobs = _with_files(conn, rows[:limit])
            more = len(rows) > limit
            return JobPage(tuple(jobs), jobs[-1].job_id if more else None)

        return await self._run(select)

    async def progress(
        self, job_id: str, after_seq: int = 0, *, wait_s: float = 0.0
    ) -> list[JobProgress]:
        def select(conn: sqlite3.Connection) -> list[JobProgress]:
            rows = conn.execute(SELECT_PROGRESS, (job_id, after_seq))
            return [progress_from_row(row) for row in rows]

        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while True:
            records = await self._run(select)
            left = deadline - loop.time()
            if records or left <= 0:
                return records
            await self._wait_for_change(min(left, POLL_INTERVAL_S))

    async def _wait_for_change(self, timeout_s: float) -> None:
        if self._changed is None:
            self._changed = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout_s)

    # ------------------------------------------------------------------ JobClaims

    async def claim(self) -> Job | None:
        await self.recover()
        owner = self.owner

        def claim(conn: sqlite3.Connection) -> Job | None:
            # An idle worker asks often: a read first, so that it takes no write lock then.
            if (
                conn.execute("SELECT 1 FROM jobs WHERE status = 'queued' LIMIT 1").fetchone()
                is None
            ):
                return None
            with _transaction(conn):
                row = conn.execute(CLAIM, {"owner": owner, "now": _now()}).fetchone()
                if row is None:
                    return None
                job_id, attempts = row
                message = f"started (attempt {attempts})"
                _append(conn, job_id, owner, STARTED, message, None, {"attempt": attempts})
                return _load_job(conn, job_id)

        job = await self._run(claim)
        if job is not None:
            self._notify()
        return job

    async def recover(self) -> list[str]:
        def running(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
            return conn.execute(
                "SELECT job_id, owner, attempts FROM jobs WHERE status = 'running' ORDER BY id"
            ).fetchall()

        # The running jobs are read before the leases are checked: an owner that claimed one
        # of them held its lease before it claimed, so a live owner is never taken for dead.
        jobs = await self._run(running)
        if not jobs:
            return []
        live = self._live_owners()
        recovered = []
        for job_id, owner, attempts in jobs:
            if owner not in live and await self._hand_back(job_id, owner, attempts):
                recovered.append(job_id)
        if recovered:
            self._notify()
        return recovered

    def _live_owners(self) -> set[str]:
        if self._lease is None:
            self._lease = OwnerLease(self._lease_dir)
        return self._lease.live_owners()

    async def _hand_back(self, job_id: str, owner: str, attempts: int) -> bool:
        """Re-queue a dead owner's job, or fail it once it was interrupted too often; False
        when another process got to it first."""
        if attempts >= self._max_attempts:
            reason = (
                f"interrupted {attempts} times: the process running it stopped each time "
                "(killed, or out of memory?) before it ended; upload its files again, fewer at "
                "a time, or look for the cause in the server's log"
            )
            return await self._end(job_id, owner, FAILED, reason)

        def requeue(conn: sqlite3.Connection) -> bool:
            with _transaction(conn):
                if not _requeue(conn, job_id, owner, count_attempt=True):
                    return False
                message = (
                    f"re-queued: the process running it (owner {owner}) stopped before it "
                    f"ended (attempt {attempts} of {self._max_attempts})"
                )
                _append(conn, job_id, None, REQUEUED, message, None, {"reason": "worker died"})
                return True

        return await self._run(requeue)

    async def record(
        self,
        job_id: str,
        kind: str,
        message: str,
        *,
        file: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> JobProgress:
        owner = self.owner

        def append(conn: sqlite3.Connection) -> JobProgress:
            with _transaction(conn):
                return _append(conn, job_id, owner, kind, message, file, data or {})

        record = await self._run(append)
        self._notify()
        return record

    async def file_started(self, job_id: str, position: int) -> None:
        await self._update_file(
            job_id,
            "UPDATE job_files SET status = 'running' WHERE job_id = ? AND position = ?",
            (job_id, position),
        )

    async def file_finished(self, job_id: str, result: FileResult) -> None:
        owner = self.owner
        kind = FILE_DONE if result.status == "done" else FILE_FAILED
        data = {
            "interview_id": result.interview_id,
            "sentences": result.sentences,
            "analyses": result.analyses,
            "error": result.error,
        }

        def store(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                name = _held_file(conn, job_id, owner, result.position)
                conn.execute(
                    "UPDATE job_files SET status = ?, interview_id = ?, title = ?, sentences = ?,"
                    " analyses = ?, analysis_failures = ?, warnings = ?, error = ?"
                    " WHERE job_id = ? AND position = ?",
                    (
                        result.status,
                        result.interview_id,
                        result.title,
                        result.sentences,
                        result.analyses,
                        result.analysis_failures,
                        warnings_json(result.warnings),
                        result.error,
                        job_id,
                        result.position,
                    ),
                )
                _append(
                    conn, job_id, owner, kind, _file_message(name, result), result.position, data
                )

        await self._run(store)
        self._notify()

    async def finish(self, job_id: str, status: JobStatus, error: str | None = None) -> Job:
        if status not in (COMPLETED, FAILED):
            raise ValueError(f"a job ends completed or failed, not {status!r}")
        owner = self.owner
        if not await self._end(job_id, owner, status, error):
            raise JobNotHeld(f"job {job_id} is not held by this worker ({owner})")
        job = await self.get(job_id)
        assert job is not None
        return job

    async def _end(self, job_id: str, owner: str, status: str, error: str | None) -> bool:
        """Set the job's final status and write its final record (when it failed, the files
        it did not reach fail with its error); False when `owner` does not hold it."""
        unfinished = f"not processed: the job failed ({error})" if status == FAILED else None

        def end(conn: sqlite3.Connection) -> bool:
            now = _now()
            with _transaction(conn):
                updated = conn.execute(
                    "UPDATE jobs SET status = ?, error = ?, finished_at = ?, updated_at = ?,"
                    " owner = NULL WHERE job_id = ? AND owner = ? AND status = 'running'",
                    (status, error, now, now, job_id, owner),
                ).rowcount
                if not updated:
                    return False
                if unfinished is not None:
                    conn.execute(
                        "UPDATE job_files SET status = 'failed', error = ?"
                        " WHERE job_id = ? AND status IN ('pending', 'running')",
                        (unfinished, job_id),
                    )
                counts = _file_counts(conn, job_id)
                message = _final_message(status, counts, error)
                _append(conn, job_id, None, status, message, None, {**counts, "error": error})
                return True

        ended = await self._run(end)
        if ended:
            self._notify()
        return ended

    async def release(self, job_id: str, reason: str) -> None:
        owner = self.owner

        def release(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                if not _requeue(conn, job_id, owner, count_attempt=False):
                    raise JobNotHeld(f"job {job_id} is not held by this worker ({owner})")
                _append(
                    conn, job_id, None, REQUEUED, f"re-queued: {reason}", None, {"reason": reason}
                )

        await self._run(release)
        self._notify()

    async def _update_file(self, job_id: str, statement: str, params: Sequence[Any]) -> None:
        owner = self.owner

        def update(conn: sqlite3.Connection) -> None:
            with _transaction(conn):
                _held(conn, job_id, owner)
                conn.execute(statement, params)

        await self._run(update)


# ---------------------------------------------------------------------- helpers


@contextlib.contextmanager
def _transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE .. COMMIT: takes the write lock up front, so two processes queue on the
    busy timeout instead of failing mid-transaction."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _append(
    conn: sqlite3.Connection,
    job_id: str,
    owner: str | None,
    kind: str,
    message: str,
    file: int | None,
    data: Mapping[str, Any],
) -> JobProgress:
    """The job's next record; with an owner, only while that owner holds the job."""
    now = _now()
    row = conn.execute(NEXT_SEQ, {"now": now, "job_id": job_id, "owner": owner}).fetchone()
    if row is None:
        raise JobNotHeld(f"job {job_id} is not held by this worker ({owner})")
    seq = row[0]
    conn.execute(INSERT_PROGRESS, (job_id, seq, now, kind, message, file, json.dumps(data)))
    return JobProgress(job_id, seq, datetime.fromisoformat(now), kind, message, file, data)


def _held(conn: sqlite3.Connection, job_id: str, owner: str) -> None:
    row = conn.execute(
        "SELECT 1 FROM jobs WHERE job_id = ? AND owner = ? AND status = 'running'",
        (job_id, owner),
    ).fetchone()
    if row is None:
        raise JobNotHeld(f"job {job_id} is not held by this worker ({owner})")


def _held_file(conn: sqlite3.Connection, job_id: str, owner: str, position: int) -> str:
    _held(conn, job_id, owner)
    row = conn.execute(
        "SELECT name FROM job_files WHERE job_id = ? AND position = ?", (job_id, position)
    ).fetchone()
    if row is None:
        raise ValueError(f"job {job_id} has no file {position}")
    return str(row[0])


def _requeue(conn: sqlite3.Connection, job_id: str, owner: str, *, count_attempt: bool) -> bool:
    """Back to queued (the file in progress back to pending); False unless `owner` holds it.
    A hand-back that is not an interruption (`count_attempt` False) returns its attempt."""
    updated = conn.execute(
        "UPDATE jobs SET status = 'queued', owner = NULL, updated_at = ?,"
        " attempts = attempts - ? WHERE job_id = ? AND owner = ? AND status = 'running'",
        (_now(), 0 if count_attempt else 1, job_id, owner),
    ).rowcount
    if updated:
        conn.execute(
            "UPDATE job_files SET status = 'pending' WHERE job_id = ? AND status = 'running'",
            (job_id,),
        )
    return bool(updated)


def _new_file_row(job_id: str, position: int, file: NewJobFile) -> tuple[Any, ...]:
    status = "pending" if file.stored_as is not None else "failed"
    return (
        job_id,
        position,
        file.name,
        file.sha256,
        file.size_bytes,
        file.stored_as,
        status,
        file.error,
    )


def _find_job(conn: sqlite3.Connection, job_id: str) -> Job | None:
    row = conn.execute(SELECT_JOB, (job_id,)).fetchone()
    return None if row is None else _with_files(conn, [row])[0]


def _load_job(conn: sqlite3.Connection, job_id: str) -> Job:
    job = _find_job(conn, job_id)
    assert job is not None
    return job


def _with_files(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> list[Job]:
    ids = [row[0] for row in rows]
    files: dict[str, list[Any]] = {job_id: [] for job_id in ids}
    for file_row in conn.execute(SELECT_FILES, (json.dumps(ids),)):
        files[file_row[0]].append(file_from_row(file_row))
    return [job_from_row(row, files[row[0]]) for row in rows]


def _file_counts(conn: sqlite3.Connection, job_id: str) -> dict[str, int]:
    counts = {"files_done": 0, "files_failed": 0}
    for status, count in conn.execute(
        "SELECT status, count(*) FROM job_files WHERE job_id = ? GROUP BY status", (job_id,)
    ):
        counts[f"files_{status}"] = count
    return counts


def _final_message(status: str, counts: Mapping[str, int], error: str | None) -> str:
    files = f"{counts['files_done']} file(s) done, {counts['files_failed']} failed"
    if status == COMPLETED:
        return f"completed: {files}"
    return f"failed: {error}; {files}"


def _file_message(name: str, result: FileResult) -> str:
    if result.status == "done":
        return f"{name}: done: {result.sentences} sentence(s), {result.analyses} analysis(es)"
    error = result.error or "failed"
    return error if error.startswith(f"{name}: ") else f"{name}: {error}"
