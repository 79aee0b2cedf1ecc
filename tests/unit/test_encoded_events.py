"""The dual-write's encoder must produce exactly what the validated pydantic builders produce."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest

from interview_graph.domain import event_drafts as domain_events
from interview_graph.domain.event_drafts import (
    EventDraft,
    analysis_generated_drafts,
    interview_created_draft,
    interview_status_changed_draft,
    sentence_created_drafts,
)
from interview_graph.domain.events import DATA_MODELS, Actor, DomainEvent, event_id_for
from interview_graph.domain.ids import analysis_id_for, sentence_id_for
from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.events import codec
from interview_graph.events.port import EncodedEvent
from interview_graph.events.run_encoder import RunEncoder

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


def encoder() -> RunEncoder:
    return RunEncoder(actor=Actor.pipeline(), correlation_id=CORRELATION_ID, project_id=PROJECT_ID)


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
    assert_same(encoder().encode(interview_created_draft(INTERVIEW), MOMENT), slow)


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
    draft = interview_status_changed_draft(
        INTERVIEW_ID, from_status, InterviewStatus.COMPLETED, "done", cause
    )
    fast = encoder().encode(draft, MOMENT)
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
    (fast,) = encoder().encode_all(sentence_created_drafts([SENTENCE], cause), MOMENT)
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
    (fast,) = encoder().encode_all(analysis_generated_drafts([ANALYSIS]), MOMENT)
    assert_same(fast, slow)
    assert json.loads(fast.metadata_json)["causation_id"] == cause


def test_whole_second_timestamps_match_pydantic() -> None:
    whole = MOMENT.replace(microsecond=0)
    slow = domain_events.interview_created(
        INTERVIEW, correlation_id=CORRELATION_ID, occurred_at=whole
    )
    fast = encoder().encode(interview_created_draft(INTERVIEW), whole)
    assert (
        json.loads(fast.metadata_json)["occurred_at"]
        == json.loads(codec.encode(slow)[0])["occurred_at"]
    )


def all_drafts() -> list[EventDraft]:
    cause = event_id_for(INTERVIEW_ID, "InterviewCreated")
    return [
        interview_created_draft(INTERVIEW),
        *sentence_created_drafts([SENTENCE], cause),
        *analysis_generated_drafts([ANALYSIS]),
        interview_status_changed_draft(
            INTERVIEW_ID, InterviewStatus.PROCESSING, InterviewStatus.FAILED, "x", cause
        ),
    ]


def test_every_draft_holds_its_typed_models_fields_in_order() -> None:
    for draft in all_drafts():
        model = DATA_MODELS[draft.event_type]
        assert list(draft.data) == list(model.model_fields), draft.event_type
        assert model.model_validate(draft.data).model_dump(mode="json") == draft.data


def test_a_mixed_run_with_an_unusual_actor_and_offset_time_matches_pydantic() -> None:
    """Templates are cut per kind of event; `%`, quotes and braces in the shared envelope and
    a non-UTC moment must come out exactly as the validated path writes them."""
    actor = Actor(actor_type="human", user_id='ana "%s" {0}', display="100% sure \\ ü")
    moment = datetime(2026, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    run = RunEncoder(actor=actor, correlation_id=CORRELATION_ID, project_id=PROJECT_ID)
    drafts = all_drafts() + all_drafts()[1:3]
    for fast, draft in zip(run.encode_all(drafts, moment), drafts, strict=True):
        slow = domain_events.build_event(
            draft,
            project_id=PROJECT_ID,
            correlation_id=CORRELATION_ID,
            actor=actor,
            occurred_at=moment,
        )
        assert_same(fast, slow)


def test_each_sentence_gets_its_own_ids_and_data_from_one_template() -> None:
    second = Sentence(
        sentence_id=sentence_id_for(INTERVIEW_ID, 4),
        interview_id=INTERVIEW_ID,
        sequence_order=4,
        text="Second.",
        speaker="Tomas",
        start_ms=None,
        end_ms=None,
        start_char=53,
        end_char=60,
    )
    cause = event_id_for(INTERVIEW_ID, "InterviewCreated")
    fast = encoder().encode_all(sentence_created_drafts([SENTENCE, second], cause), MOMENT)
    for event, sentence in zip(fast, [SENTENCE, second], strict=True):
        slow = domain_events.sentence_created(
            sentence,
            project_id=PROJECT_ID,
            correlation_id=CORRELATION_ID,
            causation_id=cause,
            occurred_at=MOMENT,
        )
        assert_same(event, slow)
