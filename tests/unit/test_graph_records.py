"""Stored values, write rows, read rows and canonical export records, without a database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from interview_graph.domain.model import TopicMention
from interview_graph.graph.export import (
    canonical_properties,
    node_record,
    relationship_record,
    to_jsonl_line,
)
from interview_graph.graph.read_rows import DimensionRow, sentence_views
from interview_graph.graph.values import from_iso, storable_float, to_iso
from interview_graph.graph.write_rows import (
    analysis_write_row,
    follows_links,
    sentence_row,
    write_row_keep,
)
from tests.integration.graph_contract import make_analysis, make_interview, make_sentences


def test_timestamps_are_stored_as_utc_iso_text() -> None:
    local = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=2)))
    assert to_iso(local) == "2024-01-02T01:04:05+00:00"
    assert to_iso(datetime(2024, 1, 2)) == "2024-01-02T00:00:00+00:00"  # naive means UTC
    assert from_iso(to_iso(local)) == local
    assert to_iso(None) is None and from_iso(None) is None


def test_floats_are_limited_to_what_falkordb_returns() -> None:
    assert storable_float(0.1 + 0.2) == 0.3
    assert storable_float(0.6125) == 0.6125


def test_follows_links_split_pairs_heads_and_tails() -> None:
    interview = make_interview()
    rows = [sentence_row(s) for s in make_sentences(interview, 8)]
    batch = rows[2:5] + rows[6:8]  # orders 2,3,4 and 6,7
    pairs, heads, tails = follows_links(batch)
    assert [(p["sentence_id"], p["previous_id"]) for p in pairs] == [
        (rows[3]["sentence_id"], rows[2]["sentence_id"]),
        (rows[4]["sentence_id"], rows[3]["sentence_id"]),
        (rows[7]["sentence_id"], rows[6]["sentence_id"]),
    ]
    assert [h["sequence_order"] for h in heads] == [2, 6]
    assert [t["sequence_order"] for t in tails] == [4, 7]
    assert follows_links(rows[:1]) == ([], [], [_ref(rows[0])])  # order 0 has no predecessor


def _ref(row: dict[str, object]) -> dict[str, object]:
    return {k: row[k] for k in ("sentence_id", "interview_id", "sequence_order")}


def test_sentence_row_round_trips_with_nulls() -> None:
    sentence = replace(make_sentences(make_interview(), 1)[0], speaker=None, start_ms=None)
    [view] = sentence_views([list(sentence_row(sentence).values())], [], [])
    assert view.sentence == sentence and view.analyses == ()


def _stored_rows(row: dict[str, Any]) -> list[DimensionRow]:
    """What a database returns for the dimension relationships written from a write row."""
    out: list[DimensionRow] = [
        ("HAS_FUNCTION", None, None, row["function_type"]),
        ("HAS_STRUCTURE", None, None, row["structure_type"]),
        ("HAS_PURPOSE", None, None, row["purpose"]),
    ]
    out += [
        ("MENTIONS_TOPIC", rank, level, name)
        for rank, (name, level) in enumerate(zip(row["topics"], row["topic_levels"], strict=True))
    ]
    keywords = list(enumerate(row["keywords"]))
    out += [
        ("MENTIONS_OVERALL_KEYWORD", rank, None, text)
        for rank, text in reversed(keywords)  # the database returns them in any order
    ]
    out += [
        ("MENTIONS_DOMAIN_KEYWORD", rank, None, text)
        for rank, text in enumerate(row["domain_keywords"])
    ]
    return out


def test_analysis_write_row_round_trips_order_levels_and_confidences() -> None:
    sentence = make_sentences(make_interview(), 2)[1]
    analysis = replace(
        make_analysis(sentence),
        topics=(TopicMention("goals", 1), TopicMention("goals", 3)),
        overall_keywords=("b", "a", "b"),
    )
    row = analysis_write_row(analysis)
    node_columns = ("sentence_id", "analysis_id", "model", "model_version", "created_at")
    analysis_rows = [[row[k] for k in (*node_columns, "confidence_keys", "confidence_values")]]
    dimension_rows = [(row["analysis_id"], *stored) for stored in _stored_rows(row)]
    [view] = sentence_views([list(sentence_row(sentence).values())], analysis_rows, dimension_rows)
    assert view.analyses == (analysis,)
    assert "MENTIONS_OVERALL_KEYWORD|2|b" in write_row_keep(row)
    assert "HAS_FUNCTION||interrogative" in write_row_keep(row)


def test_empty_ids_are_refused() -> None:
    sentence = make_sentences(make_interview(), 1)[0]
    with pytest.raises(ValueError, match="analysis_id"):
        analysis_write_row(replace(make_analysis(sentence), analysis_id=""))


def test_canonical_records_drop_volatile_and_null_properties() -> None:
    props = {"z": 1, "created_at": "2024-01-01T00:00:00+00:00", "a": [1, 2], "n": None}
    assert list(canonical_properties(props)) == ["a", "z"]
    record = node_record("Sentence", "s1", props)
    assert to_jsonl_line(record) == (  # the line `interview-graph export` writes
        '{"key": "s1", "kind": "node", "label": "Sentence", "properties": {"a": [1, 2], "z": 1}}'
    )
    rel = relationship_record("FOLLOWS", "s2", "s1", {})
    assert rel["start"] == ["Sentence", "s2"] and rel["end"] == ["Sentence", "s1"]
    assert to_jsonl_line({"text": "é"}) == '{"text": "é"}'


def test_created_at_of_analysis_is_utc_text() -> None:
    sentence = make_sentences(make_interview(), 1)[0]
    row = analysis_write_row(make_analysis(sentence))
    assert row["created_at"] == datetime(2024, 5, 17, 10, 0, tzinfo=UTC).isoformat()
