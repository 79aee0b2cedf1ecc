"""The job reads: the list of jobs, one job with its files' results, and its progress as a
stream of Server-Sent Events."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query, Request, Response
from fastapi.responses import StreamingResponse

from interview_graph.api.event_stream import job_events
from interview_graph.api.job_models import ERROR_BODY, JobJson, JobPageJson, job_json, jobs_of
from interview_graph.jobs.port import PROGRESS_KINDS, Job

job_router = APIRouter()

MAX_PAGE = 100
MAX_EVENT_ID = 2**62  # beyond any job's records, within what the job store's integers hold

# One event as a client reads it (an OpenAPI 3.1 event-stream schema describes one event).
_EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "event", "data"],
    "properties": {
        "id": {"type": "string", "pattern": "^[0-9]+$", "description": "The record's number."},
        "event": {"type": "string", "enum": list(PROGRESS_KINDS)},
        "data": {
            "type": "string",
            "contentMediaType": "application/json",
            "description": "The record as JSON: seq, at, kind, message, file, data.",
        },
    },
}


def _not_found(job_id: str) -> HTTPException:
    return HTTPException(404, f"no job {job_id}; `GET /api/jobs` lists the jobs")


async def _job(request: Request, job_id: str) -> Job:
    job = await jobs_of(request).queue.get(job_id)
    if job is None:
        raise _not_found(job_id)
    return job


@job_router.get(
    "/api/jobs",
    tags=["jobs"],
    responses={400: {"description": "A cursor that names no job.", **ERROR_BODY}},
)
async def list_jobs(
    request: Request,
    status: Annotated[
        Literal["queued", "running", "completed", "failed"] | None,
        Query(description="Only jobs in this status."),
    ] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
) -> JobPageJson:
    """The upload jobs, newest first, a page at a time."""
    try:
        page = await jobs_of(request).queue.list_jobs(limit=limit, cursor=cursor, status=status)
    except ValueError as exc:
        raise HTTPException(400, f"{exc}; pass the `next_cursor` of the page before") from exc
    return JobPageJson(jobs=[job_json(job) for job in page.jobs], next_cursor=page.next_cursor)


@job_router.get(
    "/api/jobs/{job_id}", tags=["jobs"], responses={404: {"description": "No job.", **ERROR_BODY}}
)
async def get_job(request: Request, job_id: str) -> JobJson:
    """One job: its status, and each file's result (interview id and counts, or its error)."""
    return job_json(await _job(request, job_id))


@job_router.get(
    "/api/jobs/{job_id}/events",
    tags=["jobs"],
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": _EVENT_SCHEMA}},
            "description": "One event per progress record; the stream ends after the "
            "job's final one (`completed` or `failed`).",
        },
        204: {"description": "The job has ended and nothing follows Last-Event-ID."},
        404: {"description": "No job.", **ERROR_BODY},
    },
)
async def get_job_events(
    request: Request,
    job_id: str,
    last_event_id: Annotated[
        int,
        Header(ge=0, le=MAX_EVENT_ID, description="The last event id seen: resume after it."),
    ] = 0,
) -> Response:
    """The job's progress as Server-Sent Events: `id:` is the record's number, `event:` its
    kind (`queued`, `started`, `file_started`, `file_progress`, `file_waiting`, `file_done`,
    `file_failed`, `requeued`, then `completed` or `failed`), `data:` the record as JSON."""
    job = await _job(request, job_id)
    queue = jobs_of(request).queue
    if job.ended and not await queue.progress(job_id, last_event_id):
        return Response(status_code=204)  # tells an EventSource to stop reconnecting
    return StreamingResponse(
        job_events(queue, job_id, last_event_id, request.app.state.ending),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
