"""verify's field comparison: equal values skip conversion, converted values decide."""

from __future__ import annotations

import dataclasses
import gc

from interview_graph.domain.model import InterviewStatus, TopicMention
from interview_graph.graph.port import SentenceView
from interview_graph.graph.values import storable_float
from interview_graph.projection.compare import compare_interview
from interview_graph.projection.differences import FIELD_DIFFERS
from interview_graph.projection.verify import collector_paused
from tests.unit.test_projection_fold import (
    INTERVIEW_ID,
    graph_views,
    index_of,
    make_interview,
    pipeline_events,
)


def _with_analysis(views: list[SentenceView], at: int, **changes: object) -> None:
    view = views[at]
    views[at] = SentenceView(view.sentence, (dataclasses.replace(view.analyses[0], **changes),))


def test_a_confidence_stored_with_15_digits_equals_its_source() -> None:
    index = index_of(pipeline_events(2))
    views = graph_views(2)
    stored = {k: storable_float(v) for k, v in views[0].analyses[0].confidence.items()}
    assert stored != views[0].analyses[0].confidence  # 0.1 + 0.2 and 1/3 lose digits
    _with_analysis(views, 0, confidence=stored)
    graph = make_interview(InterviewStatus.COMPLETED)
    found = compare_interview(INTERVIEW_ID, index.interviews[INTERVIEW_ID], graph, views)
    assert found.differences == []


def test_a_changed_confidence_is_reported_as_stored() -> None:
    index = index_of(pipeline_events(2))
    views = graph_views(2)
    _with_analysis(views, 1, confidence={"function": 0.5, "topics": 1 / 3})
    graph = make_interview(InterviewStatus.COMPLETED)
    found = compare_interview(INTERVIEW_ID, index.interviews[INTERVIEW_ID], graph, views)
    assert [(d.kind, d.entity, d.field) for d in found.differences] == [
        (FIELD_DIFFERS, "Analysis", "confidence")
    ]
    difference = found.differences[0]
    assert difference.graph == {"function": 0.5, "topics": storable_float(1 / 3)}
    assert difference.log == {
        "function": storable_float(0.1 + 0.2),
        "topics": storable_float(1 / 3),
    }


def test_values_that_differ_only_in_form_are_equal() -> None:
    index = index_of(pipeline_events(1))
    views = graph_views(1)
    # A list where the log has a tuple, and a plain string for an enum: same plain values.
    _with_analysis(views, 0, topics=[TopicMention("tools", 1)])
    graph = dataclasses.replace(make_interview(), status="completed", participants=["A"])  # type: ignore[arg-type]
    found = compare_interview(INTERVIEW_ID, index.interviews[INTERVIEW_ID], graph, views)
    assert found.differences == []


def test_the_collector_is_paused_and_then_restored() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # left as the caller had it
    finally:
        gc.enable()
