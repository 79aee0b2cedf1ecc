"""Folding events for the projection, verify's comparison and backfill's events, without stores."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime

from interview_graph.domain.event_drafts import (
    analysis_generated,
    interview_created,
    interview_status_changed,
    sentence_created,
)
from interview_graph.domain.events import Actor, DomainEvent, EventType, event_id_for
from interview_graph.domain.ids import (
    analysis_id_for,
    interview_id_for,
    project_id_for,
    sentence_id_for,
)
from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.graph.port import SentenceView
from interview_graph.projection.backfill import missing_events
from interview_graph.projection.compare import compare_interview
from interview_graph.projection.differences import FIELD_DIFFERS, MISSING_IN_GRAPH, MISSING_IN_LOG
from interview_graph.projection.event_log import LogIndex
from interview_graph.projection.projector import fold_events

CORRELATION = str(uuid.uuid4())
PROJECT = project_id_for("unit")
INTERVIEW_ID = interview_id_for(PROJECT, "b" * 64)


def make_interview(status: InterviewStatus = InterviewStatus.PROCESSING) -> Interview:
    return Interview(
        interview_id=INTERVIEW_ID, project_id=PROJECT, project_name="unit", title="T",
        source="t.txt", filename="t.txt", language="en", content_sha256="b" * 64,
        status=status, created_at=datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
        participants=("A",),
    )  # fmt: skip


def make_sentence(order: int) -> Sentence:
    text = f"Sentence {order}."
    return Sentence(
        sentence_id=sentence_id_for(INTERVIEW_ID, order), interview_id=INTERVIEW_ID,
        sequence_order=order, text=text, speaker="A", start_ms=order * 10, end_ms=order * 10 + 9,
        start_char=order * 20, end_char=order * 20 + len(text),
    )  # fmt: skip


def make_analysis(sentence: Sentence) -> Analysis:
    return Analysis(
        analysis_id=analysis_id_for(sentence.sentence_id, "offline", "1"),
        sentence_id=sentence.sentence_id, interview_id=INTERVIEW_ID,
        sequence_order=sentence.sequence_order, model="offline", model_version="1",
        function_type="declarative", structure_type="simple", purpose="Statement",
        topics=(TopicMention("tools", 1),), overall_keywords=("report",), domain_keywords=(),
        confidence={"function": 0.1 + 0.2, "topics": 1 / 3},
    )  # fmt: skip


def pipeline_events(count: int) -> list[DomainEvent]:
    interview = make_interview()
    created = interview_created(interview, correlation_id=CORRELATION)
    events = [created]
    for order in range(count):
        sentence = make_sentence(order)
        events.append(
            sentence_created(
                sentence, project_id=PROJECT, correlation_id=CORRELATION,
                causation_id=created.event_id,
            )
        )  # fmt: skip
        events.append(
            analysis_generated(
                make_analysis(sentence), project_id=PROJECT, correlation_id=CORRELATION
            )
        )
    events.append(
        interview_status_changed(
            INTERVIEW_ID, PROJECT, InterviewStatus.PROCESSING, InterviewStatus.COMPLETED,
            correlation_id=CORRELATION, causation_id=created.event_id,
        )
    )  # fmt: skip
    return events


def graph_views(count: int) -> list[SentenceView]:
    return [
        SentenceView(make_sentence(n), (make_analysis(make_sentence(n)),)) for n in range(count)
    ]


def index_of(events: list[DomainEvent]) -> LogIndex:
    index = LogIndex()
    for event in events:
        index.add(event)
    return index


def test_fold_batch_keeps_order_and_last_status() -> None:
    events = pipeline_events(3)
    failed = interview_status_changed(
        INTERVIEW_ID, PROJECT, InterviewStatus.COMPLETED, InterviewStatus.FAILED,
        correlation_id=CORRELATION,
    )  # fmt: skip
    unknown = events[0].model_copy(
        update={"event_type": "SomethingNew", "event_id": str(uuid.uuid4())}
    )
    batch = fold_events([*events, failed, unknown])
    assert batch.interviews == [make_interview()]
    assert [s.sequence_order for s in batch.sentences] == [0, 1, 2]
    assert batch.analyses == [make_analysis(make_sentence(n)) for n in range(3)]
    assert batch.statuses == {INTERVIEW_ID: InterviewStatus.FAILED}
    assert (batch.events, batch.skipped) == (len(events) + 2, 1)


def test_an_agreeing_graph_has_no_differences() -> None:
    index = index_of(pipeline_events(4))
    graph = make_interview(InterviewStatus.COMPLETED)
    # created_at is not compared: a later run's time in the graph is no difference.
    graph = dataclasses.replace(graph, created_at=datetime(2030, 1, 1, tzinfo=UTC))
    result = compare_interview(INTERVIEW_ID, index.interviews[INTERVIEW_ID], graph, graph_views(4))
    assert result.differences == []
    assert (result.sentences, result.analyses) == (4, 4)


def test_each_difference_is_reported_once_with_both_values() -> None:
    index = index_of(pipeline_events(4))
    views = graph_views(4)
    edited = dataclasses.replace(views[1].sentence, text="changed")
    views[1] = SentenceView(edited, views[1].analyses)
    views[2] = SentenceView(views[2].sentence, ())
    del views[3]  # the sentence and its analysis: one difference, the analysis counted in it
    graph = make_interview(InterviewStatus.FAILED)
    found = compare_interview(INTERVIEW_ID, index.interviews[INTERVIEW_ID], graph, views)
    summary = [(d.kind, d.entity, d.field, d.graph, d.log) for d in found.differences]
    assert summary == [
        (FIELD_DIFFERS, "Interview", "status", "failed", "completed"),
        (FIELD_DIFFERS, "Sentence", "text", "changed", "Sentence 1."),
        (MISSING_IN_GRAPH, "Sentence", None, None, None),
        (MISSING_IN_GRAPH, "Analysis", None, None, None),
    ]
    assert found.differences[2].entity_id == make_sentence(3).sentence_id
    assert found.differences[3].entity_id == make_analysis(make_sentence(2)).analysis_id


def test_an_interview_missing_in_the_log_is_one_difference() -> None:
    graph = make_interview(InterviewStatus.COMPLETED)
    found = compare_interview(INTERVIEW_ID, None, graph, graph_views(5))
    assert [(d.kind, d.entity) for d in found.differences] == [(MISSING_IN_LOG, "Interview")]
    assert "5 sentence(s)" in (found.differences[0].detail or "")


def test_backfill_emits_the_pipelines_ids_and_causation() -> None:
    graph = make_interview(InterviewStatus.COMPLETED)
    events = missing_events(graph, graph_views(3), set(), None, correlation_id=CORRELATION)
    pipeline = pipeline_events(3)
    assert sorted(e.event_id for e in events) == sorted(e.event_id for e in pipeline)
    created_id = event_id_for(INTERVIEW_ID, EventType.INTERVIEW_CREATED)
    assert [e.event_type for e in events] == [
        "InterviewCreated", *["SentenceCreated"] * 3, *["AnalysisGenerated"] * 3,
        "InterviewStatusChanged",
    ]  # fmt: skip
    for event in events:
        assert event.actor == Actor(actor_type="system", user_id="backfill")  # type: ignore[arg-type]
        assert event.source == "backfill"
        assert event.correlation_id == CORRELATION
        if event.event_type == EventType.ANALYSIS_GENERATED:
            assert event.causation_id == event_id_for(event.aggregate_id, "SentenceCreated")
        elif event.event_type != EventType.INTERVIEW_CREATED:
            assert event.causation_id == created_id
    assert events[0].data["status"] == "processing"
    recorded = {e.event_id for e in pipeline}
    index = index_of(pipeline)
    assert (
        missing_events(
            graph,
            graph_views(3),
            recorded,
            index.interviews[INTERVIEW_ID],
            correlation_id=CORRELATION,
        )
        == []
    )


def test_backfill_moves_the_status_on_from_what_the_log_says() -> None:
    pipeline = pipeline_events(1)
    index = index_of(pipeline)
    graph = make_interview(InterviewStatus.FAILED)
    events = missing_events(
        graph, graph_views(1), {e.event_id for e in pipeline}, index.interviews[INTERVIEW_ID],
        correlation_id=CORRELATION,
    )  # fmt: skip
    assert [(e.event_type, e.data["from_status"], e.data["to_status"]) for e in events] == [
        ("InterviewStatusChanged", "completed", "failed")
    ]
