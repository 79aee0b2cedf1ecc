"""A job's progress as Server-Sent Events (text/event-stream).

One event per progress record: `id:` is the record's number, so a client that reconnects
with `Last-Event-ID` gets what came after it; `event:` its kind; `data:` the record as JSON.
The stream ends after the job's final record (`completed` or `failed`). While nothing
happens, a comment line every KEEPALIVE_S keeps proxies from closing the connection. When the
server shuts down the stream ends early; the client resumes from its last id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from interview_graph.api.job_models import progress_json
from interview_graph.jobs.port import JobProgress, JobQueue

KEEPALIVE_S = 15.0
RECONNECT_MS = 2000  # what a browser waits before reconnecting to a stream that broke
KEEPALIVE = ": keep-alive\n\n"


def sse_event(record: JobProgress) -> str:
    data = progress_json(record).model_dump_json()
    return f"id: {record.seq}\nevent: {record.kind}\ndata: {data}\n\n"


async def job_events(
    queue: JobQueue,
    job_id: str,
    after_seq: int,
    ending: asyncio.Event,
    *,
    keepalive_s: float = KEEPALIVE_S,
) -> AsyncIterator[str]:
    """The events after `after_seq` until the job's final one (or the server's shutdown)."""
    yield f"retry: {RECONNECT_MS}\n\n"
    while True:
        records = await _next_records(queue, job_id, after_seq, ending, keepalive_s)
        if records is None:
            return
        if not records:
            yield KEEPALIVE
        for record in records:
            yield sse_event(record)
            after_seq = record.seq
            if record.is_final:
                return


async def _next_records(
    queue: JobQueue, job_id: str, after_seq: int, ending: asyncio.Event, wait_s: float
) -> list[JobProgress] | None:
    """The next records (empty after `wait_s` without any); None once the server is ending."""
    if ending.is_set():
        return None
    progress = asyncio.ensure_future(queue.progress(job_id, after_seq, wait_s=wait_s))
    shutdown = asyncio.ensure_future(ending.wait())
    try:
        await asyncio.wait({progress, shutdown}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (progress, shutdown):
            waiter.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiter
    if progress.cancelled():
        return None
    return progress.result()
