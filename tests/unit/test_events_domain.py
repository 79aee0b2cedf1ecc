"""Domain events: envelope validation, deterministic ids, builders and their exact inverses."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from interview_graph.bootstrap import event_store_for_url
from interview_graph.domain.event_drafts import (
    analysis_generated,
    interview_created,
    interview_status_changed,
    sentence_created,
)
from interview_graph.domain.events import (
    Actor,
    ActorType,
    AnalysisGeneratedData,
    DomainEvent,
    EventType,
    InterviewStatusChangedData,
    analysis_from_event,
    event_id_for,
    interview_from_event,
    interview_stream,
    sentence_from_event,
    sentence_stream,
)
from interview_graph.domain.ids import analysis_id_for, sentence_id_for
from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.events import codec
from interview_graph.events.append_rules import (
    check_expected,
    plan_append_batch,
)
from interview_graph.events.kurrentdb_store import KurrentDBEventStore
from interview_graph.events.port import (
    ANY,
    NO_STREAM,
    AppendRequest,
    ConcurrencyError,
    DuplicateEventError,
)
from interview_graph.events.postgres_store import PostgresEventStore
from interview_graph.events.sqlite_store import SQLiteEventStore

INTERVIEW = Interview(
    interview_id=str(uuid.uuid4()),
    project_id=str(uuid.uuid4()),
    project_name="Research",
    title="Kick-off",
    source="samples/a.txt",
    filename="a.txt",
    language="en",
    content_sha256="cd" * 32,
    status=InterviewStatus.PROCESSING,
    created_at=datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
    date="2024-01-02",
    participants=("Ana", "Bo"),
)
SENTENCE = Sentence(
    sentence_id=sentence_id_for(INTERVIEW.interview_id, 4),
    interview_id=INTERVIEW.interview_id,
    sequence_order=4,
    text="We use spreadsheets — a lot.",
    speaker="Ana",
    start_ms=1200,
    end_ms=3400,
    start_char=120,
    end_char=148,
)
ANALYSIS = Analysis(
    analysis_id=analysis_id_for(SENTENCE.sentence_id, "offline-rules", "1.2"),
    sentence_id=SENTENCE.sentence_id,
    interview_id=INTERVIEW.interview_id,
    sequence_order=4,
    model="offline-rules",
    model_version="1.2",
    function_type="declarative",
    structure_type="simple",
    purpose="Statement",
    topics=(TopicMention("tools", 1), TopicMention("processes", 3)),
    overall_keywords=("spreadsheets",),
    domain_keywords=("spreadsheet",),
    confidence={"function_type": 0.9, "structure_type": 0.75, "purpose": 0.6, "topics": 0.5},
    created_at=datetime(2024, 1, 2, 3, 5, tzinfo=UTC),
)
CORRELATION = str(uuid.uuid4())


def envelope(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": "SomethingNew",
        "aggregate_type": "Interview",
        "aggregate_id": str(uuid.uuid4()),
        "occurred_at": datetime.now(UTC),
        "actor": {"actor_type": "system", "user_id": "pipeline"},
        "correlation_id": str(uuid.uuid4()),
        "data": {"x": 1},
    }
    return {**fields, **overrides}


# ---------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"occurred_at": datetime(2024, 1, 1)}, "timezone-aware"),
        ({"event_id": "not-a-uuid"}, "event_id must be a UUID"),
        ({"aggregate_id": "42"}, "aggregate_id must be a UUID"),
        ({"correlation_id": ""}, "correlation_id must be a UUID"),
        ({"causation_id": "abc"}, "causation_id must be a UUID"),
        ({"actor": {"actor_type": "robot"}}, "actor_type"),
        ({"aggregate_type": "Project"}, "aggregate_type"),
        ({"version": -1}, "version"),
        ({"unexpected": 1}, "unexpected"),
        ({"event_type": "SentenceCreated", "data": {"index": 1}}, "data of SentenceCreated"),
    ],
)
def test_bad_envelopes_are_rejected_with_clear_message(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        DomainEvent.model_validate(envelope(**overrides))


def test_envelope_is_frozen_and_normalises() -> None:
    upper = str(uuid.uuid4()).upper()
    plus_two = datetime(2024, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    event = DomainEvent.model_validate(envelope(event_id=upper, occurred_at=plus_two))
    assert event.event_id == upper.lower()
    assert event.occurred_at == plus_two and event.occurred_at.tzinfo == UTC
    with pytest.raises(ValidationError):
        event.event_type = "Other"


def test_unknown_event_type_is_kept_generic() -> None:
    event = DomainEvent.model_validate(envelope(data={"anything": [1, {"a": None}]}))
    assert not event.is_known and event.typed_data() is None
    assert event.data == {"anything": [1, {"a": None}]}


# ---------------------------------------------------------------- streams and ids


def test_stream_names_use_graph_ids() -> None:
    assert interview_stream(INTERVIEW.interview_id) == f"Interview-{INTERVIEW.interview_id}"
    assert sentence_stream(SENTENCE.sentence_id) == f"Sentence-{SENTENCE.sentence_id}"
    expected_sentence_id = uuid.uuid5(uuid.NAMESPACE_DNS, f"{INTERVIEW.interview_id}:4")
    assert SENTENCE.sentence_id == str(expected_sentence_id)


def test_same_fact_gives_same_event_id_and_other_facts_differ() -> None:
    first = analysis_generated(
        ANALYSIS, project_id=INTERVIEW.project_id, correlation_id=CORRELATION
    )
    later = analysis_generated(
        ANALYSIS, project_id=INTERVIEW.project_id, correlation_id=str(uuid.uuid4())
    )
    assert first.event_id == later.event_id
    other_model = dataclasses.replace(ANALYSIS, model_version="1.3")
    third = analysis_generated(
        other_model, project_id=INTERVIEW.project_id, correlation_id=CORRELATION
    )
    assert third.event_id != first.event_id
    ids = {
        event_id_for(INTERVIEW.interview_id, EventType.INTERVIEW_CREATED),
        event_id_for(INTERVIEW.interview_id, EventType.INTERVIEW_STATUS_CHANGED, "a", "b"),
        event_id_for(INTERVIEW.interview_id, EventType.INTERVIEW_STATUS_CHANGED, "b", "c"),
        event_id_for(SENTENCE.sentence_id, EventType.SENTENCE_CREATED),
    }
    assert len(ids) == 4


# ---------------------------------------------------------------- builders <-> domain values


def test_interview_created_round_trips_exactly() -> None:
    event = interview_created(INTERVIEW, correlation_id=CORRELATION)
    assert event.stream == interview_stream(INTERVIEW.interview_id)
    assert event.actor == Actor.pipeline() and event.source == "pipeline"
    assert event.project_id == INTERVIEW.project_id
    assert interview_from_event(_through_codec(event)) == INTERVIEW


def test_sentence_created_round_trips_exactly() -> None:
    event = sentence_created(SENTENCE, project_id=INTERVIEW.project_id, correlation_id=CORRELATION)
    assert event.data["index"] == 4 and event.data["interview_id"] == INTERVIEW.interview_id
    assert sentence_from_event(_through_codec(event)) == SENTENCE


def test_analysis_generated_round_trips_exactly() -> None:
    human = Actor(actor_type=ActorType.HUMAN, user_id="u7", display="Reviewer")
    event = analysis_generated(
        ANALYSIS, project_id=INTERVIEW.project_id, correlation_id=CORRELATION, actor=human
    )
    data = AnalysisGeneratedData.model_validate(event.data)
    assert data.interview_id == INTERVIEW.interview_id and data.sentence_index == 4
    assert data.classification.purpose == "Statement"
    assert analysis_from_event(_through_codec(event)) == ANALYSIS


def test_analysis_on_wrong_sentence_stream_is_refused() -> None:
    event = analysis_generated(
        ANALYSIS, project_id=INTERVIEW.project_id, correlation_id=CORRELATION
    )
    moved = event.model_copy(update={"aggregate_id": str(uuid.uuid4())})
    with pytest.raises(ValueError, match="its data says"):
        analysis_from_event(moved)


def test_status_changed_has_typed_data_and_inverse_type_check() -> None:
    event = interview_status_changed(
        INTERVIEW.interview_id,
        INTERVIEW.project_id,
        InterviewStatus.PROCESSING,
        InterviewStatus.FAILED,
        "parser crashed",
        correlation_id=CORRELATION,
    )
    assert event.typed_data() == InterviewStatusChangedData(
        from_status=InterviewStatus.PROCESSING,
        to_status=InterviewStatus.FAILED,
        reason="parser crashed",
    )
    with pytest.raises(ValueError, match="expected InterviewCreated"):
        interview_from_event(event)


def _through_codec(event: DomainEvent) -> DomainEvent:
    metadata, data = codec.encode(event)
    decoded = codec.decode(metadata, data, version=0, position=1)
    assert decoded.model_dump(exclude={"version", "position"}) == event.model_dump(
        exclude={"version", "position"}
    )
    return decoded


def test_codec_adds_kurrentdb_correlation_keys() -> None:
    causation = str(uuid.uuid4())
    event = interview_created(INTERVIEW, correlation_id=CORRELATION, causation_id=causation)
    metadata = codec.encode_metadata(event)
    assert metadata["$correlationId"] == CORRELATION and metadata["$causationId"] == causation
    assert "data" not in metadata and "position" not in metadata


# ---------------------------------------------------------------- port rules (pure)


def test_expectation_checks() -> None:
    check_expected("s", ANY, None)
    check_expected("s", NO_STREAM, None)
    check_expected("s", 3, 3)
    with pytest.raises(ConcurrencyError, match="expected version 2 but found version 3"):
        check_expected("s", 2, 3)


def test_plan_refuses_ids_recorded_in_another_stream() -> None:
    event = DomainEvent.model_validate(envelope())
    with pytest.raises(DuplicateEventError, match="another stream"):
        plan_append_batch([AppendRequest("A", [event])], {event.event_id: ("B", 5)}, {})


# ---------------------------------------------------------------- backend choice


def test_bootstrap_picks_backend_by_scheme_without_connecting(tmp_path: Path) -> None:
    default = event_store_for_url(None, tmp_path)
    assert isinstance(default, SQLiteEventStore)
    assert default.path == tmp_path / "events.sqlite3"
    relative = event_store_for_url("sqlite:///data/ev.db", tmp_path)
    assert isinstance(relative, SQLiteEventStore) and relative.path == Path("data/ev.db")
    absolute = event_store_for_url("sqlite:////var/x/ev.db", tmp_path)
    assert isinstance(absolute, SQLiteEventStore) and absolute.path == Path("/var/x/ev.db")
    assert isinstance(
        event_store_for_url("postgresql://u@127.0.0.1/db", tmp_path), PostgresEventStore
    )
    for uri in ("esdb://h:2113?tls=false", "kurrentdb://h:2113", "kdb://h:2113?tls=false"):
        assert isinstance(event_store_for_url(uri, tmp_path), KurrentDBEventStore)
    with pytest.raises(ValueError, match=r"unsupported event store URL 'mysql://u:\*\*\*@h'"):
        event_store_for_url("mysql://u:pw@h", tmp_path)
