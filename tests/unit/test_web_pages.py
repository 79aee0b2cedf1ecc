"""The workbench's pure parts: times, links, turns, colours, event descriptions, escaping."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from interview_graph.domain.events import Actor, AggregateType, DomainEvent
from interview_graph.domain.ids import sentence_id_for
from interview_graph.domain.model import Analysis, Sentence, TopicMention
from interview_graph.graph.port import SentenceView
from interview_graph.web.filters import PageFilter, page_filter, parse_clock
from interview_graph.web.headers import CONTENT_SECURITY_POLICY
from interview_graph.web.history import event_rows
from interview_graph.web.reader import turns
from interview_graph.web.templating import PALETTE_SIZE, clock, colour, query, render

INTERVIEW = "7f1d3c3e-8f0a-5b8e-9a35-0d4c3a7f5e11"


def view(order: int, speaker: str | None, purpose: str = "Statement") -> SentenceView:
    sentence_id = sentence_id_for(INTERVIEW, order)
    sentence = Sentence(sentence_id, INTERVIEW, order, f"Sentence {order}.", speaker,
                        order * 1000, None, 0, 10)  # fmt: skip
    analysis = Analysis(
        analysis_id=f"a{order}", sentence_id=sentence_id, interview_id=INTERVIEW,
        sequence_order=order, model="offline", model_version="1", function_type="declarative",
        structure_type="simple", purpose=purpose,
        topics=(TopicMention("tools", 1), TopicMention("goals", 3)),
        overall_keywords=("tools", "jira"), domain_keywords=("Jira",),
    )  # fmt: skip
    return SentenceView(sentence, (analysis,))


def test_times_read_and_print_as_clocks() -> None:
    assert [clock(ms) for ms in (None, 0, 61_000, 3_725_000)] == ["", "0:00", "1:01", "1:02:05"]
    assert parse_clock("1:01") == 61_000
    assert parse_clock("1:02:05") == 3_725_000
    assert parse_clock(" 90 ") == 90_000
    with pytest.raises(ValueError, match="m:ss"):
        parse_clock("soon")


def test_a_page_filter_round_trips_through_its_query() -> None:
    wanted = page_filter(project="demo", speaker="", purpose="Query", from_time="1:00")
    assert wanted == PageFilter(project="demo", purpose="Query", from_ms=60_000)
    assert wanted.params() == {"project": "demo", "purpose": "Query", "from_time": "1:00"}
    assert wanted.api_params() == {"project": "demo", "purpose": "Query", "from_ms": "60000"}
    assert wanted.narrows() and not wanted.scope().narrows()
    assert query({"a": "x y", "b": None, "c": ""}, d=2) == "?a=x+y&d=2"
    assert query({}) == ""


def test_consecutive_sentences_of_one_speaker_make_a_turn() -> None:
    views = [view(0, "Ana"), view(1, "Ana"), view(2, "Bo"), view(5, "Bo"), view(6, None)]
    grouped = turns(views, None, 0)
    assert [(t.speaker, [s.number for s in t.sentences], t.skipped) for t in grouped] == [
        ("Ana", [1, 2], 0), ("Bo", [3], 0), ("Bo", [6], 2), (None, [7], 0),
    ]  # fmt: skip
    later = turns([view(10, "Ana"), view(11, "Bo")], view(9, "Ana"), 10)
    assert [(t.continued, t.skipped) for t in later] == [(True, 0), (False, 0)]
    row = grouped[0].sentences[0]
    assert [(c.kind, c.label) for c in row.chips] == [
        ("purpose", "Statement"), ("function", "declarative"), ("topic", "tools"),
        ("keyword", "tools"), ("keyword", "jira"), ("domain", "Jira"),
    ]  # fmt: skip
    assert (row.purpose, row.topic, row.models) == ("Statement", "tools", "offline 1")


def test_a_label_keeps_its_colour() -> None:
    assert colour("Objection") == colour("Objection")
    assert {colour(f"value {n}") for n in range(200)} == set(range(PALETTE_SIZE))


def test_events_are_told_in_words() -> None:
    event = DomainEvent(
        event_id="6f0c3b5e-3c1e-4c7e-9e2b-3c9f0f1e2d3c",
        event_type="SentenceCreated",
        aggregate_type=AggregateType.SENTENCE,
        aggregate_id="1b4e28ba-2fa1-11d2-883f-0016d3cca427",
        occurred_at=datetime(2024, 5, 17, 9, 30, tzinfo=UTC),
        actor=Actor.pipeline(),
        correlation_id="9a7b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        data={"interview_id": INTERVIEW, "index": 2, "text": "x" * 200, "speaker": "Ana"},
    )
    [row] = event_rows([event])
    assert row.what.startswith("Sentence #3 (Ana): “xxx") and row.what.endswith("…”")
    assert (row.who, row.when) == ("system · pipeline", "2024-05-17 09:30:00 UTC")
    assert (row.sentence_id, row.sentence_number) == (event.aggregate_id, 3)


def test_pages_escape_what_they_show_and_carry_the_policy() -> None:
    page = render(
        "error.html",
        {
            "title": "<b>T</b>",
            "nav": None,
            "message": "<script>x()</script> &amp;",
            "json_url": None,
        },
    )
    body = bytes(page.body).decode()
    assert "&lt;script&gt;x()&lt;/script&gt; &amp;amp;" in body
    assert "<script>x()" not in body and "<b>T</b>" not in body
    assert page.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
