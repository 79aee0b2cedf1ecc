"""SQLiteJobQueue on a real database file: submitting and reading jobs, their progress records,
claims that are exclusive across processes, and jobs of dead workers handed back."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interview_graph.jobs.port import (
    FILE_PROGRESS,
    FileResult,
    FileWarning,
    JobNotHeld,
    NewJobFile,
)
from interview_graph.jobs.sqlite_queue import SQLiteJobQueue

SRC = Path(__file__).resolve().parents[2] / "src"


def stored(name: str, digit: str = "a") -> NewJobFile:
    return NewJobFile(name, digit * 64, 10, f"{digit * 64}.txt")


def refused(name: str) -> NewJobFile:
    return NewJobFile(name, "f" * 64, 3, None, f"{name}: unsupported file type .exe")


@pytest.fixture
async def queue(tmp_path: Path) -> AsyncIterator[SQLiteJobQueue]:
    job_queue = queue_in(tmp_path)
    yield job_queue
    await job_queue.close()


def queue_in(folder: Path, max_attempts: int = 3) -> SQLiteJobQueue:
    return SQLiteJobQueue(folder / "jobs.sqlite3", folder / "leases", max_attempts=max_attempts)


async def test_a_submitted_job_is_queued_with_its_files_and_first_record(
    queue: SQLiteJobQueue,
) -> None:
    job = await queue.submit("demo", [stored("a.txt"), refused("b.exe")])
    assert job.status == "queued" and job.project == "demo" and job.attempts == 0
    assert [(f.position, f.name, f.status) for f in job.files] == [
        (0, "a.txt", "pending"),
        (1, "b.exe", "failed"),
    ]
    assert job.files[1].error == "b.exe: unsupported file type .exe"
    assert await queue.get(job.job_id) == job
    assert await queue.get("no-such-job") is None
    [record] = await queue.progress(job.job_id)
    assert (record.seq, record.kind, record.data) == (1, "queued", {"files": 2})
    assert "1 refused on upload" in record.message


async def test_jobs_are_listed_newest_first_in_pages(queue: SQLiteJobQueue) -> None:
    ids = [(await queue.submit(None, [stored("a.txt")])).job_id for _ in range(5)]
    first = await queue.list_jobs(limit=2)
    second = await queue.list_jobs(limit=2, cursor=first.next_cursor)
    third = await queue.list_jobs(limit=2, cursor=second.next_cursor)
    listed = [job.job_id for page in (first, second, third) for job in page.jobs]
    assert listed == ids[::-1]
    assert third.next_cursor is None
    claimed = await queue.claim()
    assert claimed is not None and claimed.job_id == ids[0]  # the oldest first
    running = await queue.list_jobs(limit=10, status="running")
    assert [job.job_id for job in running.jobs] == [ids[0]]
    with pytest.raises(ValueError, match="names no job"):
        await queue.list_jobs(limit=2, cursor="nope")


async def test_a_claimed_job_reports_file_by_file_and_ends(queue: SQLiteJobQueue) -> None:
    submitted = await queue.submit(None, [stored("a.txt"), stored("b.txt", "b")])
    job = await queue.claim()
    assert job is not None and job.job_id == submitted.job_id
    assert (job.status, job.attempts) == ("running", 1)
    assert await queue.claim() is None  # nothing else is queued
    await queue.file_started(job.job_id, 0)
    await queue.record(job.job_id, FILE_PROGRESS, "a.txt: 3 analysed", file=0, data={"n": 3})
    done = FileResult(0, "done", "iv-1", "A", 3, 3, 0, (FileWarning(2, "skipped cue"),))
    await queue.file_finished(job.job_id, done)
    await queue.file_finished(job.job_id, FileResult(1, "failed", error="b.txt: empty"))
    ended = await queue.finish(job.job_id, "completed")
    assert ended.status == "completed" and ended.finished_at is not None
    assert ended.files[0].warnings == (FileWarning(2, "skipped cue"),)
    assert (ended.files[0].interview_id, ended.files[0].sentences) == ("iv-1", 3)
    assert (ended.files[1].status, ended.files[1].error) == ("failed", "b.txt: empty")
    records = await queue.progress(job.job_id)
    assert [r.seq for r in records] == list(range(1, len(records) + 1))
    assert [r.kind for r in records] == [
        "queued",
        "started",
        "file_progress",
        "file_done",
        "file_failed",
        "completed",
    ]
    assert records[-1].is_final and records[-1].data["files_done"] == 1
    assert await queue.progress(job.job_id, records[2].seq) == records[3:]
    with pytest.raises(JobNotHeld):  # an ended job takes no more reports
        await queue.record(job.job_id, FILE_PROGRESS, "late")


async def test_a_reader_waiting_for_records_gets_the_next_one(queue: SQLiteJobQueue) -> None:
    job = await queue.submit(None, [stored("a.txt")])
    assert await queue.progress(job.job_id, 1, wait_s=0.01) == []
    waiting = asyncio.ensure_future(queue.progress(job.job_id, 1, wait_s=60))
    await asyncio.sleep(0)
    claimed = await queue.claim()
    assert claimed is not None
    [record] = await waiting
    assert (record.seq, record.kind) == (2, "started")


async def test_another_worker_cannot_report_on_a_job_it_does_not_hold(tmp_path: Path) -> None:
    mine, other = queue_in(tmp_path), queue_in(tmp_path)
    try:
        job = await mine.submit(None, [stored("a.txt")])
        assert await mine.claim() is not None
        with pytest.raises(JobNotHeld):
            await other.file_finished(job.job_id, FileResult(0, "done"))
        with pytest.raises(JobNotHeld):
            await other.finish(job.job_id, "completed")
        assert await other.recover() == []  # its owner is alive: nothing to hand back
    finally:
        await mine.close()
        await other.close()


async def test_a_released_job_is_queued_again_without_counting_an_attempt(
    queue: SQLiteJobQueue,
) -> None:
    job = await queue.submit(None, [stored("a.txt"), stored("b.txt", "b")])
    await queue.claim()
    await queue.file_finished(job.job_id, FileResult(0, "done", sentences=2))
    await queue.file_started(job.job_id, 1)
    await queue.release(job.job_id, "the server shut down")
    again = await queue.get(job.job_id)
    assert again is not None
    assert (again.status, again.attempts) == ("queued", 0)
    assert [f.status for f in again.files] == ["done", "pending"]  # done stays done
    last = (await queue.progress(job.job_id))[-1]
    assert (last.kind, last.message) == ("requeued", "re-queued: the server shut down")
    resumed = await queue.claim()
    assert resumed is not None and resumed.attempts == 1


# ------------------------------------------------------------------ several processes

CLAIM_UNTIL_EMPTY = """
import asyncio, json, sys
from pathlib import Path
from interview_graph.jobs.sqlite_queue import SQLiteJobQueue

async def main() -> None:
    folder = Path(sys.argv[1])
    queue = SQLiteJobQueue(folder / "jobs.sqlite3", folder / "leases")
    sys.stdin.readline()  # every process starts claiming at once
    claimed = []
    while (job := await queue.claim()) is not None:
        claimed.append(job.job_id)
        await queue.finish(job.job_id, "completed")
    await queue.close()
    print(json.dumps(claimed))

asyncio.run(main())
"""

CLAIM_ONE_THEN = """
import asyncio, os, signal, sys
from pathlib import Path
from interview_graph.jobs.sqlite_queue import SQLiteJobQueue

async def main() -> None:
    folder = Path(sys.argv[1])
    queue = SQLiteJobQueue(folder / "jobs.sqlite3", folder / "leases")
    job = await queue.claim()
    print(job.job_id, flush=True)
    if sys.argv[2] == "die":
        os.kill(os.getpid(), signal.SIGKILL)
    sys.stdin.readline()  # alive until told
    await queue.finish(job.job_id, "completed")
    await queue.close()

asyncio.run(main())
"""


def python(script: str, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    return subprocess.Popen(
        [sys.executable, "-c", script, *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_two_processes_never_claim_the_same_job(
    queue: SQLiteJobQueue, tmp_path: Path
) -> None:
    ids = {(await queue.submit(None, [stored("a.txt")])).job_id for _ in range(40)}
    workers = [python(CLAIM_UNTIL_EMPTY, str(tmp_path)) for _ in range(2)]
    for worker in workers:
        assert worker.stdin is not None
        worker.stdin.write("go\n")
        worker.stdin.flush()
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    claimed = [json.loads(stdout) for stdout, _ in outputs]
    assert not set(claimed[0]) & set(claimed[1])
    assert sorted(claimed[0] + claimed[1]) == sorted(ids)  # each exactly once
    for job_id in ids:
        job = await queue.get(job_id)
        assert job is not None and (job.status, job.attempts) == ("completed", 1)


async def claimed_by_a_process_that_dies(queue: SQLiteJobQueue, folder: Path) -> str:
    worker = python(CLAIM_ONE_THEN, str(folder), "die")
    stdout, stderr = worker.communicate(timeout=120)
    assert worker.returncode == -signal.SIGKILL, stderr
    return stdout.strip()


async def test_a_dead_workers_job_is_queued_again(queue: SQLiteJobQueue, tmp_path: Path) -> None:
    job = await queue.submit(None, [stored("a.txt")])
    assert await claimed_by_a_process_that_dies(queue, tmp_path) == job.job_id
    left = await queue.get(job.job_id)
    assert left is not None and left.status == "running"  # until someone looks
    assert await queue.recover() == [job.job_id]
    requeued = await queue.get(job.job_id)
    assert requeued is not None and (requeued.status, requeued.attempts) == ("queued", 1)
    last = (await queue.progress(job.job_id))[-1]
    assert last.kind == "requeued" and "stopped before it ended (attempt 1 of 3)" in last.message
    assert await queue.recover() == []  # once
    resumed = await queue.claim()
    assert resumed is not None and (resumed.job_id, resumed.attempts) == (job.job_id, 2)


async def test_a_live_workers_job_is_left_alone(queue: SQLiteJobQueue, tmp_path: Path) -> None:
    job = await queue.submit(None, [stored("a.txt")])
    worker = python(CLAIM_ONE_THEN, str(tmp_path), "wait")
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == job.job_id
        assert await queue.recover() == []
        assert await queue.claim() is None
    finally:
        _, stderr = worker.communicate("go\n", timeout=120)
    assert worker.returncode == 0, stderr
    ended = await queue.get(job.job_id)
    assert ended is not None and ended.status == "completed"


async def test_a_job_interrupted_too_often_fails_with_the_reason(tmp_path: Path) -> None:
    queue = queue_in(tmp_path, max_attempts=2)
    try:
        job = await queue.submit(None, [stored("a.txt"), refused("b.exe")])
        for _ in range(2):
            assert await claimed_by_a_process_that_dies(queue, tmp_path) == job.job_id
            await queue.recover()
        failed = await queue.get(job.job_id)
        assert failed is not None and failed.status == "failed"
        assert failed.error is not None and failed.error.startswith("interrupted 2 times")
        assert failed.files[0].status == "failed"
        assert failed.files[0].error == f"not processed: the job failed ({failed.error})"
        assert failed.files[1].error == "b.exe: unsupported file type .exe"  # kept
        last = (await queue.progress(job.job_id))[-1]
        assert last.kind == "failed" and last.is_final
        assert await queue.claim() is None
    finally:
        await queue.close()
