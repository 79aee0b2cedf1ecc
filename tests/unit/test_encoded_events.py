"""The fast encoders must produce exactly what the validated pydantic builders produce."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from interview_graph.domain import events as domain_events
from interview_graph.domain.events import Actor, DomainEvent, event_id_for
from interview_graph.domain.ids import analysis_id_for, sentence_id_for
from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.events import codec, encoded
from interview_graph.events.port import EncodedEvent

MOMENT = datetime(2026, 11, 26, 19, 40, 1, 123456, tzinfo=UTC)
INTERVIEW_ID = str(uuid.uuid4())
PROJECT_ID = str(uuid.uuid4())
CORRELATION_ID = str(uuid.uuid4())
INTERVIEW = Interview(
    interview_id=INTERVIEW_ID,
    project_id=PROJECT_ID,
    project_name='Résumé "research"',
    title="Title with `backticks` and $ {}",
    source="samples/a.txt",
    filename="a.txt",
    language="en",
    content_sha256="ab" * 32,
    status=InterviewStatus.PROCESSING,
    created_at=MOMENT,
    date="2026-03-14",
    participants=("Priya", "Tomas"),
)
SENTENCE = Sentence(
    sentence_id=sentence_id_for(INTERVIEW_ID, 3),
    interview_id=INTERVIEW_ID,
    sequence_order=3,
    text='He said "MATCH (n) DETACH DELETE n" — ok?\n\u0001',
    speaker=None,
    start_ms=1200,
    end_ms=None,
    start_char=10,
    end_char=52,
)
ANALYSIS = Analysis(
    analysis_id=analysis_id_for(SENTENCE.sentence_id, "offline-rules", "1.0.0+abc"),
    sentence_id=SENTENCE.sentence_id,
    interview_id=INTERVIEW_ID,
    sequence_order=3,
    model="offline-rules",
    model_version="1.0.0+abc",
    function_type="interrogative",
    structure_type="complex",
    purpose="Query",
    topics=(TopicMention("tools", 1), TopicMention("pain points", 3)),
    overall_keywords=("match", "delete"),
    domain_keywords=("onboarding",),
    confidence={"function_type": 0.9, "purpose": 0.55},
)


def ctx() -> encoded.EnvelopeContext:
    return encoded.EnvelopeContext(
        actor=Actor.pipeline(), correlation_id=CORRELATION_ID, project_id=PROJECT_ID
    )


def assert_same(fast: EncodedEvent, slow: DomainEvent) -> None:
    metadata, data = codec.encode(slow)
    assert fast.event_id == slow.event_id
    assert fast.event_type == slow.event_type
    assert fast.correlation_id == slow.correlation_id
    assert json.loads(fast.metadata_json) == json.loads(metadata)
    assert json.loads(fast.data_json) == json.loads(data)
    assert fast.metadata_json == metadata
    assert fast.data_json == data
    decoded = codec.decode(fast.metadata_json, fast.data_json, version=0, position=1)
    assert decoded.typed_data() == slow.typed_data()


def test_interview_created_matches_the_pydantic_builder() -> None:
    slow = domain_events.interview_created(
        INTERVIEW, correlation_id=CORRELATION_ID, occurred_at=MOMENT
    )
    assert_same(encoded.interview_created(ctx(), INTERVIEW, encoded.iso(MOMENT)), slow)


@pytest.mark.parametrize("from_status", [InterviewStatus.PROCESSING, None])
def test_status_changed_matches(from_status: InterviewStatus | None) -> None:
    cause = event_id_for(INTERVIEW_ID, "InterviewCreated")
    slow = domain_events.interview_status_changed(
        INTERVIEW_ID,
        PROJECT_ID,
        from_status,
        InterviewStatus.COMPLETED,
        "done",
        correlation_id=CORRELATION_ID,
        causation_id=cause,
        occurred_at=MOMENT,
    )
    fast = encoded.interview_status_changed(
        ctx(),
        INTERVIEW_ID,
        from_status,
        InterviewStatus.COMPLETED,
        "done",
        causation_id=cause,
        occurred_at=encoded.iso(MOMENT),
    )
    assert_same(fast, slow)


def test_sentence_created_matches() -> None:
    cause = event_id_for(INTERVIEW_ID, "InterviewCreated")
    slow = domain_events.sentence_created(
        SENTENCE,
        project_id=PROJECT_ID,
        correlation_id=CORRELATION_ID,
        causation_id=cause,
        occurred_at=MOMENT,
    )
    (fast,) = encoded.sentences_created(
        ctx(), [SENTENCE], causation_id=cause, occurred_at=encoded.iso(MOMENT)
    )
    assert_same(fast, slow)


def test_analysis_generated_matches_and_is_caused_by_its_sentence() -> None:
    cause = event_id_for(SENTENCE.sentence_id, "SentenceCreated")
    slow = domain_events.analysis_generated(
        ANALYSIS,
        project_id=PROJECT_ID,
        correlation_id=CORRELATION_ID,
        causation_id=cause,
        occurred_at=MOMENT,
    )
    (fast,) = encoded.analyses_generated(ctx(), [ANALYSIS], occurred_at=encoded.iso(MOMENT))
    assert_same(fast, slow)
    assert json.loads(fast.metadata_json)["causation_id"] == cause


def test_whole_second_timestamps_match_pydantic() -> None:
    whole = MOMENT.replace(microsecond=0)
    slow = domain_events.interview_created(
        INTERVIEW, correlation_id=CORRELATION_ID, occurred_at=whole
    )
    fast = encoded.interview_created(ctx(), INTERVIEW, encoded.iso(whole))
    assert (
        json.loads(fast.metadata_json)["occurred_at"]
        == json.loads(codec.encode(slow)[0])["occurred_at"]
    )
