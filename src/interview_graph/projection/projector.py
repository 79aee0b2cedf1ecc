"""The projection: rebuild (and keep up to date) a graph from the event log alone.

Events are read in global order and folded into batches; each batch is written to the target
graph together with the projection's checkpoint (`ProjectionCheckpoint {name, position}`) in
one atomic write, so after a crash the projection resumes exactly after the last batch the
graph committed: no gap, no double effect. Every write is a MERGE on deterministic ids, so even
replaying a batch would change nothing.

Within a batch the writes go interviews, sentences, analyses, then statuses. That respects
every stream's order: an interview's InterviewCreated precedes its sentences in the log, a
sentence's SentenceCreated precedes its AnalysisGenerated, and the last InterviewStatusChanged
of the batch is the one that counts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from interview_graph.domain.events import DomainEvent
from interview_graph.events.port import EventStore
from interview_graph.projection.port import (
    PreparedBatch,
    ProjectionBatch,
    ProjectionCheckpoint,
    ProjectionTarget,
)

log = logging.getLogger(__name__)

DEFAULT_PROJECTION = "graph"
DEFAULT_BATCH_SIZE = 2000


def fold_events(events: Iterable[DomainEvent]) -> ProjectionBatch:
    batch = ProjectionBatch()
    for event in events:
        batch.add(event)
    return batch


@dataclass(slots=True)
class ProjectionReport:
    name: str
    started_from: int
    position: int = 0
    events: int = 0
    skipped: int = 0
    interviews: int = 0
    sentences: int = 0
    analyses: int = 0
    statuses: int = 0
    batches: int = 0
    seconds: float = 0.0

    @property
    def events_per_second(self) -> float:
        return round(self.events / self.seconds, 1) if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "projection": self.name,
            "started_from": self.started_from,
            "position": self.position,
            "events": self.events,
            "skipped": self.skipped,
            "interviews": self.interviews,
            "sentences": self.sentences,
            "analyses": self.analyses,
            "statuses": self.statuses,
            "batches": self.batches,
            "seconds": round(self.seconds, 3),
            "events_per_second": self.events_per_second,
        }

    def count(self, batch: ProjectionBatch) -> None:
        self.position = max(self.position, batch.position)
        self.events += batch.events
        self.skipped += batch.skipped
        self.interviews += len(batch.interviews)
        self.sentences += len(batch.sentences)
        self.analyses += len(batch.analyses)
        self.statuses += len(batch.statuses)
        self.batches += 1


ProgressCallback = Callable[[ProjectionReport], None]


class Projector:
    """Applies the event log to one target graph, from the target's own checkpoint."""

    def __init__(
        self,
        store: EventStore,
        target: ProjectionTarget,
        *,
        name: str = DEFAULT_PROJECTION,
        batch_size: int = DEFAULT_BATCH_SIZE,
        on_progress: ProgressCallback | None = None,
        idle_flush_s: float = 0.2,
    ) -> None:
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size}")
        self._store = store
        self._target = target
        self._name = name
        self._batch_size = batch_size
        self._on_progress = on_progress
        self._idle_flush_s = idle_flush_s

    async def checkpoint(self) -> int:
        """The last position the target holds (0: nothing projected yet)."""
        return await self._target.read_checkpoint(self._name) or 0

    async def catch_up(self) -> ProjectionReport:
        """Apply everything after the checkpoint, page by page, then return.

        Three steps overlap instead of taking turns: the next page is read (and decoded)
        and folded and prepared while the graph writes the current batch. Batches are still
        written one after the other, each once the previous one has committed.
        """
        started = time.perf_counter()
        position = await self.checkpoint()
        report = ProjectionReport(name=self._name, started_from=position, position=position)
        next_page: asyncio.Task[list[DomainEvent]] | None = self._read_after(position)
        writing: asyncio.Task[None] | None = None
        try:
            while next_page is not None:
                page = await next_page
                next_page = None
                if not page:
                    break
                batch = fold_events(page)
                if len(page) == self._batch_size:
                    next_page = self._read_after(batch.position)
                prepared = self._prepare(batch)
                if writing is not None:
                    await writing
                writing = asyncio.create_task(self._write(prepared, batch, report))
            if writing is not None:
                await writing
        finally:
            for task in (next_page, writing):
                await _discard(task)
        report.seconds = time.perf_counter() - started
        return report

    def _prepare(self, batch: ProjectionBatch) -> PreparedBatch:
        checkpoint = ProjectionCheckpoint(name=self._name, position=batch.position)
        return self._target.prepare_projection_batch(batch, checkpoint)

    async def _write(
        self, prepared: PreparedBatch, batch: ProjectionBatch, report: ProjectionReport
    ) -> None:
        await self._target.write_projection_batch(prepared)
        self._counted(batch, report)

    def _read_after(self, position: int) -> asyncio.Task[list[DomainEvent]]:
        return asyncio.create_task(self._store.read_all(position, limit=self._batch_size))

    async def follow(self, stop: asyncio.Event) -> ProjectionReport:
        """Catch up, then apply new events as they are committed, until `stop` is set.

        Events are batched while they arrive quickly; a batch is written when full or when
        no event came for `idle_flush_s`, so a quiet log is reflected within a fraction of a
        second. What was received when `stop` is set is written before returning.
        """
        started = time.perf_counter()
        position = await self.checkpoint()
        report = ProjectionReport(name=self._name, started_from=position, position=position)
        queue: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=self._batch_size * 2)
        pump = asyncio.create_task(self._pump(position, queue), name="projection-subscription")
        try:
            await self._drain_until_stopped(queue, stop, pump, report)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        report.seconds = time.perf_counter() - started
        return report

    async def _pump(self, position: int, queue: asyncio.Queue[DomainEvent]) -> None:
        async for event in self._store.subscribe(from_position=position):
            await queue.put(event)

    async def _drain_until_stopped(
        self,
        queue: asyncio.Queue[DomainEvent],
        stop: asyncio.Event,
        pump: asyncio.Task[None],
        report: ProjectionReport,
    ) -> None:
        pending: list[DomainEvent] = []
        stopped = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                if pump.done():
                    pump.result()  # re-raise what broke the subscription
                    return
                getter = asyncio.ensure_future(queue.get())
                timeout = self._idle_flush_s if pending else None
                done, _ = await asyncio.wait(
                    {getter, stopped, pump}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
                )
                if getter in done:
                    pending.append(getter.result())
                    if len(pending) < self._batch_size:
                        continue
                else:
                    getter.cancel()
                if pending:
                    await self._apply(fold_events(pending), report)
                    pending = []
            pending.extend(_drain_nowait(queue))
            if pending:
                await self._apply(fold_events(pending), report)
        finally:
            stopped.cancel()

    async def _apply(self, batch: ProjectionBatch, report: ProjectionReport) -> None:
        await self._target.write_projection_batch(self._prepare(batch))
        self._counted(batch, report)

    def _counted(self, batch: ProjectionBatch, report: ProjectionReport) -> None:
        report.count(batch)
        if self._on_progress is not None:
            self._on_progress(report)


async def _discard(task: asyncio.Task[Any] | None) -> None:
    """Stop a task that is no longer wanted; its outcome (a result, an error already being
    reported by the caller, or the cancellation) is collected, never raised."""
    if task is None:
        return
    if not task.done():
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)


def _drain_nowait(queue: asyncio.Queue[DomainEvent]) -> list[DomainEvent]:
    events: list[DomainEvent] = []
    while not queue.empty():
        events.append(queue.get_nowait())
    return events
