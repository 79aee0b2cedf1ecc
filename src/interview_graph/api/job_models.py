"""The JSON forms of jobs, for the upload and job routes (and their OpenAPI schemas)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import Request
from pydantic import BaseModel

from interview_graph.jobs.port import Job, JobFile, JobProgress
from interview_graph.jobs.runtime import Jobs

# The body of every error answer, `{"detail": "..."}`, for the routes' OpenAPI responses.
ERROR_BODY: dict[str, Any] = {
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["detail"],
                "properties": {"detail": {"type": "string"}},
            }
        }
    }
}


class FileWarningJson(BaseModel):
    line: int
    message: str


class JobFileJson(BaseModel):
    position: int
    name: str  # the original file name, sanitized
    sha256: str
    size_bytes: int
    status: Literal["pending", "running", "done", "failed"]
    interview_id: str | None
    title: str | None
    sentences: int
    analyses: int
    analysis_failures: int
    warnings: list[FileWarningJson]
    error: str | None  # what failed, as `interview-graph process` says it


class JobTotals(BaseModel):
    files: int
    files_done: int
    files_failed: int
    files_pending: int  # not processed yet (pending or running)
    sentences: int
    analyses: int


class JobJson(BaseModel):
    job_id: str
    status: Literal["queued", "running", "completed", "failed"]
    project: str | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    attempts: int
    error: str | None
    totals: JobTotals
    files: list[JobFileJson]
    status_url: str
    events_url: str


class JobPageJson(BaseModel):
    jobs: list[JobJson]
    next_cursor: str | None  # pass as `cursor` for the next page; null on the last one


class JobAccepted(BaseModel):
    job_id: str
    status: Literal["queued", "running", "completed", "failed"]
    status_url: str
    events_url: str


class ProgressJson(BaseModel):
    """One progress record: the `data:` of a Server-Sent Event."""

    seq: int
    at: datetime
    kind: str
    message: str
    file: int | None
    data: dict[str, Any]


def status_url(job_id: str) -> str:
    return f"/api/jobs/{job_id}"


def events_url(job_id: str) -> str:
    return f"/api/jobs/{job_id}/events"


def job_json(job: Job) -> JobJson:
    return JobJson(
        job_id=job.job_id,
        status=job.status,
        project=job.project,
        created_at=job.created_at,
        updated_at=job.updated_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        attempts=job.attempts,
        error=job.error,
        totals=JobTotals(
            files=len(job.files),
            files_done=job.count("done"),
            files_failed=job.count("failed"),
            files_pending=job.count("pending") + job.count("running"),
            sentences=sum(file.sentences for file in job.files),
            analyses=sum(file.analyses for file in job.files),
        ),
        files=[_file_json(file) for file in job.files],
        status_url=status_url(job.job_id),
        events_url=events_url(job.job_id),
    )


def _file_json(file: JobFile) -> JobFileJson:
    return JobFileJson(
        position=file.position,
        name=file.name,
        sha256=file.sha256,
        size_bytes=file.size_bytes,
        status=file.status,
        interview_id=file.interview_id,
        title=file.title,
        sentences=file.sentences,
        analyses=file.analyses,
        analysis_failures=file.analysis_failures,
        warnings=[FileWarningJson(line=w.line, message=w.message) for w in file.warnings],
        error=file.error,
    )


def progress_json(record: JobProgress) -> ProgressJson:
    return ProgressJson(
        seq=record.seq,
        at=record.at,
        kind=record.kind,
        message=record.message,
        file=record.file,
        data=dict(record.data),
    )


def jobs_of(request: Request) -> Jobs:
    jobs: Jobs = request.app.state.jobs
    return jobs
