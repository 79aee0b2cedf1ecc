"""Domain events: the immutable facts the event log records about interviews and sentences.

An event is an envelope (who, when, why, which aggregate) around typed data. Event ids are
uuid5 values over the aggregate id, the event type and whatever makes the fact unique, so
re-emitting the same fact (a re-run, a retried outbox delivery) yields the same event id and
the store can drop it as a duplicate instead of recording the fact twice.

How each event is built from domain values is in `event_drafts`. The `*_from_event`
functions turn events back into domain values, exactly, so the graph can later be rebuilt
from the log alone.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from interview_graph.domain.ids import (
    PRODUCT_NAMESPACE,
    analysis_id_for,
    sentence_id_for,
    uuid5_str,
)
from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)

SCHEMA_VERSION: Final = 1
_DataT = TypeVar("_DataT", bound=BaseModel)


class ActorType(StrEnum):
    SYSTEM = "system"
    HUMAN = "human"
    AI = "ai"


class AggregateType(StrEnum):
    INTERVIEW = "Interview"
    SENTENCE = "Sentence"


class EventType(StrEnum):
    INTERVIEW_CREATED = "InterviewCreated"
    INTERVIEW_STATUS_CHANGED = "InterviewStatusChanged"
    SENTENCE_CREATED = "SentenceCreated"
    ANALYSIS_GENERATED = "AnalysisGenerated"


def _require_uuid(value: str, what: str) -> str:
    """Canonical lowercase form, so the same id always compares and hashes the same."""
    try:
        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise ValueError(f"{what} must be a UUID string, got {value!r}") from None


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Actor(_Frozen):
    """Who caused the fact: the pipeline (system), a person, or a model acting on its own."""

    actor_type: ActorType
    user_id: str | None = None
    display: str | None = None

    @classmethod
    def pipeline(cls) -> Actor:
        return cls(actor_type=ActorType.SYSTEM, user_id="pipeline")


# ---------------------------------------------------------------- typed event data


class InterviewCreatedData(_Frozen):
    project_id: str
    title: str
    source: str
    filename: str
    language: str
    content_sha256: str
    status: InterviewStatus
    # Beyond the minimal payload: needed to rebuild the Interview exactly.
    project_name: str | None = None
    created_at: datetime | None = None
    date: str | None = None
    participants: tuple[str, ...] = ()


class InterviewStatusChangedData(_Frozen):
    from_status: InterviewStatus | None
    to_status: InterviewStatus
    reason: str | None = None


class SentenceCreatedData(_Frozen):
    interview_id: str
    index: int = Field(ge=0)
    text: str
    speaker: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    # Character span in the decoded source; needed to rebuild the Sentence exactly.
    start_char: int | None = None
    end_char: int | None = None


class Classification(_Frozen):
    function_type: str
    structure_type: str
    purpose: str


class TopicData(_Frozen):
    name: str
    level: int


class AnalysisGeneratedData(_Frozen):
    interview_id: str
    sentence_index: int = Field(ge=0)
    model: str
    model_version: str
    classification: Classification
    topics: tuple[TopicData, ...] = ()
    keywords: tuple[str, ...] = ()
    domain_keywords: tuple[str, ...] = ()
    confidence: dict[str, float] = Field(default_factory=dict)
    analysis_id: str | None = None
    created_at: datetime | None = None


EventData = (
    InterviewCreatedData | InterviewStatusChangedData | SentenceCreatedData | AnalysisGeneratedData
)

DATA_MODELS: Final[dict[str, type[EventData]]] = {
    EventType.INTERVIEW_CREATED: InterviewCreatedData,
    EventType.INTERVIEW_STATUS_CHANGED: InterviewStatusChangedData,
    EventType.SENTENCE_CREATED: SentenceCreatedData,
    EventType.ANALYSIS_GENERATED: AnalysisGeneratedData,
}


# ---------------------------------------------------------------- the envelope


class DomainEvent(_Frozen):
    """One recorded fact. `version` and `position` are set by the store when it is read back.

    Unknown event types (written by a newer release or another tool) are kept as they are,
    with their data as a plain dict; `typed_data()` returns None for them.
    """

    event_id: str
    event_type: str = Field(min_length=1)
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    aggregate_type: AggregateType
    aggregate_id: str
    version: int | None = Field(default=None, ge=0)
    occurred_at: datetime
    actor: Actor
    correlation_id: str
    causation_id: str | None = None
    source: str = "pipeline"
    project_id: str | None = None
    data: dict[str, Any]
    position: int | None = Field(default=None, ge=0)

    @field_validator("event_id", "aggregate_id", "correlation_id")
    @classmethod
    def _uuid(cls, value: str, info: Any) -> str:
        return _require_uuid(value, info.field_name)

    @field_validator("causation_id", "project_id")
    @classmethod
    def _optional_uuid(cls, value: str | None, info: Any) -> str | None:
        return None if value is None else _require_uuid(value, info.field_name)

    @field_validator("occurred_at")
    @classmethod
    def _aware_utc(cls, value: datetime) -> datetime:
        return utc_moment(value)

    @model_validator(mode="after")
    def _known_data_is_valid(self) -> DomainEvent:
        model = DATA_MODELS.get(self.event_type)
        if model is not None and self.schema_version == SCHEMA_VERSION:
            try:
                model.model_validate(self.data)
            except ValidationError as exc:
                raise ValueError(
                    f"data of {self.event_type} event {self.event_id} is invalid: {exc}"
                ) from None
        return self

    @property
    def stream(self) -> str:
        return stream_name(self.aggregate_type, self.aggregate_id)

    @property
    def is_known(self) -> bool:
        return self.event_type in DATA_MODELS and self.schema_version == SCHEMA_VERSION

    def typed_data(self) -> EventData | None:
        """The data as its typed model, or None for event types this release does not know."""
        model = DATA_MODELS.get(self.event_type)
        if model is None or self.schema_version != SCHEMA_VERSION:
            return None
        return model.model_validate(self.data)


# ---------------------------------------------------------------- streams and ids


def stream_name(aggregate_type: AggregateType | str, aggregate_id: str) -> str:
    kind = (
        aggregate_type if type(aggregate_type) is AggregateType else AggregateType(aggregate_type)
    )
    return f"{kind.value}-{aggregate_id}"


def interview_stream(interview_id: str) -> str:
    return stream_name(AggregateType.INTERVIEW, interview_id)


def sentence_stream(sentence_id: str) -> str:
    return stream_name(AggregateType.SENTENCE, sentence_id)


def event_id_for(aggregate_id: str, event_type: str, *unique_parts: str) -> str:
    """Same aggregate, type and distinguishing parts -> same id, on any machine, any run."""
    key = ":".join(("event", aggregate_id, event_type, *unique_parts))
    return uuid5_str(PRODUCT_NAMESPACE, key)


# ---------------------------------------------------------------- time


def utc_moment(value: datetime) -> datetime:
    """An event's occurred_at: timezone-aware, kept in UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"occurred_at must be timezone-aware (e.g. datetime.now(UTC)), got naive {value}"
        )
    return value.astimezone(UTC)


# ---------------------------------------------------------------- events back to domain values


def _data_as(event: DomainEvent, model: type[_DataT], event_type: EventType) -> _DataT:
    if event.event_type != event_type:
        raise ValueError(f"event {event.event_id} is {event.event_type}, expected {event_type}")
    return model.model_validate(event.data)


def interview_from_event(event: DomainEvent) -> Interview:
    data = _data_as(event, InterviewCreatedData, EventType.INTERVIEW_CREATED)
    return Interview(
        interview_id=event.aggregate_id,
        project_id=data.project_id,
        project_name=data.project_name or "",
        title=data.title,
        source=data.source,
        filename=data.filename,
        language=data.language,
        content_sha256=data.content_sha256,
        status=data.status,
        created_at=data.created_at or event.occurred_at,
        date=data.date,
        participants=data.participants,
    )


def sentence_from_event(event: DomainEvent) -> Sentence:
    """Events written without a character span get (0, len(text)): the span is then unknown."""
    data = _data_as(event, SentenceCreatedData, EventType.SENTENCE_CREATED)
    return Sentence(
        sentence_id=event.aggregate_id,
        interview_id=data.interview_id,
        sequence_order=data.index,
        text=data.text,
        speaker=data.speaker,
        start_ms=data.start_ms,
        end_ms=data.end_ms,
        start_char=data.start_char if data.start_char is not None else 0,
        end_char=data.end_char if data.end_char is not None else len(data.text),
    )


def analysis_from_event(event: DomainEvent) -> Analysis:
    data = _data_as(event, AnalysisGeneratedData, EventType.ANALYSIS_GENERATED)
    sentence_id = event.aggregate_id
    expected_sentence_id = sentence_id_for(data.interview_id, data.sentence_index)
    if sentence_id != expected_sentence_id:
        raise ValueError(
            f"AnalysisGenerated {event.event_id} is on Sentence-{sentence_id} but its data says "
            f"interview {data.interview_id} index {data.sentence_index} ({expected_sentence_id})"
        )
    return Analysis(
        analysis_id=data.analysis_id
        or analysis_id_for(sentence_id, data.model, data.model_version),
        sentence_id=sentence_id,
        interview_id=data.interview_id,
        sequence_order=data.sentence_index,
        model=data.model,
        model_version=data.model_version,
        function_type=data.classification.function_type,
        structure_type=data.classification.structure_type,
        purpose=data.classification.purpose,
        topics=tuple(TopicMention(name=t.name, level=t.level) for t in data.topics),
        overall_keywords=data.keywords,
        domain_keywords=data.domain_keywords,
        confidence=dict(data.confidence),
        created_at=data.created_at,
    )
