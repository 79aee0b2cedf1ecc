"""The job-queue port: uploaded transcripts processed as jobs, by workers that may run in the
API's process or elsewhere.

A job is one upload request: a project and its files, each stored under its content hash.
Life of a job:
  queued    -> waiting for a worker (just submitted, or handed back: its worker stopped);
  running   -> a worker claimed it (one worker at a time: the claim is atomic);
  completed -> every file was tried: each file is `done` or `failed` on its own, with the
               error the CLI gives for it (a failed file never fails the others or the job);
  failed    -> the job itself could not run to its end, `error` says why (e.g. it was
               interrupted too many times); files it did not reach say so in their error.
Every change is also a progress record, numbered from 1 per job (`seq`), so a reader can follow
a job and resume after the last record it saw.

Two sides, two protocols: `JobQueue` is what the API needs (submit, read, follow), `JobClaims`
what a worker needs (claim a job, report on it file by file, finish or hand it back). A
backend implements both; a distributed one can keep job records in a shared store and hand
files to its own workers, behind the same `JobQueue`. Importing this module loads no driver.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Literal, Protocol

JobStatus = Literal["queued", "running", "completed", "failed"]
FileStatus = Literal["pending", "running", "done", "failed"]
FINAL_STATUSES: Final = frozenset({"completed", "failed"})

# Kinds of progress record. The last record of a job that ended is `completed` or `failed`.
QUEUED: Final = "queued"
STARTED: Final = "started"
FILE_STARTED: Final = "file_started"
FILE_WAITING: Final = "file_waiting"  # another run holds the interview; this one waits
FILE_PROGRESS: Final = "file_progress"
FILE_DONE: Final = "file_done"
FILE_FAILED: Final = "file_failed"
REQUEUED: Final = "requeued"
COMPLETED: Final = "completed"
FAILED: Final = "failed"
PROGRESS_KINDS: Final = (
    QUEUED,
    STARTED,
    FILE_STARTED,
    FILE_WAITING,
    FILE_PROGRESS,
    FILE_DONE,
    FILE_FAILED,
    REQUEUED,
    COMPLETED,
    FAILED,
)


class JobQueueError(RuntimeError):
    """The job store could not be read or written; names the store and what to do."""


class JobNotHeld(JobQueueError):
    """A worker reported on a job it no longer holds (another worker took it over)."""


@dataclass(frozen=True, slots=True)
class FileWarning:
    """Something the reader skipped or repaired in a file, and its line."""

    line: int
    message: str


@dataclass(frozen=True, slots=True)
class NewJobFile:
    """One uploaded file as submitted: where it is stored, or why it was refused on upload."""

    name: str  # the original file name, sanitized: metadata only, never a path
    sha256: str
    size_bytes: int
    stored_as: str | None  # its file name in the upload store; None when refused
    error: str | None = None  # why it was refused on upload (the file then fails alone)


@dataclass(frozen=True, slots=True)
class FileResult:
    """What processing one file of a job gave."""

    position: int
    status: Literal["done", "failed"]
    interview_id: str | None = None
    title: str | None = None
    sentences: int = 0
    analyses: int = 0
    analysis_failures: int = 0
    warnings: tuple[FileWarning, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class JobFile:
    """One file of a job, as it stands."""

    position: int  # 0-based, in upload order
    name: str
    sha256: str
    size_bytes: int
    stored_as: str | None
    status: FileStatus
    interview_id: str | None = None
    title: str | None = None
    sentences: int = 0
    analyses: int = 0
    analysis_failures: int = 0
    warnings: tuple[FileWarning, ...] = ()
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Job:
    job_id: str
    status: JobStatus
    project: str | None  # None: each file's front matter, else the default project
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int  # how many times a worker claimed it
    error: str | None  # why the job failed (None unless status is failed)
    files: tuple[JobFile, ...]

    @property
    def ended(self) -> bool:
        return self.status in FINAL_STATUSES

    def count(self, status: FileStatus) -> int:
        return sum(1 for file in self.files if file.status == status)


@dataclass(frozen=True, slots=True)
class JobProgress:
    """One progress record of a job."""

    job_id: str
    seq: int  # 1, 2, 3... per job
    at: datetime
    kind: str
    message: str
    file: int | None = None  # the file's position, for file records
    data: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_final(self) -> bool:
        return self.kind in (COMPLETED, FAILED)


@dataclass(frozen=True, slots=True)
class JobPage:
    jobs: tuple[Job, ...]
    next_cursor: str | None  # the last job's id when more follow


class JobQueue(Protocol):
    """Submitting jobs and reading them: what the API needs."""

    async def submit(self, project: str | None, files: Sequence[NewJobFile]) -> Job:
        """Record a new queued job (durably, before returning) with its `queued` record.
        Files refused on upload are recorded as failed with their error."""
        ...

    async def get(self, job_id: str) -> Job | None: ...

    async def list_jobs(
        self, *, limit: int, cursor: str | None = None, status: JobStatus | None = None
    ) -> JobPage:
        """Newest first; `cursor` is the `next_cursor` of the page before (ValueError if it
        names no job)."""
        ...

    async def progress(
        self, job_id: str, after_seq: int = 0, *, wait_s: float = 0.0
    ) -> list[JobProgress]:
        """The job's records after `after_seq`, in order; when there are none yet, waits up
        to `wait_s` for the next ones (an empty list: nothing happened meanwhile)."""
        ...


class JobClaims(Protocol):
    """Claiming jobs and reporting on them: what a worker needs. Each call names the job; a
    call on a job this worker no longer holds raises JobNotHeld."""

    async def claim(self) -> Job | None:
        """Atomically take the oldest queued job (None: none is queued). Jobs held by
        workers that died are handed back (`recover`) first."""
        ...

    async def recover(self) -> list[str]:
        """Jobs left running by workers that are gone: re-queued (files they were processing
        go back to pending: processing is idempotent), or failed with the reason once they
        have been interrupted too often. Returns their ids."""
        ...

    async def record(
        self,
        job_id: str,
        kind: str,
        message: str,
        *,
        file: int | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> JobProgress: ...

    async def file_started(self, job_id: str, position: int) -> None: ...

    async def file_finished(self, job_id: str, result: FileResult) -> None:
        """Store the file's result and its `file_done` or `file_failed` record."""
        ...

    async def finish(self, job_id: str, status: JobStatus, error: str | None = None) -> Job:
        """End the job (completed or failed) with its final record."""
        ...

    async def release(self, job_id: str, reason: str) -> None:
        """Hand the job back to the queue (this worker stops): it is queued again, the file
        in progress goes back to pending, and a `requeued` record says why. A release does
        not count as an interrupted attempt."""
        ...


class JobBackend(JobQueue, JobClaims, Protocol):
    """A backend: both sides, and closing it."""

    async def close(self) -> None: ...
