"""What the event log says, folded per interview: read once, in pages, with the same
`*_from_event` functions the projection uses (sentence events are grouped by
`data.interview_id`). Verify compares it with the graph; backfill finds what it lacks.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

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
from interview_graph.projection.differences import INVALID_IN_LOG, Difference

READ_PAGE = 5000
_SENTENCE_EVENTS = (EventType.SENTENCE_CREATED, EventType.ANALYSIS_GENERATED)


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
