"""Rows read from either backend -> domain objects and the port's views.

Rows are unpacked by position, in the column orders of cypher.reads: `verify` reads every
sentence and analysis of the graph through here.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.graph.port import InterviewSummary, SentenceView
from interview_graph.graph.values import from_iso

# (rel type, rank, level, target key) of one dimension relationship.
DimensionRow = tuple[str, int | None, int | None, str]


def interview_from_row(props: Mapping[str, Any], project_name: str) -> Interview:
    """A row of GET_INTERVIEW (the Interview node's properties and its project's name)."""
    created_at = from_iso(props.get("created_at"))
    if created_at is None:
        raise ValueError(f"interview {props.get('interview_id')} has no created_at")
    return Interview(
        interview_id=str(props["interview_id"]),
        project_id=str(props["project_id"]),
        project_name=project_name,
        title=str(props["title"]),
        source=str(props["source"]),
        filename=str(props["filename"]),
        language=str(props["language"]),
        content_sha256=str(props["content_sha256"]),
        status=InterviewStatus(props["status"]),
        created_at=created_at,
        date=props.get("date"),
        participants=tuple(props.get("participants") or ()),
    )


def interview_summary(row: Sequence[Any]) -> InterviewSummary:
    """Row of the interview listing (reads.list_interviews) -> summary."""
    return InterviewSummary(
        interview_id=str(row[0]),
        project_id=str(row[1]),
        project_name=str(row[2]),
        title=str(row[3]),
        filename=str(row[4]),
        status=str(row[5]),
        sentence_count=int(row[6]),
        analysis_count=int(row[7]),
        created_at=None if row[8] is None else str(row[8]),
        date=None if row[9] is None else str(row[9]),
        participants=tuple(str(name) for name in row[10] or ()),
    )


def sentence_views(
    sentence_rows: Iterable[Sequence[Any]],
    analysis_rows: Iterable[Sequence[Any]],
    dimension_rows: Iterable[Sequence[Any]],
) -> list[SentenceView]:
    """Rows of GET_SENTENCES, GET_ANALYSES and GET_ANALYSIS_DIMENSIONS -> views in sequence
    order, the analyses of a sentence ordered by (model, model_version, analysis_id)."""
    sentences = [_sentence(*row) for row in sentence_rows]
    dimensions: dict[str, list[DimensionRow]] = {}
    for analysis_id, rel_type, rank, level, target in dimension_rows:
        key = str(analysis_id)
        found = dimensions.get(key)
        if found is None:
            found = dimensions[key] = []
        found.append((str(rel_type), rank, level, str(target)))
    sentence_by_id = {s.sentence_id: s for s in sentences}
    analyses_of: dict[str, list[Analysis]] = {}
    no_dimensions: list[DimensionRow] = []
    for sentence_id, analysis_id, model, version, created_at, keys, values in analysis_rows:
        sentence = sentence_by_id.get(str(sentence_id))
        if sentence is None:
            continue
        analysis = _analysis(
            analysis_id, model, version, created_at, keys, values, sentence,
            dimensions.get(str(analysis_id), no_dimensions),
        )  # fmt: skip
        found_analyses = analyses_of.get(sentence.sentence_id)
        if found_analyses is None:
            analyses_of[sentence.sentence_id] = [analysis]
        else:
            found_analyses.append(analysis)
    return [
        SentenceView(sentence=s, analyses=_in_model_order(analyses_of.get(s.sentence_id)))
        for s in sentences
    ]


def _sentence(
    sentence_id: Any, interview_id: Any, sequence_order: Any, text: Any, speaker: Any,
    start_ms: Any, end_ms: Any, start_char: Any, end_char: Any,
) -> Sentence:  # fmt: skip
    return Sentence(
        sentence_id=str(sentence_id),
        interview_id=str(interview_id),
        sequence_order=int(sequence_order),
        text=str(text),
        speaker=speaker,
        start_ms=start_ms,
        end_ms=end_ms,
        start_char=int(start_char),
        end_char=int(end_char),
    )


def _first(item: tuple[int, Any]) -> int:
    return item[0]


def _by_rank_then_text(ranked: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple([text for _, text in sorted(ranked)]) if ranked else ()


def _analysis(
    analysis_id: Any,
    model: Any,
    model_version: Any,
    created_at: Any,
    confidence_keys: Any,
    confidence_values: Any,
    sentence: Sentence,
    dimension_rows: Iterable[DimensionRow],
) -> Analysis:
    """An Analysis from its node's values and its dimension relationships."""
    single: dict[str, str] = {}
    topics: list[tuple[int, TopicMention]] = []
    keywords: list[tuple[int, str]] = []
    domain_keywords: list[tuple[int, str]] = []
    for rel_type, rank, level, target in dimension_rows:
        order = rank or 0
        if rel_type == "MENTIONS_TOPIC":
            topics.append((order, TopicMention(name=target, level=int(level or 0))))
        elif rel_type == "MENTIONS_OVERALL_KEYWORD":
            keywords.append((order, target))
        elif rel_type == "MENTIONS_DOMAIN_KEYWORD":
            domain_keywords.append((order, target))
        else:
            single[rel_type] = target
    keys = confidence_keys or []
    values = confidence_values or []
    return Analysis(
        analysis_id=str(analysis_id),
        sentence_id=sentence.sentence_id,
        interview_id=sentence.interview_id,
        sequence_order=sentence.sequence_order,
        model=str(model),
        model_version=str(model_version),
        function_type=single.get("HAS_FUNCTION", ""),
        structure_type=single.get("HAS_STRUCTURE", ""),
        purpose=single.get("HAS_PURPOSE", ""),
        topics=tuple([t for _, t in sorted(topics, key=_first)]) if topics else (),
        overall_keywords=_by_rank_then_text(keywords),
        domain_keywords=_by_rank_then_text(domain_keywords),
        confidence={str(k): float(v) for k, v in zip(keys, values, strict=True)},
        created_at=from_iso(created_at),
    )


def _model_order(analysis: Analysis) -> tuple[str, str, str]:
    return (analysis.model, analysis.model_version, analysis.analysis_id)


def _in_model_order(analyses: list[Analysis] | None) -> tuple[Analysis, ...]:
    if not analyses:
        return ()
    if len(analyses) == 1:
        return (analyses[0],)
    return tuple(sorted(analyses, key=_model_order))
