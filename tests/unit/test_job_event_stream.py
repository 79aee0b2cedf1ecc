"""The job event stream on a real job queue: what it sends while nothing happens, and that it
ends at the job's final record or when the server begins to shut down."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interview_graph.api.event_stream import KEEPALIVE, job_events
from interview_graph.jobs.port import NewJobFile
from interview_graph.jobs.sqlite_queue import SQLiteJobQueue
from tests.integration.upload_helpers import sse_events


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[SQLiteJobQueue]:
    job_queue = SQLiteJobQueue(tmp_path / "jobs.sqlite3", tmp_path / "leases")
    yield job_queue
    await job_queue.close()


async def submitted(queue: SQLiteJobQueue) -> str:
    job = await queue.submit(None, [NewJobFile("a.txt", "a" * 64, 1, "a" * 64 + ".txt")])
    return job.job_id


async def test_a_quiet_job_gets_keep_alives_and_the_stream_ends_at_shutdown(
    queue: SQLiteJobQueue,
) -> None:
    job_id = await submitted(queue)
    ending = asyncio.Event()
    stream = job_events(queue, job_id, 0, ending, keepalive_s=0.01)
    assert await anext(stream) == "retry: 2000\n\n"
    [queued] = sse_events((await anext(stream)).splitlines())
    assert (queued.id, queued.event) == (1, "queued")
    assert await anext(stream) == KEEPALIVE  # nothing happens: a comment, no event
    ending.set()
    assert [chunk async for chunk in stream] == []


async def test_the_stream_ends_with_the_jobs_final_record(queue: SQLiteJobQueue) -> None:
    job_id = await submitted(queue)
    job = await queue.claim()
    assert job is not None
    await queue.finish(job_id, "completed")
    text = "".join([chunk async for chunk in job_events(queue, job_id, 1, asyncio.Event())])
    assert [(e.id, e.event) for e in sse_events(text.splitlines())] == [
        (2, "started"),
        (3, "completed"),
    ]
