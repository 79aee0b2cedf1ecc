"""The write plans and their parameters (graph.write_plans), without a database."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from interview_graph.domain.model import TopicMention
from interview_graph.graph.cypher import CypherStatements
from interview_graph.graph.cypher.dialect import FALKORDB
from interview_graph.graph.values import storable_float
from interview_graph.graph.write_plans import analysis_plan, create_analyses_params, sentence_plan
from interview_graph.graph.write_rows import analysis_write_row, sentence_row, write_row_keep
from tests.integration.graph_contract import make_analysis, make_interview, make_sentences

cypher = CypherStatements(FALKORDB).writes


def _analyses() -> list[Any]:
    sentences = make_sentences(make_interview(), 6)
    analyses = [make_analysis(s) for s in sentences]
    analyses[1] = replace(
        analyses[1],
        topics=(TopicMention("goals", 1), TopicMention("goals", 3)),
        overall_keywords=("b", "a", "b"),
        confidence={"function_type": 0.25, "structure_type": 0.5},
    )
    analyses[2] = replace(analyses[2], topics=(), overall_keywords=(), confidence={})
    return analyses


def test_write_rows_carry_every_fact_of_the_analysis() -> None:
    """Targets in their order; each label's confidence found under the relationship's name
    (older data) or the Analysis field's (what analyzers write); and the relationship
    signatures that stale deletes compare with the graph."""
    for analysis in _analyses():
        row, confidence = analysis_write_row(analysis), analysis.confidence
        assert row["confidence_keys"] == sorted(confidence)
        assert row["confidence_values"] == [confidence[k] for k in sorted(confidence)]
        for key in ("function", "structure"):
            named = confidence.get(key, confidence.get(f"{key}_type"))
            assert row[f"{key}_confidence"] == named
        assert row["purpose_confidence"] == confidence.get("purpose")
        assert row["topics"] == [t.name for t in analysis.topics]
        assert row["topic_levels"] == [t.level for t in analysis.topics]
        assert row["topic_confidence"] == confidence.get("topics")
        assert row["keywords"] == list(analysis.overall_keywords)
        assert row["domain_keywords"] == list(analysis.domain_keywords)
        ranked = [
            *(f"MENTIONS_TOPIC|{n}|{t.name}" for n, t in enumerate(analysis.topics)),
            *(f"MENTIONS_OVERALL_KEYWORD|{n}|{k}" for n, k in enumerate(analysis.overall_keywords)),
            *(f"MENTIONS_DOMAIN_KEYWORD|{n}|{k}" for n, k in enumerate(analysis.domain_keywords)),
        ]
        assert write_row_keep(row) == [
            f"HAS_FUNCTION||{analysis.function_type}",
            f"HAS_STRUCTURE||{analysis.structure_type}",
            f"HAS_PURPOSE||{analysis.purpose}",
            *ranked,
        ]


def test_create_parameters_name_every_target_once_and_link_by_position() -> None:
    rows = [analysis_write_row(a) for a in _analyses()]
    params = create_analyses_params(rows)
    for name, field in (("topics", "topics"), ("keywords", "keywords")):
        values = params[name]
        assert len(values) == len(set(values))
        assert set(values) == {value for row in rows for value in row[field]}
    assert params["function_types"][params["rows"][1]["function_type"]] == rows[1]["function_type"]
    # The link columns rebuild every analysis' list, in rank order.
    for field, prefix in (("topics", "topic"), ("keywords", "keyword")):
        rebuilt: list[list[str]] = [[] for _ in rows]
        at_, node_, rank_ = (params[f"{prefix}_{column}"] for column in ("at", "node", "rank"))
        for at, node, rank in zip(at_, node_, rank_, strict=True):
            assert rank == len(rebuilt[at])
            rebuilt[at].append(params[field][node])
        assert rebuilt == [row[field] for row in rows]
    assert params["topic_level"] == [level for row in rows for level in row["topic_levels"]]
    assert all("topics" not in row and "topic_levels" not in row for row in params["rows"])
    assert rows[0]["topics"] == ["goals", "topic-0"]  # the input rows are left as they were


def test_analysis_plan_splits_new_from_existing() -> None:
    rows = [analysis_write_row(a) for a in _analyses()]
    plan = analysis_plan(cypher, [*rows, rows[0]], {rows[4]["analysis_id"]})
    queries = [query for query, _ in plan.statements]
    assert queries == [
        cypher.delete_stale_dimensions,
        cypher.create_analyses,
        cypher.write_analyses,
    ]
    assert plan.stale == {0} and plan.counted == {1, 2}
    assert len(plan.statements[1][1]["rows"]) == 5  # new: all but the existing one
    old_ids = [row["analysis_id"] for row in plan.statements[2][1]["rows"]]
    assert old_ids == [rows[4]["analysis_id"], rows[0]["analysis_id"]]  # existing + the repeat


def test_a_new_sentence_batch_is_one_statement_with_its_links() -> None:
    interview = make_interview()
    rows = [sentence_row(s) for s in make_sentences(interview, 8)]
    plan = sentence_plan(cypher, rows[2:6], "f.txt", set())
    [(query, params)] = plan.statements
    assert query == cypher.create_sentences and plan.counted == {0}
    assert params["interview_id"] == interview.interview_id
    assert list(zip(params["pair_at"], params["pair_previous"], strict=True)) == [
        (1, 0),
        (2, 1),
        (3, 2),
    ]
    assert params["heads"] == [{"at": 0, "order": 1}]
    assert params["tails"] == [{"at": 3, "order": 6}]


def test_a_mixed_sentence_batch_links_new_to_existing_by_id() -> None:
    rows = [sentence_row(s) for s in make_sentences(make_interview(), 6)]
    existing = {rows[2]["sentence_id"]}
    plan = sentence_plan(cypher, rows[1:5], "f.txt", existing)
    queries = [query for query, _ in plan.statements]
    assert queries == [
        cypher.create_sentences,
        cypher.write_sentences,
        cypher.delete_stale_source_files,
        cypher.create_pairs,
        cypher.link_pairs,
    ]
    create = plan.statements[0][1]
    assert [row["sequence_order"] for row in create["rows"]] == [1, 3, 4]
    assert list(zip(create["pair_at"], create["pair_previous"], strict=True)) == [(2, 1)]
    assert create["heads"] == [{"at": 0, "order": 0}]
    [fresh] = plan.statements[3][1]["rows"]  # order 3 (new) follows order 2 (existing)
    assert (fresh["sentence_id"], fresh["previous_id"]) == (
        rows[3]["sentence_id"],
        rows[2]["sentence_id"],
    )
    [known] = plan.statements[4][1]["rows"]  # order 2 (existing) follows order 1 (new)
    assert known["sentence_id"] == rows[2]["sentence_id"]


def test_storable_floats_keep_the_sign_of_zero_and_repeat_exactly() -> None:
    assert math.copysign(1.0, storable_float(-0.0)) == -1.0
    assert math.copysign(1.0, storable_float(0.0)) == 1.0
    for _ in range(2):  # the second time from the memo
        assert storable_float(0.1 + 0.2) == 0.3
        assert storable_float(1 / 3) == float(f"{1 / 3:.15g}")
    assert math.isnan(storable_float(math.nan))
