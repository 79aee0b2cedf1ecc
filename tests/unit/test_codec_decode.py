"""codec.decode's fast path gives exactly what full validation gives, or defers to it."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from interview_graph.domain.event_drafts import (
    analysis_generated,
    interview_created,
    interview_status_changed,
    sentence_created,
)
from interview_graph.domain.events import DomainEvent
from interview_graph.domain.ids import analysis_id_for, sentence_id_for
from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.events import codec
from interview_graph.events.port import EventStoreError

PROJECT = str(uuid.uuid5(uuid.NAMESPACE_URL, "codec-project"))
INTERVIEW = str(uuid.uuid5(uuid.NAMESPACE_URL, "codec-interview"))
CORRELATION = str(uuid.uuid4())


def full_decode(metadata_json: str, data_json: str, version: int, position: int) -> DomainEvent:
    """The reference: every field through pydantic (what decode did before its fast path)."""
    metadata = json.loads(metadata_json)
    fields = {k: v for k, v in metadata.items() if k in codec._ENVELOPE_FIELDS}
    data = json.loads(data_json)
    return DomainEvent.model_validate(
        {**fields, "data": data, "version": version, "position": position}
    )


def outcome(decode: Any, metadata_json: str, data_json: str) -> tuple[str, Any]:
    try:
        event = decode(metadata_json, data_json, 3, 42)
    except (EventStoreError, ValueError) as exc:
        return ("error", type(exc).__name__)
    return ("event", (event, event.model_fields_set, list(event.__dict__)))


def pipeline_events() -> list[DomainEvent]:
    moment = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    interview = Interview(
        interview_id=INTERVIEW, project_id=PROJECT, project_name="p", title="T", source="s",
        filename="f.txt", language="en", content_sha256="c" * 64,
        status=InterviewStatus.PROCESSING, created_at=moment, participants=("A", "B"),
    )  # fmt: skip
    sentence = Sentence(
        sentence_id=sentence_id_for(INTERVIEW, 0), interview_id=INTERVIEW, sequence_order=0,
        text="Hé \u2028 \\ \" x", speaker=None, start_ms=None, end_ms=5, start_char=0,
        end_char=9,
    )  # fmt: skip
    analysis = Analysis(
        analysis_id=analysis_id_for(sentence.sentence_id, "m", "1"),
        sentence_id=sentence.sentence_id, interview_id=INTERVIEW, sequence_order=0, model="m",
        model_version="1", function_type="f", structure_type="s", purpose="p",
        topics=(TopicMention("t", 2),), overall_keywords=("k",), domain_keywords=(),
        confidence={"function": 0.1 + 0.2, "topics": 1 / 3}, created_at=moment,
    )  # fmt: skip
    created = interview_created(interview, correlation_id=CORRELATION, occurred_at=moment)
    completed = interview_status_changed(
        INTERVIEW, PROJECT, None, InterviewStatus.COMPLETED, "done",
        correlation_id=CORRELATION, causation_id=created.event_id,
    )  # fmt: skip
    return [
        created,
        completed,
        sentence_created(sentence, project_id=PROJECT, correlation_id=CORRELATION),
        analysis_generated(analysis, project_id=PROJECT, correlation_id=CORRELATION),
    ]


@pytest.mark.parametrize("event", pipeline_events(), ids=lambda e: e.event_type)
def test_stored_events_decode_exactly_as_full_validation(event: DomainEvent) -> None:
    metadata_json, data_json = codec.encode(event)
    fast = codec.decode(metadata_json, data_json, version=3, position=42)
    assert outcome(lambda *a: fast, metadata_json, data_json) == outcome(
        full_decode, metadata_json, data_json
    )
    assert fast == event.model_copy(update={"version": 3, "position": 42})
    # ...and took the fast path: what the encoders write is canonical.
    fields = {k: v for k, v in json.loads(metadata_json).items() if k in codec._ENVELOPE_FIELDS}
    assert codec._canonical(fields, json.loads(data_json), 3, 42) == fast


def _variants() -> list[tuple[str, dict[str, Any], Any]]:
    """(name, metadata changes, data) for documents off the canonical form."""
    sentence = pipeline_events()[2]
    data = dict(sentence.data)
    upper = sentence.event_id.upper()
    return [
        ("uppercase uuid", {"event_id": upper}, data),
        ("braced uuid", {"aggregate_id": "{" + sentence.aggregate_id + "}"}, data),
        ("not a uuid", {"correlation_id": "nope"}, data),
        ("offset time", {"occurred_at": "2024-05-06T09:08:09.5+02:00"}, data),
        ("naive time", {"occurred_at": "2024-05-06T07:08:09"}, data),
        ("date only", {"occurred_at": "2024-05-06"}, data),
        ("epoch time", {"occurred_at": 1714979289}, data),
        ("bad month", {"occurred_at": "2024-13-06T07:08:09Z"}, data),
        ("version as text", {"schema_version": "1"}, data),
        ("version as float", {"schema_version": 1.0}, data),
        ("huge version", {"schema_version": 10**30}, data),
        ("list in envelope", {"source": ["a"]}, data),
        ("huge int in actor", {"actor": {"actor_type": "system", "user_id": 10**30}}, data),
        ("newer schema", {"schema_version": 2}, {"anything": [1, 2]}),
        ("version zero", {"schema_version": 0}, data),
        ("unknown type", {"event_type": "SomethingNew"}, {"n": 123456789012345678901234567890}),
        ("empty type", {"event_type": ""}, data),
        ("unknown aggregate", {"aggregate_type": "Project"}, data),
        ("actor extra key", {"actor": {"actor_type": "system", "x": 1}}, data),
        ("actor bad type", {"actor": {"actor_type": "robot"}}, data),
        ("actor as text", {"actor": "system"}, data),
        ("no source", {"source": None}, data),
        ("missing id", {"event_id": None}, data),
        ("data invalid", {}, {**data, "index": -1}),
        ("data as list", {}, [1, 2]),
        ("data huge int", {"event_type": "X"}, {"n": -(2**70), "f": 1e300}),
        ("data lone surrogate", {"event_type": "X"}, {"s": "\ud800"}),
    ]


@pytest.mark.parametrize(("name", "changes", "data"), _variants(), ids=lambda v: str(v))
def test_other_documents_decode_or_fail_as_full_validation(
    name: str, changes: dict[str, Any], data: Any
) -> None:
    metadata = json.loads(codec.encode(pipeline_events()[2])[0])
    for key, value in changes.items():
        if value is None:
            metadata.pop(key, None)
        else:
            metadata[key] = value
    metadata_json, data_json = json.dumps(metadata), json.dumps(data)
    expected = outcome(full_decode, metadata_json, data_json)
    got = outcome(
        lambda m, d, v, p: codec.decode(m, d, version=v, position=p), metadata_json, data_json
    )
    if expected[0] == "error":
        assert got == ("error", "EventStoreError"), name
    else:
        assert got == expected, name


def test_unreadable_documents_are_reported_with_their_position() -> None:
    for metadata_json in ("{not json", "[1, 2]", "null"):
        with pytest.raises(EventStoreError, match="position 7 cannot be read"):
            codec.decode(metadata_json, "{}", version=0, position=7)
    with pytest.raises(EventStoreError, match="position 7 cannot be read"):
        codec.decode(codec.encode(pipeline_events()[0])[0], "{", version=0, position=7)


def test_an_invalid_event_keeps_pydantics_message() -> None:
    metadata_json, _ = codec.encode(pipeline_events()[2])
    with pytest.raises(EventStoreError) as raised:
        codec.decode(metadata_json, '{"interview_id": 5}', version=0, position=1)
    with pytest.raises(ValueError) as reference:
        full_decode(metadata_json, '{"interview_id": 5}', 0, 1)
    assert str(reference.value) in str(raised.value)
