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

When an interview (or a sentence) is missing on one side, its sentences (analyses) missing on
the same side are counted in that one difference instead of being listed one by one.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import gc
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from interview_graph.domain.events import (
    DomainEvent,
    EventType,
    InterviewStatusChangedData,
    analysis_from_event,
    interview_from_event,
    sentence_from_event,
)
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.events.port import EventStore
from interview_graph.graph.port import GraphStore, SentenceView
from interview_graph.graph.values import storable_float

MISSING_IN_LOG = "missing_in_log"
MISSING_IN_GRAPH = "missing_in_graph"
FIELD_DIFFERS = "field_differs"
INVALID_IN_LOG = "invalid_in_log"
NOT_FOUND = "not_found"

INTERVIEW_FIELDS: tuple[str, ...] = (
    "project_id", "project_name", "title", "source", "filename", "language", "content_sha256",
    "status", "date", "participants",
)  # fmt: skip
SENTENCE_FIELDS: tuple[str, ...] = (
    "interview_id", "sequence_order", "text", "speaker", "start_ms", "end_ms", "start_char",
    "end_char",
)  # fmt: skip
ANALYSIS_FIELDS: tuple[str, ...] = (
    "sentence_id", "interview_id", "sequence_order", "model", "model_version", "function_type",
    "structure_type", "purpose", "topics", "overall_keywords", "domain_keywords", "confidence",
)  # fmt: skip

READ_PAGE = 5000
GRAPH_READS_AT_ONCE = 3
_SENTENCE_EVENTS = (EventType.SENTENCE_CREATED, EventType.ANALYSIS_GENERATED)


# ---------------------------------------------------------------- the log, folded


@dataclass(slots=True)
class LogInterview:
    """What the event log says about one interview."""

    interview_id: str
    interview: Interview | None = None
    last_status_change: InterviewStatus | None = None
    sentences: dict[str, Sentence] = field(default_factory=dict)
    analyses: dict[str, Analysis] = field(default_factory=dict)

    @property
    def status(self) -> InterviewStatus | None:
        if self.last_status_change is not None:
            return self.last_status_change
        return None if self.interview is None else self.interview.status

    @property
    def current(self) -> Interview | None:
        """The interview with its current status, as the graph should hold it."""
        if self.interview is None or self.status is None:
            return self.interview
        return dataclasses.replace(self.interview, status=self.status)


@dataclass(slots=True)
class LogIndex:
    interviews: dict[str, LogInterview] = field(default_factory=dict)
    event_ids: set[str] = field(default_factory=set)
    invalid: list[Difference] = field(default_factory=list)
    events: int = 0

    def of(self, interview_id: str) -> LogInterview:
        found = self.interviews.get(interview_id)
        if found is None:
            found = self.interviews[interview_id] = LogInterview(interview_id)
        return found

    def add(self, event: DomainEvent) -> None:
        self.events += 1
        self.event_ids.add(event.event_id)
        if not event.is_known:
            return
        kind = event.event_type
        try:
            if kind == EventType.INTERVIEW_CREATED:
                self.of(event.aggregate_id).interview = interview_from_event(event)
            elif kind == EventType.INTERVIEW_STATUS_CHANGED:
                data = InterviewStatusChangedData.model_validate(event.data)
                self.of(event.aggregate_id).last_status_change = data.to_status
            elif kind == EventType.SENTENCE_CREATED:
                sentence = sentence_from_event(event)
                self.of(sentence.interview_id).sentences[sentence.sentence_id] = sentence
            elif kind == EventType.ANALYSIS_GENERATED:
                analysis = analysis_from_event(event)
                self.of(analysis.interview_id).analyses[analysis.analysis_id] = analysis
        except ValueError as exc:
            self.invalid.append(_invalid_event(event, exc))


def _invalid_event(event: DomainEvent, exc: ValueError) -> Difference:
    interview_id = event.aggregate_id
    if event.event_type in _SENTENCE_EVENTS:
        interview_id = str(event.data.get("interview_id", ""))
    return Difference(
        kind=INVALID_IN_LOG,
        entity=event.event_type,
        interview_id=interview_id,
        entity_id=event.event_id,
        detail=f"event {event.event_id} in stream {event.stream}: {exc}",
    )


def _event_interview_id(event: DomainEvent) -> str | None:
    if event.event_type in _SENTENCE_EVENTS:
        value = event.data.get("interview_id")
        return None if value is None else str(value)
    return event.aggregate_id


async def read_log(
    store: EventStore, interview_id: str | None = None, page_size: int = READ_PAGE
) -> LogIndex:
    """One pass over the whole log (an interview's sentence streams are not findable by name)."""
    index = LogIndex()
    position = 0
    while True:
        page = await store.read_all(position, limit=page_size)
        for event in page:
            if interview_id is None or _event_interview_id(event) == interview_id:
                index.add(event)
        if len(page) < page_size:
            return index
        last = page[-1].position
        assert last is not None, "events read back from a store carry their position"
        position = last


# ---------------------------------------------------------------- differences


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    entity: str
    interview_id: str
    entity_id: str
    field: str | None = None
    graph: Any = None
    log: Any = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "entity": self.entity,
            "interview_id": self.interview_id,
            "id": self.entity_id,
            "field": self.field,
            "graph": self.graph,
            "log": self.log,
            "detail": self.detail,
        }

    def describe(self) -> str:
        what = f"{self.entity} {self.entity_id}"
        if self.kind == FIELD_DIFFERS:
            text = f"{what}: {self.field} differs: graph {self.graph!r}, log {self.log!r}"
        elif self.kind == MISSING_IN_LOG:
            text = f"{what} is in the graph but not in the event log"
        elif self.kind == MISSING_IN_GRAPH:
            text = f"{what} is in the event log but not in the graph"
        elif self.kind == NOT_FOUND:
            text = "is neither in the graph nor in the event log; check the id"
        else:
            text = f"invalid event {self.entity_id} ({self.entity})"
        suffix = f" ({self.detail})" if self.detail else ""
        return f"interview {self.interview_id}: {text}{suffix}"


def plain(value: Any) -> Any:
    """A JSON-ready form of a domain field value, so reports print and serialise the same."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items())}
    return value


def _comparable(name: str, value: Any) -> Any:
    """The form a field is compared and reported in: plain values, and the confidence map as
    the graph stores it (15 significant digits), so a stored double equals its source."""
    if name == "confidence":
        value = {k: storable_float(v) for k, v in value.items()}
    return plain(value)


def _field_differences(
    entity: str, interview_id: str, entity_id: str, fields: Sequence[str], graph: Any, log: Any
) -> list[Difference]:
    """Values that are equal as they are are equal in comparable form too: only the fields
    that differ at first sight (rare) are converted and compared again."""
    found = []
    for name in fields:
        graph_value, log_value = getattr(graph, name), getattr(log, name)
        if graph_value == log_value:
            continue
        graph_value, log_value = _comparable(name, graph_value), _comparable(name, log_value)
        if graph_value != log_value:
            found.append(
                Difference(
                    FIELD_DIFFERS, entity, interview_id, entity_id, name, graph_value, log_value
                )
            )
    return found


@dataclass(slots=True)
class InterviewComparison:
    differences: list[Difference] = field(default_factory=list)
    sentences: int = 0
    analyses: int = 0


def compare_interview(
    interview_id: str,
    logged: LogInterview | None,
    graph_interview: Interview | None,
    views: Sequence[SentenceView],
) -> InterviewComparison:
    """Every difference between what the log says and what the graph holds for one interview."""
    logged = logged or LogInterview(interview_id)
    result = InterviewComparison()
    log_interview = logged.current
    graph_sentences = {v.sentence.sentence_id: v.sentence for v in views}
    graph_analyses = {a.analysis_id: a for v in views for a in v.analyses}
    log_analyses = logged.analyses
    result.sentences = len(graph_sentences.keys() | logged.sentences.keys())
    result.analyses = len(graph_analyses.keys() | log_analyses.keys())
    out = result.differences
    if log_interview is None and graph_interview is not None:
        out.append(_missing(MISSING_IN_LOG, interview_id, graph_sentences, graph_analyses))
    elif graph_interview is None and log_interview is not None:
        out.append(_missing(MISSING_IN_GRAPH, interview_id, logged.sentences, log_analyses))
    elif graph_interview is not None and log_interview is not None:
        out.extend(
            _field_differences(
                "Interview", interview_id, interview_id, INTERVIEW_FIELDS, graph_interview,
                log_interview,
            )
        )  # fmt: skip
    interview_missing_in = _side_missing(log_interview, graph_interview)
    out.extend(
        _compare_children(
            "Sentence", interview_id, graph_sentences, logged.sentences, SENTENCE_FIELDS,
            interview_missing_in,
        )
    )  # fmt: skip
    sentence_missing_in = {
        **{sid: MISSING_IN_LOG for sid in graph_sentences.keys() - logged.sentences.keys()},
        **{sid: MISSING_IN_GRAPH for sid in logged.sentences.keys() - graph_sentences.keys()},
    }
    out.extend(
        _compare_analyses(
            interview_id, graph_analyses, log_analyses, interview_missing_in, sentence_missing_in
        )
    )
    return result


def _side_missing(log_value: object | None, graph_value: object | None) -> str | None:
    if log_value is None and graph_value is not None:
        return MISSING_IN_LOG
    if graph_value is None and log_value is not None:
        return MISSING_IN_GRAPH
    return None


def _missing(
    kind: str,
    interview_id: str,
    sentences: Mapping[str, Sentence],
    analyses: Mapping[str, Analysis],
) -> Difference:
    return Difference(
        kind=kind,
        entity="Interview",
        interview_id=interview_id,
        entity_id=interview_id,
        detail=f"with {len(sentences)} sentence(s) and {len(analyses)} analysis(es) on that side",
    )


def _compare_children(
    entity: str,
    interview_id: str,
    graph_items: Mapping[str, Any],
    log_items: Mapping[str, Any],
    fields: Sequence[str],
    parent_missing_in: str | None,
) -> list[Difference]:
    found: list[Difference] = []
    for item_id in sorted(
        graph_items.keys() | log_items.keys(), key=_order_key(graph_items, log_items)
    ):
        graph_item, log_item = graph_items.get(item_id), log_items.get(item_id)
        if graph_item is not None and log_item is not None:
            found.extend(
                _field_differences(entity, interview_id, item_id, fields, graph_item, log_item)
            )
            continue
        missing_in = MISSING_IN_LOG if log_item is None else MISSING_IN_GRAPH
        if missing_in == parent_missing_in:
            continue  # counted in the parent's difference
        present = graph_item if graph_item is not None else log_item
        found.append(
            Difference(
                missing_in, entity, interview_id, item_id,
                detail=f"sequence_order {getattr(present, 'sequence_order', '?')}",
            )
        )  # fmt: skip
    return found


def _order_key(*sides: Mapping[str, Any]) -> Any:
    def key(item_id: str) -> tuple[int, str]:
        for side in sides:
            item = side.get(item_id)
            if item is not None:
                return (int(getattr(item, "sequence_order", 0)), item_id)
        return (0, item_id)

    return key


def _compare_analyses(
    interview_id: str,
    graph_analyses: Mapping[str, Analysis],
    log_analyses: Mapping[str, Analysis],
    interview_missing_in: str | None,
    sentence_missing_in: Mapping[str, str],
) -> list[Difference]:
    found: list[Difference] = []
    for analysis_id in sorted(
        graph_analyses.keys() | log_analyses.keys(), key=_order_key(graph_analyses, log_analyses)
    ):
        graph_item, log_item = graph_analyses.get(analysis_id), log_analyses.get(analysis_id)
        if graph_item is not None and log_item is not None:
            found.extend(
                _field_differences(
                    "Analysis", interview_id, analysis_id, ANALYSIS_FIELDS, graph_item, log_item
                )
            )
            continue
        present = graph_item if graph_item is not None else log_item
        assert present is not None
        missing_in = MISSING_IN_LOG if log_item is None else MISSING_IN_GRAPH
        if missing_in in (interview_missing_in, sentence_missing_in.get(present.sentence_id)):
            continue  # counted in the interview's or the sentence's difference
        found.append(
            Difference(
                missing_in, "Analysis", interview_id, analysis_id,
                detail=f"sentence {present.sentence_id}, sequence_order {present.sequence_order}, "
                f"model {present.model} {present.model_version}",
            )
        )  # fmt: skip
    return found


# ---------------------------------------------------------------- the whole check


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
    allocation burst set off collections that walked the ever larger set of live events and
    rows: a third of verify's time. Verify's own data is freed by reference counting; what
    little cyclic garbage the run leaves is collected when the collector is back on.
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
