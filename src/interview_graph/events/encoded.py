"""Events for the dual-write hot path, built straight into the stores' JSON form.

The pydantic builders in domain/events.py validate every field of every event; the pipeline
creates two events per sentence from values that are already validated domain objects, and
on two cores every microsecond spent here is taken from the parser. These functions produce
the same documents as `codec.encode(builder(...))` (the unit tests compare them field by
field for every event type) at a fraction of the cost: one dict and one orjson.dumps each.
"""

from __future__ import annotations

import functools
import math
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from interview_graph.domain.events import (
    SCHEMA_VERSION,
    Actor,
    AggregateType,
    EventType,
    event_id_for,
)
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.events.port import EncodedEvent


def _dumps(value: Any) -> str:
    """codec.to_json without its NaN walk: the only floats here are checked confidences."""
    return orjson.dumps(value).decode()


def iso(moment: datetime) -> str:
    """The JSON form pydantic gives an aware UTC datetime ('Z' suffix)."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


class EnvelopeContext:
    """What every event of one file run shares: actor, correlation, project, source.

    The shared part of the metadata document is encoded once; per event only the ids, the
    type and the time are filled in. Ids are UUID strings (validated when the context is
    made, and produced by domain/ids for events), so they need no JSON escaping.
    """

    def __init__(
        self, *, actor: Actor, correlation_id: str, project_id: str, source: str = "pipeline"
    ) -> None:
        self.correlation_id = _checked_uuid(correlation_id, "correlation_id")
        project = _checked_uuid(project_id, "project_id")
        self._shared = (
            f',"actor":{_dumps(actor.model_dump(mode="json"))}'
            f',"correlation_id":"{self.correlation_id}"'
        )
        self._tail = (
            f',"source":{_dumps(source)},"project_id":"{project}"'
            f',"$correlationId":"{self.correlation_id}"'
        )

    def encode(
        self,
        *,
        event_id: str,
        event_type: EventType,
        aggregate_type: AggregateType,
        aggregate_id: str,
        causation_id: str | None,
        occurred_at: str,
        data: dict[str, Any],
    ) -> EncodedEvent:
        if causation_id is None:
            causation, causation_tail = "null", ""
        else:
            causation, causation_tail = f'"{causation_id}"', f',"$causationId":"{causation_id}"'
        metadata = (
            f'{{"event_id":"{event_id}","event_type":"{event_type.value}"'
            f',"schema_version":{SCHEMA_VERSION},"aggregate_type":"{aggregate_type.value}"'
            f',"aggregate_id":"{aggregate_id}","occurred_at":"{occurred_at}"{self._shared}'
            f',"causation_id":{causation}{self._tail}{causation_tail}}}'
        )
        return EncodedEvent(
            event_id=event_id,
            event_type=event_type.value,
            correlation_id=self.correlation_id,
            metadata_json=metadata,
            data_json=_dumps(data),
        )

    def encode_batch(
        self,
        event_type: EventType,
        aggregate_type: AggregateType,
        occurred_at: str,
        items: Iterable[tuple[str, str, str, dict[str, Any]]],
    ) -> list[EncodedEvent]:
        """`encode` for many events of one type and time, each with a cause: items are
        (event_id, aggregate_id, causation_id, data). The text around the three ids is
        built once per batch, since this runs twice per sentence."""
        type_name = event_type.value
        correlation_id = self.correlation_id
        after_event_id = (
            f'","event_type":"{type_name}","schema_version":{SCHEMA_VERSION}'
            f',"aggregate_type":"{aggregate_type.value}","aggregate_id":"'
        )
        after_aggregate_id = f'","occurred_at":"{occurred_at}"{self._shared},"causation_id":"'
        after_causation_id = f'"{self._tail},"$causationId":"'
        return [
            EncodedEvent(
                event_id,
                type_name,
                correlation_id,
                f'{{"event_id":"{event_id}{after_event_id}{aggregate_id}{after_aggregate_id}'
                f'{causation_id}{after_causation_id}{causation_id}"}}',
                _dumps(data),
            )
            for event_id, aggregate_id, causation_id, data in items
        ]


def _checked_uuid(value: str, what: str) -> str:
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(f"{what} must be a UUID string, got {value!r}") from None


def interview_created(ctx: EnvelopeContext, interview: Interview, occurred_at: str) -> EncodedEvent:
    data = {
        "project_id": interview.project_id,
        "title": interview.title,
        "source": interview.source,
        "filename": interview.filename,
        "language": interview.language,
        "content_sha256": interview.content_sha256,
        "status": interview.status.value,
        "project_name": interview.project_name,
        "created_at": iso(interview.created_at),
        "date": interview.date,
        "participants": list(interview.participants),
    }
    return ctx.encode(
        event_id=event_id_for(interview.interview_id, EventType.INTERVIEW_CREATED),
        event_type=EventType.INTERVIEW_CREATED,
        aggregate_type=AggregateType.INTERVIEW,
        aggregate_id=interview.interview_id,
        causation_id=None,
        occurred_at=occurred_at,
        data=data,
    )


def interview_status_changed(
    ctx: EnvelopeContext,
    interview_id: str,
    from_status: InterviewStatus | None,
    to_status: InterviewStatus,
    reason: str | None,
    *,
    causation_id: str | None,
    occurred_at: str,
) -> EncodedEvent:
    event_id = event_id_for(
        interview_id, EventType.INTERVIEW_STATUS_CHANGED, str(from_status or ""), str(to_status)
    )
    data = {
        "from_status": None if from_status is None else from_status.value,
        "to_status": to_status.value,
        "reason": reason,
    }
    return ctx.encode(
        event_id=event_id,
        event_type=EventType.INTERVIEW_STATUS_CHANGED,
        aggregate_type=AggregateType.INTERVIEW,
        aggregate_id=interview_id,
        causation_id=causation_id,
        occurred_at=occurred_at,
        data=data,
    )


def sentences_created(
    ctx: EnvelopeContext, sentences: Sequence[Sentence], *, causation_id: str, occurred_at: str
) -> list[EncodedEvent]:
    items = (
        (
            sentence_created_event_id(s.sentence_id),
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
        )
        for s in sentences
    )
    return ctx.encode_batch(EventType.SENTENCE_CREATED, AggregateType.SENTENCE, occurred_at, items)


def analyses_generated(
    ctx: EnvelopeContext, analyses: Sequence[Analysis], *, occurred_at: str
) -> list[EncodedEvent]:
    """Each analysis is caused by its sentence's SentenceCreated event."""
    analysis_generated = EventType.ANALYSIS_GENERATED.value
    items = (
        (
            event_id_for(a.sentence_id, analysis_generated, a.model, a.model_version),
            a.sentence_id,
            sentence_created_event_id(a.sentence_id),
            _analysis_data(a),
        )
        for a in analyses
    )
    return ctx.encode_batch(
        EventType.ANALYSIS_GENERATED, AggregateType.SENTENCE, occurred_at, items
    )


def _analysis_data(a: Analysis) -> dict[str, Any]:
    return {
        "interview_id": a.interview_id,
        "sentence_index": a.sequence_order,
        "model": a.model,
        "model_version": a.model_version,
        "classification": {
            "function_type": a.function_type,
            "structure_type": a.structure_type,
            "purpose": a.purpose,
        },
        "topics": [{"name": t.name, "level": t.level} for t in a.topics],
        "keywords": list(a.overall_keywords),
        "domain_keywords": list(a.domain_keywords),
        "confidence": _finite(a.confidence),
        "analysis_id": a.analysis_id,
        "created_at": None if a.created_at is None else iso(a.created_at),
    }


def _finite(confidence: dict[str, float]) -> dict[str, float]:
    if not all(map(math.isfinite, confidence.values())):
        raise ValueError(f"analysis confidence must be finite numbers, got {confidence}")
    return dict(confidence)


@functools.lru_cache(maxsize=8192)
def sentence_created_event_id(sentence_id: str) -> str:
    """Asked twice per sentence (its own event, then as its analysis's cause)."""
    return event_id_for(sentence_id, EventType.SENTENCE_CREATED)
