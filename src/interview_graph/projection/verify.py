"""Prove the graph and the event log agree, interview by interview, field by field.

The log is read once, in pages, and folded per interview with the same `*_from_event`
functions the projection uses (sentence events are grouped by `data.interview_id`); the graph
is read with `get_interview` and `get_sentences` per interview. Every difference is reported
on its own: missing in the log, missing in the graph, or a field whose values differ (both
values given).

What is compared: every field of Interview (status: the last InterviewStatusChanged wins,
else InterviewCreated's), Sentence (ids, order, text, speaker, start/end ms, character span)
and Analysis (ids, model and version, function, structure, purpose, topics with levels,
keywords, domain keywords, the confidence map as the graph stores it: 15 significant digits).

What is not: `created_at` of interviews and analyses. They record when a fact was first
written, not the fact; `export` leaves them out for the same reason, and a graph written
before event sourcing was switched on legitimately holds an earlier time than the events of a
later run. The projection still copies them from the events.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from interview_graph.domain.model import Interview
from interview_graph.events.port import EventStore
from interview_graph.graph.port import GraphStore, SentenceView
from interview_graph.projection.compare import compare_interview
from interview_graph.projection.differences import NOT_FOUND, Difference
from interview_graph.projection.event_log import read_log

GRAPH_READS_AT_ONCE = 3


@dataclass(slots=True)
class VerifyReport:
    interviews: int = 0
    sentences: int = 0
    analyses: int = 0
    events: int = 0
    seconds: float = 0.0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences

    @property
    def sentences_per_second(self) -> float:
        return round(self.sentences / self.seconds, 1) if self.seconds > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "interviews": self.interviews,
            "sentences": self.sentences,
            "analyses": self.analyses,
            "events": self.events,
            "seconds": round(self.seconds, 3),
            "sentences_per_second": self.sentences_per_second,
            "differences": [d.as_dict() for d in self.differences],
        }


async def graph_interview_ids(graph: GraphStore, interview_id: str | None) -> set[str]:
    if interview_id is not None:
        return {interview_id} if await graph.get_interview(interview_id) is not None else set()
    return {summary.interview_id for summary in await graph.list_interviews()}


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while verify holds the whole log in memory.

    Reading a graph back allocates a container per value (hundreds of thousands), and each
    allocation burst would set off a collection walking the ever larger set of live events
    and rows, again and again. Verify's own data is freed by reference counting; what little
    cyclic garbage the run leaves is collected when the collector is back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


async def verify(
    store: EventStore, graph: GraphStore, interview_id: str | None = None
) -> VerifyReport:
    """Compare the whole graph (or one interview) with the event log.

    The log is read while the graph is: the event store's I/O and the graph server's work
    overlap instead of taking turns.
    """
    started = time.perf_counter()
    with collector_paused():
        report = await _verify(store, graph, interview_id)
    report.seconds = time.perf_counter() - started
    return report


async def _verify(store: EventStore, graph: GraphStore, interview_id: str | None) -> VerifyReport:
    reading_log = asyncio.create_task(read_log(store, interview_id))
    try:
        graph_side = await _read_graph(graph, interview_id)
        index = await reading_log
    finally:
        if not reading_log.done():
            reading_log.cancel()
    report = VerifyReport(events=index.events, differences=list(index.invalid))
    only_in_log = set(index.interviews) - set(graph_side) if interview_id is None else set()
    for current in only_in_log:
        graph_side[current] = (None, await graph.get_sentences(current))
    unknown = graph_side.get(interview_id or "") == (None, [])
    if interview_id is not None and unknown and interview_id not in index.interviews:
        report.differences.append(Difference(NOT_FOUND, "Interview", interview_id, interview_id))
    for current in sorted(graph_side):
        graph_interview, views = graph_side[current]
        comparison = compare_interview(
            current, index.interviews.get(current), graph_interview, views
        )
        report.interviews += 1
        report.sentences += comparison.sentences
        report.analyses += comparison.analyses
        report.differences.extend(comparison.differences)
    return report


async def _read_graph(
    graph: GraphStore, interview_id: str | None
) -> dict[str, tuple[Interview | None, list[SentenceView]]]:
    """Each interview of the graph (or the one asked for, present or not) with its sentences.

    A few interviews are read at a time: while this process parses one reply, the server
    works on the next query (on another core) instead of waiting for it.
    """
    wanted = {interview_id} if interview_id is not None else await graph_interview_ids(graph, None)
    found: dict[str, tuple[Interview | None, list[SentenceView]]] = {}
    slots = asyncio.Semaphore(GRAPH_READS_AT_ONCE)

    async def read(current: str) -> None:
        async with slots:
            found[current] = (
                await graph.get_interview(current),
                await graph.get_sentences(current),
            )

    reads = [asyncio.create_task(read(current)) for current in sorted(wanted)]
    try:
        await asyncio.gather(*reads)  # the first error as it is (GraphStoreError), no group
    finally:
        for task in reads:
            task.cancel()
        await asyncio.gather(*reads, return_exceptions=True)
    return found


def count_by_kind(differences: Iterable[Difference]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for difference in differences:
        counts[difference.kind] = counts.get(difference.kind, 0) + 1
    return counts
