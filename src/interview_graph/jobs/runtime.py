"""Jobs in a long-lived process: the queue, the upload store and a worker running in the
background on the configured pipeline, for as long as the process serves.

On start, jobs that a dead process left running are handed back to the queue and temporary
files of interrupted uploads are removed; on exit the worker stops (its job goes back to the
queue), the events recorded so far get a few seconds to reach the event store (the rest waits
in the outbox, as after `process`), and everything is closed.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from interview_graph import bootstrap
from interview_graph.dualwrite.outage import StoreOutage
from interview_graph.graph.port import GraphStore
from interview_graph.jobs.port import JobQueue
from interview_graph.jobs.uploads import UploadStore
from interview_graph.jobs.worker import JobWorker
from interview_graph.settings import Settings

log = logging.getLogger(__name__)

SHUTDOWN_DELIVERY_WAIT_S = 5.0
UPLOADS_DIR = "uploads"


@dataclass(frozen=True, slots=True)
class Jobs:
    """What the API's routes use: submit to `queue`, store files in `uploads`."""

    queue: JobQueue
    uploads: UploadStore
    max_files: int  # per upload request
    worker: JobWorker | None

    def submitted(self) -> None:
        """A job was queued: this process's worker looks at once."""
        if self.worker is not None:
            self.worker.wake()


def upload_store(settings: Settings) -> UploadStore:
    return UploadStore(
        settings.data_dir / UPLOADS_DIR, max_file_bytes=settings.max_file_mb * 1024 * 1024
    )


@asynccontextmanager
async def running_jobs(settings: Settings, graph: GraphStore) -> AsyncIterator[Jobs]:
    """The queue and a started worker writing into `graph`, with dual-write when
    ENABLE_EVENT_SOURCING is on."""
    queue = bootstrap.build_job_queue(settings)
    uploads = upload_store(settings)
    try:
        uploads.directory.mkdir(parents=True, exist_ok=True)
        uploads.remove_partial_files()
        await queue.recover()
        async with bootstrap.open_pipeline(
            settings, graph, events=settings.enable_event_sourcing, on_outage=_log_outage
        ) as pipeline:
            worker = JobWorker(queue, pipeline.service, uploads)
            worker.start()
            try:
                yield Jobs(queue, uploads, settings.max_upload_files, worker)
            finally:
                await worker.stop()
                if pipeline.dual_writer is not None:
                    await pipeline.dual_writer.finish(SHUTDOWN_DELIVERY_WAIT_S)
    finally:
        await queue.close()


def _log_outage(outage: StoreOutage) -> None:
    log.warning("event store unreachable", extra={"outage": outage.describe()})
