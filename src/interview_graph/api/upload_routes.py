"""`POST /api/transcripts`: upload transcripts; they are processed as a job in the background.

The answer comes as soon as the files are stored and the job is queued (202, with the job's
URL in `Location`); `GET /api/jobs/{id}` then gives each file's result and
`GET /api/jobs/{id}/events` streams the progress (`job_routes`). This router holds the one
state-changing route, so that access rules can be attached to it where it is included.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from interview_graph.api.job_models import (
    ERROR_BODY,
    JobAccepted,
    events_url,
    jobs_of,
    status_url,
)
from interview_graph.api.multipart_upload import (
    FILES_FIELD,
    MAX_PROJECT_CHARS,
    PROJECT_FIELD,
    receive_upload,
)

upload_router = APIRouter()

_UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": [FILES_FIELD],
                    "additionalProperties": False,
                    "properties": {
                        FILES_FIELD: {
                            "type": "array",
                            "minItems": 1,
                            "items": {"type": "string", "format": "binary"},
                            "description": "Transcripts (.txt, .md, .text, .vtt, .srt), one "
                            "file part each; at most MAX_UPLOAD_FILES, each at most MAX_FILE_MB.",
                        },
                        PROJECT_FIELD: {
                            "type": "string",
                            "maxLength": MAX_PROJECT_CHARS,
                            "description": "Project name (default: each file's front matter, "
                            "else 'default').",
                        },
                    },
                }
            }
        },
    }
}


@upload_router.post(
    "/api/transcripts",
    status_code=202,
    tags=["jobs"],
    response_model=JobAccepted,
    openapi_extra=_UPLOAD_BODY,
    responses={
        400: {"description": "A malformed body.", **ERROR_BODY},
        413: {"description": "Too many files, or a body too large.", **ERROR_BODY},
        415: {"description": "Not multipart/form-data.", **ERROR_BODY},
        422: {"description": "No file, or an unknown field.", **ERROR_BODY},
        507: {"description": "The upload could not be stored.", **ERROR_BODY},
    },
)
async def upload_transcripts(request: Request) -> JSONResponse:
    """Store the uploaded transcripts and queue a job that processes them, as
    `interview-graph process` would. A file the pipeline cannot read fails alone, with the
    CLI's error, in the job's results."""
    jobs = jobs_of(request)
    upload = await receive_upload(request, jobs.uploads, max_files=jobs.max_files)
    job = await jobs.queue.submit(upload.project, upload.files)
    jobs.submitted()
    accepted = JobAccepted(
        job_id=job.job_id,
        status=job.status,
        status_url=status_url(job.job_id),
        events_url=events_url(job.job_id),
    )
    return JSONResponse(
        accepted.model_dump(), status_code=202, headers={"Location": accepted.status_url}
    )
