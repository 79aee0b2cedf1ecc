"""Each event type defined once, and the one envelope builder.

A draft function (`*_draft`) gives an event's id, its aggregate and its data in JSON form.
`build_event` puts a draft in its envelope (actor, correlation, project, source, time) as a
validated DomainEvent. The pydantic builders (`interview_created`, ...) are draft +
`build_event`; the dual-write's encoder (events/run_encoder.py) renders the same drafts
through templates cut from `build_event`'s own output, so both paths write the same documents
by construction.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, NamedTuple

from pydantic import TypeAdapter

from interview_graph.domain.events import (
    Actor,
    AggregateType,
    DomainEvent,
    EventType,
    event_id_for,
    stream_name,
    utc_moment,
)
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence

_DATETIME = TypeAdapter(datetime)


def json_datetime(moment: datetime) -> str:
    """A datetime as pydantic's JSON mode writes it, so data built here and envelopes dumped
    by pydantic render time the same way."""
    text: str = _DATETIME.dump_python(moment, mode="json")
    return text


def json_occurred_at(moment: datetime) -> str:
    """occurred_at as a DomainEvent's JSON form holds it (validated, then dumped)."""
    return json_datetime(utc_moment(moment))


def _finite(confidence: dict[str, float]) -> dict[str, float]:
    """Confidences as floats (as the typed model holds them). Event data is JSON, where NaN
    and infinity have no form, so they are refused."""
    for value in confidence.values():
        if type(value) is not float or not math.isfinite(value):
            return _as_finite_floats(confidence)
    return dict(confidence)


def _as_finite_floats(confidence: dict[str, float]) -> dict[str, float]:
    values = {key: float(value) for key, value in confidence.items()}
    if not all(map(math.isfinite, values.values())):
        raise ValueError(f"analysis confidence must be finite numbers, got {confidence}")
    return values


# ---------------------------------------------------------------- drafts: each event defined once


class EventDraft(NamedTuple):
    """One event without its run's envelope: which fact, on which aggregate, caused by what.

    `data` is already in JSON form (strings, numbers, lists, dicts; no NaN), in its typed
    model's field order, so rendering it needs no conversion.
    """

    event_id: str
    event_type: EventType
    aggregate_type: AggregateType
    aggregate_id: str
    causation_id: str | None
    data: dict[str, Any]

    @property
    def stream(self) -> str:
        return stream_name(self.aggregate_type, self.aggregate_id)


def interview_created_id(interview_id: str) -> str:
    return event_id_for(interview_id, EventType.INTERVIEW_CREATED)


@functools.lru_cache(maxsize=8192)
def sentence_created_id(sentence_id: str) -> str:
    """Cached: asked twice per sentence (its own event, then as its analysis's cause)."""
    return event_id_for(sentence_id, EventType.SENTENCE_CREATED)


def analysis_generated_id(sentence_id: str, model: str, model_version: str) -> str:
    return event_id_for(sentence_id, EventType.ANALYSIS_GENERATED, model, model_version)


def interview_status_changed_id(
    interview_id: str, from_status: InterviewStatus | None, to_status: InterviewStatus
) -> str:
    return event_id_for(
        interview_id, EventType.INTERVIEW_STATUS_CHANGED, str(from_status or ""), str(to_status)
    )


def interview_created_draft(interview: Interview, causation_id: str | None = None) -> EventDraft:
    data = {
        "project_id": interview.project_id,
        "title": interview.title,
        "source": interview.source,
        "filename": interview.filename,
        "language": interview.language,
        "content_sha256": interview.content_sha256,
        "status": InterviewStatus(interview.status).value,
        "project_name": interview.project_name,
        "created_at": json_datetime(interview.created_at),
        "date": interview.date,
        "participants": list(interview.participants),
    }
    return EventDraft(
        interview_created_id(interview.interview_id),
        EventType.INTERVIEW_CREATED,
        AggregateType.INTERVIEW,
        interview.interview_id,
        causation_id,
        data,
    )


def interview_status_changed_draft(
    interview_id: str,
    from_status: InterviewStatus | None,
    to_status: InterviewStatus,
    reason: str | None,
    causation_id: str | None = None,
) -> EventDraft:
    data = {
        "from_status": None if from_status is None else InterviewStatus(from_status).value,
        "to_status": InterviewStatus(to_status).value,
        "reason": reason,
    }
    return EventDraft(
        interview_status_changed_id(interview_id, from_status, to_status),
        EventType.INTERVIEW_STATUS_CHANGED,
        AggregateType.INTERVIEW,
        interview_id,
        causation_id,
        data,
    )


# EventDraft's own __new__ is a Python function; the pipeline makes two drafts per sentence,
# so the batch builders below make them with tuple's, which fills in the same fields.
_new_draft = tuple.__new__


def sentence_created_drafts(
    sentences: Sequence[Sentence], causation_id: str | None
) -> list[EventDraft]:
    """A SentenceCreated per sentence, all caused by `causation_id` (their InterviewCreated)."""
    event_type, aggregate_type = EventType.SENTENCE_CREATED, AggregateType.SENTENCE
    return [
        _new_draft(
            EventDraft,
            (
                sentence_created_id(s.sentence_id),
                event_type,
                aggregate_type,
                s.sentence_id,
                causation_id,
                {
                    "interview_id": s.interview_id,
                    "index": s.sequence_order,
                    "text": s.text,
                    "speaker": s.speaker,
                    "start_ms": s.start_ms,
                    "end_ms": s.end_ms,
                    "start_char": s.start_char,
                    "end_char": s.end_char,
                },
            ),
        )
        for s in sentences
    ]


def sentence_created_draft(sentence: Sentence, causation_id: str | None = None) -> EventDraft:
    (draft,) = sentence_created_drafts((sentence,), causation_id)
    return draft


def analysis_generated_drafts(analyses: Sequence[Analysis]) -> list[EventDraft]:
    """An AnalysisGenerated per analysis, each caused by its sentence's SentenceCreated."""
    event_type, aggregate_type = EventType.ANALYSIS_GENERATED, AggregateType.SENTENCE
    return [
        _new_draft(
            EventDraft,
            (
                analysis_generated_id(a.sentence_id, a.model, a.model_version),
                event_type,
                aggregate_type,
                a.sentence_id,
                sentence_created_id(a.sentence_id),
                _analysis_data(a),
            ),
        )
        for a in analyses
    ]


def analysis_generated_draft(analysis: Analysis, causation_id: str | None = None) -> EventDraft:
    (draft,) = analysis_generated_drafts((analysis,))
    return draft._replace(causation_id=causation_id)


def _analysis_data(analysis: Analysis) -> dict[str, Any]:
    return {
        "interview_id": analysis.interview_id,
        "sentence_index": analysis.sequence_order,
        "model": analysis.model,
        "model_version": analysis.model_version,
        "classification": {
            "function_type": analysis.function_type,
            "structure_type": analysis.structure_type,
            "purpose": analysis.purpose,
        },
        "topics": [{"name": t.name, "level": t.level} for t in analysis.topics],
        "keywords": list(analysis.overall_keywords),
        "domain_keywords": list(analysis.domain_keywords),
        "confidence": _finite(analysis.confidence),
        "analysis_id": analysis.analysis_id,
        "created_at": None if analysis.created_at is None else json_datetime(analysis.created_at),
    }


# ---------------------------------------------------------------- the envelope builder


def build_event(
    draft: EventDraft,
    *,
    project_id: str | None,
    correlation_id: str,
    actor: Actor | None = None,
    source: str = "pipeline",
    occurred_at: datetime | None = None,
) -> DomainEvent:
    """The one place an envelope is put around an event's data (validated by DomainEvent)."""
    return DomainEvent(
        event_id=draft.event_id,
        event_type=draft.event_type.value,
        aggregate_type=draft.aggregate_type,
        aggregate_id=draft.aggregate_id,
        occurred_at=occurred_at or datetime.now(UTC),
        actor=actor or Actor.pipeline(),
        correlation_id=correlation_id,
        causation_id=draft.causation_id,
        source=source,
        project_id=project_id,
        data=draft.data,
    )


def interview_created(
    interview: Interview,
    *,
    correlation_id: str,
    actor: Actor | None = None,
    causation_id: str | None = None,
    source: str = "pipeline",
    occurred_at: datetime | None = None,
) -> DomainEvent:
    return build_event(
        interview_created_draft(interview, causation_id),
        project_id=interview.project_id,
        correlation_id=correlation_id,
        actor=actor,
        source=source,
        occurred_at=occurred_at,
    )


def interview_status_changed(
    interview_id: str,
    project_id: str,
    from_status: InterviewStatus | None,
    to_status: InterviewStatus,
    reason: str | None = None,
    *,
    correlation_id: str,
    actor: Actor | None = None,
    causation_id: str | None = None,
    source: str = "pipeline",
    occurred_at: datetime | None = None,
) -> DomainEvent:
    return build_event(
        interview_status_changed_draft(interview_id, from_status, to_status, reason, causation_id),
        project_id=project_id,
        correlation_id=correlation_id,
        actor=actor,
        source=source,
        occurred_at=occurred_at,
    )


def sentence_created(
    sentence: Sentence,
    *,
    project_id: str,
    correlation_id: str,
    actor: Actor | None = None,
    causation_id: str | None = None,
    source: str = "pipeline",
    occurred_at: datetime | None = None,
) -> DomainEvent:
    return build_event(
        sentence_created_draft(sentence, causation_id),
        project_id=project_id,
        correlation_id=correlation_id,
        actor=actor,
        source=source,
        occurred_at=occurred_at,
    )


def analysis_generated(
    analysis: Analysis,
    *,
    project_id: str,
    correlation_id: str,
    actor: Actor | None = None,
    causation_id: str | None = None,
    source: str = "pipeline",
    occurred_at: datetime | None = None,
) -> DomainEvent:
    return build_event(
        analysis_generated_draft(analysis, causation_id),
        project_id=project_id,
        correlation_id=correlation_id,
        actor=actor,
        source=source,
        occurred_at=occurred_at,
    )
