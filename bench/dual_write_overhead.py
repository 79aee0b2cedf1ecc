"""Benchmark (dual-write issue): wall time of the whole pipeline on a generated transcript
with events off, events on (outbox + background delivery, per store, including the wait for
delivery at the end), and the plan's literal approach: awaiting one append per event inline
after each graph write. Graph: embedded FalkorDB. Run: `./run shell bench/dual_write_overhead.py`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine, postgres_url, table, write_transcript

from interview_graph import bootstrap
from interview_graph.domain import event_drafts as domain_events
from interview_graph.domain.events import DomainEvent, EventType, event_id_for
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.dualwrite.writer import DualWriter
from interview_graph.events.port import EventStore
from interview_graph.pipeline.events_hook import EventsHook, NoEvents, StagedWrite
from interview_graph.pipeline.service import PipelineService
from interview_graph.settings import Settings


class _AppendAfterCommit:
    def __init__(self, store: EventStore, events: Sequence[DomainEvent]) -> None:
        self._store = store
        self._events = events

    async def commit(self) -> None:
        for event in self._events:  # the plan: `await client.append_events(stream, [event])`
            await self._store.append(event.stream, [event])

    async def discard(self, reason: str) -> None:
        return None


class InlineAppendHook:
    """The plan's Phase 3 emitter: build each event, await its append inline."""

    def __init__(self, store: EventStore, interview: Interview, correlation_id: str) -> None:
        self._store = store
        self._interview = interview
        self._correlation_id = correlation_id
        self._root = event_id_for(interview.interview_id, EventType.INTERVIEW_CREATED)

    async def interview_started(self, interview: Interview) -> StagedWrite:
        event = domain_events.interview_created(interview, correlation_id=self._correlation_id)
        return _AppendAfterCommit(self._store, [event])

    async def sentences_written(self, sentences: Sequence[Sentence]) -> StagedWrite:
        pid = self._interview.project_id
        events = [
            domain_events.sentence_created(
                s, project_id=pid, correlation_id=self._correlation_id, causation_id=self._root
            )
            for s in sentences
        ]
        return _AppendAfterCommit(self._store, events)

    async def analyses_written(self, analyses: Sequence[Analysis]) -> StagedWrite:
        pid = self._interview.project_id
        events = [
            domain_events.analysis_generated(
                a,
                project_id=pid,
                correlation_id=self._correlation_id,
                causation_id=event_id_for(a.sentence_id, EventType.SENTENCE_CREATED),
            )
            for a in analyses
        ]
        return _AppendAfterCommit(self._store, events)

    async def status_changed(
        self, from_status: InterviewStatus, to_status: InterviewStatus, reason: str
    ) -> StagedWrite:
        event = domain_events.interview_status_changed(
            self._interview.interview_id,
            self._interview.project_id,
            from_status,
            to_status,
            reason,
            correlation_id=self._correlation_id,
            causation_id=self._root,
        )
        return _AppendAfterCommit(self._store, [event])


async def run_once(
    settings: Settings, path: Path, segmenter: Any, mode: str
) -> tuple[float, int, int]:
    """(seconds until the file is processed and every event is in the store, sentences, events)."""
    async with bootstrap.open_graph_store(settings) as graph:
        writer: DualWriter | None = None
        store: EventStore | None = None
        hooks: Callable[[Interview, str], EventsHook]
        if mode == "off":
            hooks = lambda _i, _c: NoEvents()  # noqa: E731
        elif mode == "inline":
            store = await bootstrap.open_event_store(settings)
            inline_store = store
            hooks = lambda i, c: InlineAppendHook(inline_store, i, c)  # noqa: E731
        else:
            writer = bootstrap.build_dual_writer(settings)
            await writer.start(graph)
            hooks = writer.hook_for
        analyzer = bootstrap.build_analyzer(settings)
        service = PipelineService(graph, analyzer, segmenter, hooks, max_file_bytes=2**30)
        started = time.perf_counter()
        report = await service.process_file(path, "bench")
        events = 0
        if writer is not None:
            summary = await writer.finish(300)
            events = int(summary["emitted"])
            assert summary["pending"] == 0, summary
        elapsed = time.perf_counter() - started
        if writer is not None:
            await writer.close()
        if store is not None:
            events = len(await store.read_all())
            await store.close()
    assert report.ok, report.error
    return elapsed, report.sentences, events


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5, help="rounds over every mode")
    args = parser.parse_args()
    rows: list[tuple[str, ...]] = []
    with tempfile.TemporaryDirectory(prefix="ig-bench-dw-") as tmp, postgres_url() as pg:
        tmp_dir = Path(tmp)
        path = write_transcript(tmp_dir, args.sentences)
        segmenter = bootstrap.build_segmenter(Settings(DATA_DIR=tmp_dir / "warm"))
        runs = [
            ("events off", "off", None),
            ("events on -> SQLite (outbox, background delivery)", "on", None),
            ("events on -> PostgreSQL (outbox, background delivery)", "on", pg),
            ("plan's literal approach: await one append per event -> SQLite", "inline", None),
        ]
        try:
            await run_once(Settings(DATA_DIR=tmp_dir / "warmup"), path, segmenter, "off")
            seconds_by_run: list[list[float]] = [[] for _ in runs]
            counts = [(0, 0)] * len(runs)
            for attempt in range(args.repeat):  # rounds over every mode: load bursts hit all
                for index, (_label, mode, url) in enumerate(runs):
                    values: dict[str, Any] = {"DATA_DIR": tmp_dir / f"run-{index}-{attempt}"}
                    if url:
                        values["EVENT_STORE_URL"] = url
                        await _reset_postgres(url)
                    seconds, sentences, events = await run_once(
                        Settings(**values), path, segmenter, mode
                    )
                    seconds_by_run[index].append(seconds)
                    counts[index] = (sentences, events)
            baselines = seconds_by_run[0]
            for (label, _mode, _url), timings, (sentences, events) in zip(
                runs, seconds_by_run, counts, strict=True
            ):
                # Each run against the events-off run of its own round: the machine's speed
                # drifts between rounds by more than the overhead measured.
                ratios = [t / off for t, off in zip(timings, baselines, strict=True)]
                overhead = f"{100 * (statistics.median(ratios) - 1):+.1f}%"
                rows.append((label, str(sentences), str(events), f"{min(timings):.2f}", overhead))
        finally:
            segmenter.close()
    print(f"machine: {machine()}")
    header = ("run", "sentences", "events", "seconds (best)", "vs events off (median)")
    print(table(rows, header))
    for (label, *_), timings in zip(runs, seconds_by_run, strict=True):
        print(f"rounds, {label}: " + ", ".join(f"{t:.2f}" for t in timings))


async def _reset_postgres(url: str) -> None:
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        await conn.execute("CREATE SCHEMA public")


if __name__ == "__main__":
    asyncio.run(main())
