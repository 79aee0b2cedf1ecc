"""One interview, as the log says and as the graph holds it -> every difference, field by field.

When an interview (or a sentence) is missing on one side, its sentences (analyses) missing on
the same side are counted in that one difference instead of being listed one by one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from interview_graph.domain.model import Analysis, Interview, Sentence
from interview_graph.graph.port import SentenceView
from interview_graph.graph.values import storable_float
from interview_graph.projection.differences import (
    FIELD_DIFFERS,
    MISSING_IN_GRAPH,
    MISSING_IN_LOG,
    Difference,
    plain,
)
from interview_graph.projection.event_log import LogInterview

INTERVIEW_FIELDS: tuple[str, ...] = (
    "project_id", "project_name", "title", "source", "filename", "language", "content_sha256",
    "status", "date", "participants",
)  # fmt: skip
SENTENCE_FIELDS: tuple[str, ...] = (
    "interview_id", "sequence_order", "text", "speaker", "start_ms", "end_ms", "start_char",
    "end_char",
)  # fmt: skip
ANALYSIS_FIELDS: tuple[str, ...] = (
    "sentence_id", "interview_id", "sequence_order", "model", "model_version", "function_type",
    "structure_type", "purpose", "topics", "overall_keywords", "domain_keywords", "confidence",
)  # fmt: skip


def _comparable(name: str, value: Any) -> Any:
    """The form a field is compared and reported in: plain values, and the confidence map as
    the graph stores it (15 significant digits), so a stored double equals its source."""
    if name == "confidence":
        value = {k: storable_float(v) for k, v in value.items()}
    return plain(value)


def _field_differences(
    entity: str, interview_id: str, entity_id: str, fields: Sequence[str], graph: Any, log: Any
) -> list[Difference]:
    """Values that are equal as they are are equal in comparable form too: only the fields
    that differ at first sight (rare) are converted and compared again."""
    found = []
    for name in fields:
        graph_value, log_value = getattr(graph, name), getattr(log, name)
        if graph_value == log_value:
            continue
        graph_value, log_value = _comparable(name, graph_value), _comparable(name, log_value)
        if graph_value != log_value:
            found.append(
                Difference(
                    FIELD_DIFFERS, entity, interview_id, entity_id, name, graph_value, log_value
                )
            )
    return found


@dataclass(slots=True)
class InterviewComparison:
    differences: list[Difference] = field(default_factory=list)
    sentences: int = 0
    analyses: int = 0


def compare_interview(
    interview_id: str,
    logged: LogInterview | None,
    graph_interview: Interview | None,
    views: Sequence[SentenceView],
) -> InterviewComparison:
    """Every difference between what the log says and what the graph holds for one interview."""
    logged = logged or LogInterview(interview_id)
    result = InterviewComparison()
    log_interview = logged.current
    graph_sentences = {v.sentence.sentence_id: v.sentence for v in views}
    graph_analyses = {a.analysis_id: a for v in views for a in v.analyses}
    log_analyses = logged.analyses
    result.sentences = len(graph_sentences.keys() | logged.sentences.keys())
    result.analyses = len(graph_analyses.keys() | log_analyses.keys())
    out = result.differences
    if log_interview is None and graph_interview is not None:
        out.append(_missing(MISSING_IN_LOG, interview_id, graph_sentences, graph_analyses))
    elif graph_interview is None and log_interview is not None:
        out.append(_missing(MISSING_IN_GRAPH, interview_id, logged.sentences, log_analyses))
    elif graph_interview is not None and log_interview is not None:
        out.extend(
            _field_differences(
                "Interview", interview_id, interview_id, INTERVIEW_FIELDS, graph_interview,
                log_interview,
            )
        )  # fmt: skip
    interview_missing_in = _side_missing(log_interview, graph_interview)
    out.extend(
        _compare_children(
            "Sentence", interview_id, graph_sentences, logged.sentences, SENTENCE_FIELDS,
            interview_missing_in,
        )
    )  # fmt: skip
    sentence_missing_in = {
        **{sid: MISSING_IN_LOG for sid in graph_sentences.keys() - logged.sentences.keys()},
        **{sid: MISSING_IN_GRAPH for sid in logged.sentences.keys() - graph_sentences.keys()},
    }
    out.extend(
        _compare_analyses(
            interview_id, graph_analyses, log_analyses, interview_missing_in, sentence_missing_in
        )
    )
    return result


def _side_missing(log_value: object | None, graph_value: object | None) -> str | None:
    if log_value is None and graph_value is not None:
        return MISSING_IN_LOG
    if graph_value is None and log_value is not None:
        return MISSING_IN_GRAPH
    return None


def _missing(
    kind: str,
    interview_id: str,
    sentences: Mapping[str, Sentence],
    analyses: Mapping[str, Analysis],
) -> Difference:
    return Difference(
        kind=kind,
        entity="Interview",
        interview_id=interview_id,
        entity_id=interview_id,
        detail=f"with {len(sentences)} sentence(s) and {len(analyses)} analysis(es) on that side",
    )


def _compare_children(
    entity: str,
    interview_id: str,
    graph_items: Mapping[str, Any],
    log_items: Mapping[str, Any],
    fields: Sequence[str],
    parent_missing_in: str | None,
) -> list[Difference]:
    found: list[Difference] = []
    for item_id in sorted(
        graph_items.keys() | log_items.keys(), key=_order_key(graph_items, log_items)
    ):
        graph_item, log_item = graph_items.get(item_id), log_items.get(item_id)
        if graph_item is not None and log_item is not None:
            found.extend(
                _field_differences(entity, interview_id, item_id, fields, graph_item, log_item)
            )
            continue
        missing_in = MISSING_IN_LOG if log_item is None else MISSING_IN_GRAPH
        if missing_in == parent_missing_in:
            continue  # counted in the parent's difference
        present = graph_item if graph_item is not None else log_item
        found.append(
            Difference(
                missing_in, entity, interview_id, item_id,
                detail=f"sequence_order {getattr(present, 'sequence_order', '?')}",
            )
        )  # fmt: skip
    return found


def _order_key(*sides: Mapping[str, Any]) -> Any:
    def key(item_id: str) -> tuple[int, str]:
        for side in sides:
            item = side.get(item_id)
            if item is not None:
                return (int(getattr(item, "sequence_order", 0)), item_id)
        return (0, item_id)

    return key


def _compare_analyses(
    interview_id: str,
    graph_analyses: Mapping[str, Analysis],
    log_analyses: Mapping[str, Analysis],
    interview_missing_in: str | None,
    sentence_missing_in: Mapping[str, str],
) -> list[Difference]:
    found: list[Difference] = []
    for analysis_id in sorted(
        graph_analyses.keys() | log_analyses.keys(), key=_order_key(graph_analyses, log_analyses)
    ):
        graph_item, log_item = graph_analyses.get(analysis_id), log_analyses.get(analysis_id)
        if graph_item is not None and log_item is not None:
            found.extend(
                _field_differences(
                    "Analysis", interview_id, analysis_id, ANALYSIS_FIELDS, graph_item, log_item
                )
            )
            continue
        present = graph_item if graph_item is not None else log_item
        assert present is not None
        missing_in = MISSING_IN_LOG if log_item is None else MISSING_IN_GRAPH
        if missing_in in (interview_missing_in, sentence_missing_in.get(present.sentence_id)):
            continue  # counted in the interview's or the sentence's difference
        found.append(
            Difference(
                missing_in, "Analysis", interview_id, analysis_id,
                detail=f"sentence {present.sentence_id}, sequence_order {present.sequence_order}, "
                f"model {present.model} {present.model_version}",
            )
        )  # fmt: skip
    return found
