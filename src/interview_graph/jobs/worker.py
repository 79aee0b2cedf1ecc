"""The job worker: claims queued jobs and runs their files through the pipeline, one job at a
time, reporting every step as a progress record.

It knows nothing of HTTP: `serve` runs it as a background task of the API's process, and any
other process can run it on the same queue. A file fails alone, with the error the CLI gives
for it; files already done or failed when a job resumes are not processed again. Stopping the
worker (`stop`) hands the job in progress back to the queue, where it waits for the next
worker: nothing is lost, and the file it was on is processed again from its start (the
pipeline writes the same ids, so the graph ends the same).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from pathlib import Path
from typing import Any, Protocol

from interview_graph.jobs.port import (
    COMPLETED,
    FAILED,
    FILE_PROGRESS,
    FILE_STARTED,
    FILE_WAITING,
    FileResult,
    FileWarning,
    Job,
    JobClaims,
    JobFile,
    JobNotHeld,
    JobQueueError,
)
from interview_graph.jobs.uploads import UploadStore
from interview_graph.pipeline.interview_lock import LockHolder, LockWaitNotice
from interview_graph.pipeline.service import FileReport, SentenceProgress, describe_error
from interview_graph.pipeline.source_lines import ReadProgress

log = logging.getLogger(__name__)

IDLE_POLL_S = 0.5  # how often an idle worker looks for jobs other processes queued
ERROR_BACKOFF_S = 5.0  # after the job store failed, before trying it again
STOPPED_REASON = "the worker stopped (the server shut down) while it ran; it resumes on restart"


class FileProcessor(Protocol):
    """What the worker needs of the pipeline (`PipelineService`)."""

    async def process_file(
        self,
        path: Path,
        project_name: str | None = None,
        on_progress: SentenceProgress | None = None,
        on_read_progress: ReadProgress | None = None,
        on_lock_wait: LockWaitNotice | None = None,
        name: str | None = None,
    ) -> FileReport: ...


class JobWorker:
    def __init__(
        self,
        claims: JobClaims,
        processor: FileProcessor,
        uploads: UploadStore,
        *,
        idle_poll_s: float = IDLE_POLL_S,
    ) -> None:
        self._claims = claims
        self._processor = processor
        self._uploads = uploads
        self._idle_poll_s = idle_poll_s
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Run in the background until `stop`."""
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name="job-worker")

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    async def stop(self) -> None:
        """Stop now; the job in progress goes back to the queue."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except (JobQueueError, OSError) as exc:  # the store or its folder: try again later
                log.error("job queue failed; retrying", extra={"error": str(exc)})
                await asyncio.sleep(ERROR_BACKOFF_S)
                continue
            if not worked:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._idle_poll_s)

    async def run_once(self) -> bool:
        """Claim one job and run it to its end; False when none is queued."""
        job = await self._claim()
        if job is None:
            return False
        try:
            await self._run(job)
        except asyncio.CancelledError:
            await _unless_lost(job, self._claims.release(job.job_id, STOPPED_REASON))
            raise
        except JobNotHeld:
            log.warning("job taken over by another worker", extra={"job_id": job.job_id})
        except Exception as exc:  # a bug: the job fails with it rather than hanging
            log.exception("job failed", extra={"job_id": job.job_id})
            error = f"the worker failed: {describe_error(exc)}; see the server's log"
            await _unless_lost(job, self._claims.finish(job.job_id, FAILED, error))
        return True

    async def _claim(self) -> Job | None:
        """A claim the worker is stopped in the middle of still ends; its job is handed back
        rather than left running under this live process until it exits."""
        claiming = asyncio.ensure_future(self._claims.claim())
        try:
            return await asyncio.shield(claiming)
        except asyncio.CancelledError:
            job = await claiming
            if job is not None:
                await _unless_lost(job, self._claims.release(job.job_id, STOPPED_REASON))
            raise

    async def _run(self, job: Job) -> None:
        for file in job.files:
            if file.status == "pending":
                await self._run_file(job, file)
        await self._claims.finish(job.job_id, COMPLETED)

    async def _run_file(self, job: Job, file: JobFile) -> None:
        job_id, position = job.job_id, file.position
        await self._claims.file_started(job_id, position)
        started = f"{file.name}: processing"
        await self._claims.record(
            job_id, FILE_STARTED, started, file=position, data={"name": file.name}
        )
        path = self._uploads.path_of(file.stored_as) if file.stored_as else None
        if path is None or not path.is_file():
            result = FileResult(position, "failed", error=_missing(file))
        else:
            reporter = _ProgressReporter(self._claims, job_id, file)
            try:
                report = await self._processor.process_file(
                    path,
                    job.project,
                    on_progress=reporter.analysed,
                    on_lock_wait=reporter.waiting,
                    name=file.name,
                )
                await reporter.flush()
            finally:
                reporter.cancel()
            result = file_result(position, report)
        await self._claims.file_finished(job_id, result)


def file_result(position: int, report: FileReport) -> FileResult:
    return FileResult(
        position=position,
        status="done" if report.ok else "failed",
        interview_id=report.interview_id,
        title=report.title,
        sentences=report.sentences,
        analyses=report.analyses,
        analysis_failures=len(report.analysis_failures),
        warnings=tuple(FileWarning(w.line, w.message) for w in report.warnings),
        error=report.error,
    )


def _missing(file: JobFile) -> str:
    return (
        f"{file.name}: its stored upload ({file.stored_as}) is no longer in the upload folder "
        "(DATA_DIR/uploads); upload the file again"
    )


async def _unless_lost(job: Job, step: Awaitable[object]) -> None:
    """Hand back or fail the job; if another worker holds it by now, there is nothing to do."""
    try:
        await asyncio.shield(step)
    except JobNotHeld:
        log.warning("job taken over by another worker", extra={"job_id": job.job_id})


class _ProgressReporter:
    """Turns the pipeline's callbacks (plain calls on the event loop) into progress records,
    written in the order they came; `flush` waits for them."""

    def __init__(self, claims: JobClaims, job_id: str, file: JobFile) -> None:
        self._claims = claims
        self._job_id = job_id
        self._file = file
        self._analysed = 0
        self._pending: list[asyncio.Future[Any]] = []

    def analysed(self, count: int) -> None:
        self._analysed += count
        message = f"{self._file.name}: {self._analysed} sentence(s) analysed"
        self._send(FILE_PROGRESS, message, {"sentences": self._analysed})

    def waiting(self, holder: LockHolder) -> None:
        message = (
            f"{self._file.name}: waiting: another run ({holder.describe()}) is processing the "
            "same interview; this job goes on with it once that run is done"
        )
        self._send(FILE_WAITING, message, {"pid": holder.pid, "since": holder.since})

    def _send(self, kind: str, message: str, data: dict[str, object]) -> None:
        record = self._claims.record(
            self._job_id, kind, message, file=self._file.position, data=data
        )
        task = asyncio.ensure_future(record)
        task.add_done_callback(_retrieve)
        self._pending.append(task)

    async def flush(self) -> None:
        pending, self._pending = self._pending, []
        await asyncio.gather(*pending)

    def cancel(self) -> None:
        """Drop the records not yet written (the file was interrupted)."""
        pending, self._pending = self._pending, []
        for task in pending:
            task.cancel()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """A record that failed after its file was interrupted is not worth a warning."""
    if not task.cancelled():
        task.exception()
