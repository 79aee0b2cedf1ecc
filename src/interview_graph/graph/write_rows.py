"""Domain objects -> the rows both graph backends write (the UNWIND rows of their writes).

Rows are flat: an analysis' dimension targets travel as one list of names per dimension (the
relationship's rank is the position) with one confidence for all of them, not as one map per
target, which is fewer values to encode, send and parse per row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from interview_graph.domain.model import Analysis, Interview, Sentence
from interview_graph.graph.values import storable_float, to_iso
from interview_graph.search import words as search_words

Row = dict[str, Any]


def require_ids(**ids: str) -> None:
    """Ids are MERGE keys under unique constraints: an empty one is a caller bug (and crashes
    FalkorDB's constraint check), so it is refused before reaching a database."""
    empty = sorted(name for name, value in ids.items() if not value)
    if empty:
        raise ValueError(f"empty id(s) {', '.join(empty)}: ids must be non-empty strings")


def interview_params(interview: Interview) -> Row:
    require_ids(project_id=interview.project_id, interview_id=interview.interview_id)
    return {
        "project_id": interview.project_id,
        "project_name": interview.project_name,
        "interview_id": interview.interview_id,
        "title": interview.title,
        "source": interview.source,
        "filename": interview.filename,
        "language": interview.language,
        "status": str(interview.status),
        "content_sha256": interview.content_sha256,
        "created_at": to_iso(interview.created_at),
        "date": interview.date,
        "participants": list(interview.participants),
    }


def sentence_row(sentence: Sentence, *, index_text: bool = False) -> Row:
    """With `index_text`, the row also holds `search_text`, what a full-text index reading
    it rather than the text finds the sentence by (graph.cypher.fulltext)."""
    require_ids(sentence_id=sentence.sentence_id, interview_id=sentence.interview_id)
    row = {
        "sentence_id": sentence.sentence_id,
        "interview_id": sentence.interview_id,
        "sequence_order": sentence.sequence_order,
        "text": sentence.text,
        "speaker": sentence.speaker,
        "start_ms": sentence.start_ms,
        "end_ms": sentence.end_ms,
        "start_char": sentence.start_char,
        "end_char": sentence.end_char,
    }
    if index_text:
        row["search_text"] = search_words.index_text(sentence.text)
    return row


def follows_links(rows: Sequence[Mapping[str, Any]]) -> tuple[list[Row], list[Row], list[Row]]:
    """Split a batch's FOLLOWS work: (pairs inside the batch, linked by id; heads whose
    predecessor is outside the batch; tails whose successor is outside the batch).

    Heads and tails need a lookup by (interview_id, sequence_order), which links batches also
    when they are written out of order; pairs by id are the cheap common case.
    """
    by_order = {(row["interview_id"], row["sequence_order"]): row for row in rows}
    pairs: list[Row] = []
    heads: list[Row] = []
    tails: list[Row] = []
    for (interview_id, order), row in by_order.items():
        ref = {
            "sentence_id": row["sentence_id"],
            "interview_id": interview_id,
            "sequence_order": order,
        }
        previous = by_order.get((interview_id, order - 1))
        if previous is not None:
            pairs.append(
                {"sentence_id": row["sentence_id"], "previous_id": previous["sentence_id"]}
            )
        elif order > 0:
            heads.append(ref)
        if (interview_id, order + 1) not in by_order:
            tails.append(ref)
    return pairs, heads, tails


def analysis_write_row(analysis: Analysis) -> Row:
    """One UNWIND row of the graph writers: the Analysis node's properties plus its dimension
    targets, flat. Each float is made storable once, then looked up."""
    require_ids(analysis_id=analysis.analysis_id, sentence_id=analysis.sentence_id)
    stored = {key: storable_float(value) for key, value in analysis.confidence.items()}
    keys = sorted(stored)
    get = stored.get
    function_confidence = get("function")
    structure_confidence = get("structure")
    return {
        "analysis_id": analysis.analysis_id,
        "sentence_id": analysis.sentence_id,
        "model": analysis.model,
        "model_version": analysis.model_version,
        "confidence": storable_float(analysis.overall_confidence),
        "confidence_keys": keys,
        "confidence_values": [stored[k] for k in keys],
        "created_at": to_iso(analysis.created_at),
        "function_type": analysis.function_type,
        "function_confidence": (
            get("function_type") if function_confidence is None else function_confidence
        ),
        "structure_type": analysis.structure_type,
        "structure_confidence": (
            get("structure_type") if structure_confidence is None else structure_confidence
        ),
        "purpose": analysis.purpose,
        "purpose_confidence": get("purpose"),
        "topics": [t.name for t in analysis.topics],
        "topic_levels": [t.level for t in analysis.topics],
        "topic_confidence": get("topics"),
        "keywords": list(analysis.overall_keywords),
        "keyword_confidence": get("keywords"),
        "domain_keywords": list(analysis.domain_keywords),
        "domain_keyword_confidence": get("domain_keywords"),
    }


def rel_signature(rel_type: str, target_key: str, rank: int | None) -> str:
    """Identity of a dimension relationship; the Cypher builds the same text from the graph."""
    return f"{rel_type}|{'' if rank is None else rank}|{target_key}"


def write_row_keep(row: Mapping[str, Any]) -> list[str]:
    """The relationship signatures (rel_signature) of an analysis_write_row."""
    return [
        rel_signature("HAS_FUNCTION", row["function_type"], None),
        rel_signature("HAS_STRUCTURE", row["structure_type"], None),
        rel_signature("HAS_PURPOSE", row["purpose"], None),
        *(rel_signature("MENTIONS_TOPIC", name, n) for n, name in enumerate(row["topics"])),
        *(
            rel_signature("MENTIONS_OVERALL_KEYWORD", text, n)
            for n, text in enumerate(row["keywords"])
        ),
        *(
            rel_signature("MENTIONS_DOMAIN_KEYWORD", text, n)
            for n, text in enumerate(row["domain_keywords"])
        ),
    ]
