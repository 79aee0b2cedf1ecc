"""In-process pipeline runs against real stores, with wrappers that inject store faults.

The wrappers delegate every call to a real store and add only the fault (a failing call, a
rejection, an append held until the test releases it): the stores themselves are never
replaced.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from interview_graph import bootstrap
from interview_graph.domain.events import DomainEvent
from interview_graph.domain.model import Analysis
from interview_graph.dualwrite.sqlite_outbox import SQLiteOutbox
from interview_graph.dualwrite.writer import DualWriter
from interview_graph.events.port import (
    AppendRequest,
    EventStore,
    EventStoreError,
    EventStoreUnavailableError,
)
from interview_graph.graph.port import GraphStore, GraphStoreError
from interview_graph.pipeline.events_hook import EventsHook, NoEvents
from interview_graph.pipeline.service import FileReport, PipelineService
from interview_graph.settings import Settings


class FlakyEventStore:
    """Fails every `every`-th append_batch call before touching the real store."""

    def __init__(self, inner: EventStore, every: int = 3) -> None:
        self.inner = inner
        self.every = every
        self.calls = 0
        self.failures = 0

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        self.calls += 1
        if self.calls % self.every == 0:
            self.failures += 1
            raise EventStoreUnavailableError(f"injected failure on call {self.calls}")
        return await self.inner.append_batch(requests)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class RejectingEventStore:
    """Rejects (as a store answering "no" would) every append holding a matching event."""

    def __init__(self, inner: EventStore, rejects: Callable[[AppendRequest], bool]) -> None:
        self.inner = inner
        self.rejects = rejects
        self.rejections = 0

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        bad = [r for r in requests if self.rejects(r)]
        if bad:
            self.rejections += 1
            raise EventStoreError(f"injected rejection of an event of stream {bad[0].stream}")
        return await self.inner.append_batch(requests)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class RecordingEventStore:
    """Delegates every call and keeps the event ids of each append_batch call, in order."""

    def __init__(self, inner: EventStore, calls: list[list[str]]) -> None:
        self.inner = inner
        self.calls = calls

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        self.calls.append([e.event_id for r in requests for e in r.events])
        return await self.inner.append_batch(requests)

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class HeldEventStore:
    """Holds every append until the test releases it, like a store that stopped answering.

    `entered` is set once an append is waiting, so a test can tell that the deliverer really
    tried to append while the store was held; `completed` counts appends that went through.
    """

    def __init__(self, inner: EventStore) -> None:
        self.inner = inner
        self.entered = asyncio.Event()
        self.completed = 0
        self._released = asyncio.Event()

    def release(self) -> None:
        self._released.set()

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        await self._hold()
        positions = await self.inner.append_batch(requests)
        self.completed += 1
        return positions

    async def append(self, stream: str, events: Sequence[DomainEvent], expected: Any = None) -> int:
        await self._hold()
        position = await self.inner.append(stream, events)
        self.completed += 1
        return position

    async def _hold(self) -> None:
        self.entered.set()
        await self._released.wait()

    async def close(self) -> None:
        await self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class FailingAnalysesGraph:
    """A real graph store whose n-th write_analyses call fails (a graph outage mid-file)."""

    def __init__(self, inner: GraphStore, fail_on_call: int) -> None:
        self.inner = inner
        self.fail_on_call = fail_on_call
        self.calls = 0
        self.backend = inner.backend

    async def __aenter__(self) -> Self:
        await self.inner.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.inner.__aexit__(exc_type, exc, tb)

    async def write_analyses(self, analyses: Sequence[Analysis]) -> None:
        self.calls += 1
        if self.calls == self.fail_on_call:
            raise GraphStoreError("injected graph outage while writing analyses")
        await self.inner.write_analyses(analyses)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def settings_for(data_dir: Path, **values: Any) -> Settings:
    return Settings(DATA_DIR=data_dir, NLP_PROCESSES=2, **values)


def make_writer(
    settings: Settings,
    wrap: Any = None,
    *,
    backoff_initial_s: float = 0.05,
    batch_size: int = 2000,
) -> DualWriter:
    async def open_store() -> EventStore:
        store = await bootstrap.open_event_store(settings)
        return wrap(store) if wrap is not None else store

    return DualWriter(
        SQLiteOutbox(settings.data_dir / "outbox.sqlite3"),
        open_store,
        settings.data_dir / "outbox.leases",
        store_label="test",
        batch_size=batch_size,
        backoff_initial_s=backoff_initial_s,
        backoff_max_s=1.0,
    )


async def run_pipeline(
    settings: Settings,
    paths: Sequence[Path],
    graph: GraphStore,
    writer: DualWriter | None,
    segmenter: Any,
) -> list[FileReport]:
    analyzer = bootstrap.build_analyzer(settings)

    def no_events(_interview: Any, _correlation: str) -> EventsHook:
        return NoEvents()

    hooks = writer.hook_for if writer is not None else no_events
    service = PipelineService(graph, analyzer, segmenter, hooks, max_file_bytes=50 * 2**20)
    return [await service.process_file(path, "faults") for path in paths]


async def read_all_events(settings: Settings) -> list[DomainEvent]:
    store = await bootstrap.open_event_store(settings)
    try:
        return await store.read_all()
    finally:
        await store.close()
