"""Row <-> domain conversion and canonical export records, shared by both graph backends.

Both backends store exactly the same property values (ISO-8601 UTC strings for timestamps,
floats limited to 15 significant digits), so a graph read back from either yields equal
domain values and the export of the same facts is byte-identical across backends.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from interview_graph.domain.model import (
    Analysis,
    Interview,
    InterviewStatus,
    Sentence,
    TopicMention,
)
from interview_graph.graph.port import InterviewSummary, SentenceView

# Label -> the property that identifies a node of that label (a uniqueness constraint each).
NODE_KEYS: dict[str, str] = {
    "Analysis": "analysis_id",
    "DomainKeyword": "text",
    "FunctionType": "name",
    "Interview": "interview_id",
    "Keyword": "text",
    "Project": "project_id",
    "Purpose": "name",
    "Sentence": "sentence_id",
    "SourceFile": "filename",
    "StructureType": "name",
    "Topic": "name",
}

# Labels whose keys are generated ids (ASCII uuids): exported page by page in database order.
# The other labels are keyed by free text; they are small vocabularies and get sorted in Python
# so that unicode ordering never depends on the database's collation.
ID_LABELS: tuple[str, ...] = ("Analysis", "Interview", "Project", "Sentence")
VOCABULARY_LABELS: tuple[str, ...] = tuple(sorted(set(NODE_KEYS) - set(ID_LABELS)))

# Relationship type -> (start label, end label).
REL_ENDPOINTS: dict[str, tuple[str, str]] = {
    "CONTAINS_INTERVIEW": ("Project", "Interview"),
    "FOLLOWS": ("Sentence", "Sentence"),
    "HAS_ANALYSIS": ("Sentence", "Analysis"),
    "HAS_FUNCTION": ("Analysis", "FunctionType"),
    "HAS_PURPOSE": ("Analysis", "Purpose"),
    "HAS_SENTENCE": ("Interview", "Sentence"),
    "HAS_STRUCTURE": ("Analysis", "StructureType"),
    "MENTIONS_DOMAIN_KEYWORD": ("Analysis", "DomainKeyword"),
    "MENTIONS_OVERALL_KEYWORD": ("Analysis", "Keyword"),
    "MENTIONS_TOPIC": ("Analysis", "Topic"),
    "PART_OF_FILE": ("Sentence", "SourceFile"),
}

# Relationships from an Analysis to its dimension nodes; rewritten as a whole on re-analysis.
DIMENSION_RELS: tuple[str, ...] = (
    "HAS_FUNCTION",
    "HAS_PURPOSE",
    "HAS_STRUCTURE",
    "MENTIONS_DOMAIN_KEYWORD",
    "MENTIONS_OVERALL_KEYWORD",
    "MENTIONS_TOPIC",
)

VOLATILE_PROPERTIES: frozenset[str] = frozenset({"created_at"})


def to_iso(moment: datetime | None) -> str | None:
    """Timestamps are stored as ISO-8601 UTC text in both backends (naive means UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_iso(text: Any) -> datetime | None:
    if text is None:
        return None
    return datetime.fromisoformat(str(text))


# Analyzers repeat a few confidence values: remembered, a value is formatted once, not per row.
_STORABLE: dict[float, float] = {}
_STORABLE_MAX = 4096


def storable_float(value: float) -> float:
    """FalkorDB returns doubles with 15 significant digits; storing no more keeps reads exact."""
    stored = _STORABLE.get(value)
    if stored is None:
        stored = float(f"{value:.15g}")
        # Zero is not remembered: 0.0 == -0.0, and each must keep its own sign.
        if value and len(_STORABLE) < _STORABLE_MAX:
            _STORABLE[value] = stored
    return stored


def require_ids(**ids: str) -> None:
    """Ids are MERGE keys under unique constraints: an empty one is a caller bug (and crashes
    FalkorDB's constraint check), so it is refused before reaching a database."""
    empty = sorted(name for name, value in ids.items() if not value)
    if empty:
        raise ValueError(f"empty id(s) {', '.join(empty)}: ids must be non-empty strings")


def interview_params(interview: Interview) -> dict[str, Any]:
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


def interview_from_row(props: Mapping[str, Any], project_name: str) -> Interview:
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


def sentence_row(sentence: Sentence) -> dict[str, Any]:
    require_ids(sentence_id=sentence.sentence_id, interview_id=sentence.interview_id)
    return {
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


def sentence_from_row(props: Mapping[str, Any]) -> Sentence:
    return Sentence(
        sentence_id=str(props["sentence_id"]),
        interview_id=str(props["interview_id"]),
        sequence_order=int(props["sequence_order"]),
        text=str(props["text"]),
        speaker=props.get("speaker"),
        start_ms=props.get("start_ms"),
        end_ms=props.get("end_ms"),
        start_char=int(props["start_char"]),
        end_char=int(props["end_char"]),
    )


def follows_links(
    rows: Sequence[Mapping[str, Any]],
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    """Split a batch's FOLLOWS work: (pairs inside the batch, linked by id; heads whose
    predecessor is outside the batch; tails whose successor is outside the batch).

    Heads and tails need a lookup by (interview_id, sequence_order), which links batches also
    when they are written out of order; pairs by id are the cheap common case.
    """
    by_order = {(row["interview_id"], row["sequence_order"]): row for row in rows}
    pairs: list[dict[str, Any]] = []
    heads: list[dict[str, Any]] = []
    tails: list[dict[str, Any]] = []
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


def rel_signature(rel_type: str, target_key: str, rank: int | None) -> str:
    """Identity of a dimension relationship; the Cypher builds the same text from the graph."""
    return f"{rel_type}|{'' if rank is None else rank}|{target_key}"


# --- batch write plans, shared by both backends --------------------------------------------
# A batch is split by what the graph already holds: rows whose node is new take the CREATE
# statements (nothing can point at a node that does not exist, so no MERGE on relationships and
# no stale deletes); rows whose node exists (re-processing, or a run that crashed midway) take
# the idempotent MERGE statements. Either way the graph ends up the same.
#
# The write rows are flat (the `*_write_row` functions): a dimension's targets travel as one
# list of names (the relationship's rank is the position) with one confidence for all of them,
# not as one map per target. That is fewer values to encode, send and parse per row.

Statement = tuple[str, Mapping[str, Any]]

# Parameter name of each dimension's distinct values in CREATE_ANALYSES -> (label, key,
# the row field that names the target(s)). Label and key come from the fixed schema tables.
DIMENSION_PARAMS: dict[str, tuple[str, str, str]] = {
    "function_types": ("FunctionType", "name", "function_type"),
    "structure_types": ("StructureType", "name", "structure_type"),
    "purposes": ("Purpose", "name", "purpose"),
    "topics": ("Topic", "name", "topics"),
    "keywords": ("Keyword", "text", "keywords"),
    "domain_keywords": ("DomainKeyword", "text", "domain_keywords"),
}
_SINGLE_DIMENSIONS = ("function_type", "structure_type", "purpose")

# A list dimension's relationships in CREATE_ANALYSES are sent as columns, one entry per
# relationship: `<prefix>_at` (the analysis' position in $rows), `<prefix>_node` (the target's
# position in the dimension's distinct values) and `<prefix>_rank`; topics add `topic_level`.
# Flat integer lists are cheap to encode and to parse, and the server creates the
# relationships in one pass per dimension instead of one nested loop per row.
LINK_COLUMNS: dict[str, str] = {
    "topics": "topic",
    "keywords": "keyword",
    "domain_keywords": "domain_keyword",
}
_LINK_FIELDS = ("at", "node", "rank")
# Row fields that travel as link columns instead.
_ROW_LISTS = frozenset({*LINK_COLUMNS, "topic_levels"})


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """The statements of one batch, run in order.

    `counted`: indexes of statements whose first column counts rows written (summed, it must
    equal the batch size, or rows referred to nodes that are missing). `stale`: indexes of
    statements whose first column counts stale relationships deleted (shared nodes may then be
    orphaned).
    """

    statements: list[Statement]
    counted: frozenset[int]
    stale: frozenset[int] = frozenset()

    def total(self, results: Sequence[Sequence[Sequence[Any]]], which: frozenset[int]) -> int:
        return sum(int(results[i][0][0]) for i in which if results[i])


class WriteCypher(Protocol):
    """The write statements a backend's Cypher module provides (both modules satisfy this)."""

    WRITE_SENTENCES: str
    DELETE_STALE_SOURCE_FILES: str
    LINK_PAIRS: str
    LINK_PREVIOUS: str
    LINK_NEXT: str
    CREATE_SENTENCES: str
    CREATE_PAIRS: str
    DELETE_STALE_DIMENSIONS: str
    WRITE_ANALYSES: str
    CREATE_ANALYSES: str


def analysis_write_row(analysis: Analysis) -> dict[str, Any]:
    """One UNWIND row of the graph writers: the Analysis node's properties plus its dimension
    targets, flat (see above). Each float is made storable once, then looked up."""
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


def split_existing(
    rows: Sequence[dict[str, Any]], key: str, existing: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(rows whose node is new, rows whose node exists); a repeated id counts as existing the
    second time, so one batch never CREATEs the same node twice."""
    new: list[dict[str, Any]] = []
    old: list[dict[str, Any]] = []
    seen = set(existing)
    for row in rows:
        (old if row[key] in seen else new).append(row)
        seen.add(row[key])
    return new, old


def sentence_plan(
    cypher: WriteCypher, rows: Sequence[dict[str, Any]], filename: str, existing: set[str]
) -> BatchPlan:
    """New sentences are CREATEd, one statement per interview, together with their FOLLOWS
    links (inside the batch by position, to the batch's neighbours by lookup); existing ones
    are MERGEd, and only they can have a stale PART_OF_FILE or FOLLOWS links that exist
    already. A link from a new to an existing sentence of the batch cannot exist yet: it is
    CREATEd once both are written."""
    new, old = split_existing(rows, "sentence_id", existing)
    pairs, heads, tails = follows_links(rows)
    groups = _by_interview(new)
    statements: list[Statement] = [
        (
            cypher.CREATE_SENTENCES,
            _create_params(interview_id, group, filename, pairs, heads, tails),
        )
        for interview_id, group in groups.items()
    ]
    if old:
        statements.append((cypher.WRITE_SENTENCES, {"rows": old, "filename": filename}))
    counted = frozenset(range(len(statements)))
    if old:
        ids = [row["sentence_id"] for row in old]
        statements.append((cypher.DELETE_STALE_SOURCE_FILES, {"ids": ids, "filename": filename}))
    new_ids = {row["sentence_id"] for row in new}
    fresh = [p for p in pairs if p["sentence_id"] in new_ids and p["previous_id"] not in new_ids]
    statements += [(cypher.CREATE_PAIRS, {"rows": fresh})] if fresh else []
    for links, merge in (
        (pairs, cypher.LINK_PAIRS),
        (heads, cypher.LINK_PREVIOUS),
        (tails, cypher.LINK_NEXT),
    ):
        known = [link for link in links if link["sentence_id"] not in new_ids]
        statements += [(merge, {"rows": known})] if known else []
    return BatchPlan(statements, counted)


def _by_interview(rows: Sequence[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row["interview_id"], []).append(row)
    return groups


def _create_params(
    interview_id: str,
    rows: list[dict[str, Any]],
    filename: str,
    pairs: Sequence[Mapping[str, Any]],
    heads: Sequence[Mapping[str, Any]],
    tails: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """CREATE_SENTENCES parameters for the new rows of one interview. FOLLOWS links inside the
    batch as two columns of positions in `rows` (`pair_at` follows `pair_previous`); `heads` /
    `tails` {at, order} for a row whose predecessor / successor (at sequence_order `order`) is
    outside the batch."""
    at = {row["sentence_id"]: n for n, row in enumerate(rows)}
    inside = [p for p in pairs if p["sentence_id"] in at and p["previous_id"] in at]
    return {
        "interview_id": interview_id,
        "filename": filename,
        "rows": rows,
        "pair_at": [at[p["sentence_id"]] for p in inside],
        "pair_previous": [at[p["previous_id"]] for p in inside],
        "heads": [
            {"at": at[h["sentence_id"]], "order": h["sequence_order"] - 1}
            for h in heads
            if h["sentence_id"] in at
        ],
        "tails": [
            {"at": at[t["sentence_id"]], "order": t["sequence_order"] + 1}
            for t in tails
            if t["sentence_id"] in at
        ],
    }


def create_analyses_params(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """CREATE_ANALYSES parameters for new analyses: each dimension's distinct values (MERGEd
    once per batch, not once per row); the rows, naming their single-valued dimensions by
    position in those lists; the list dimensions' relationships as columns (LINK_COLUMNS)."""
    tables: dict[str, dict[str, int]] = {field: {} for _, _, field in DIMENSION_PARAMS.values()}
    links: dict[str, list[Any]] = {
        f"{prefix}_{column}": [] for prefix in LINK_COLUMNS.values() for column in _LINK_FIELDS
    }
    links["topic_level"] = []
    out_rows: list[dict[str, Any]] = []
    for at, row in enumerate(rows):
        out = {key: value for key, value in row.items() if key not in _ROW_LISTS}
        for field in _SINGLE_DIMENSIONS:
            table = tables[field]
            out[field] = table.setdefault(row[field], len(table))
        for field, prefix in LINK_COLUMNS.items():
            table = tables[field]
            targets = row[field]
            links[f"{prefix}_at"] += [at] * len(targets)
            links[f"{prefix}_node"] += [table.setdefault(value, len(table)) for value in targets]
            links[f"{prefix}_rank"] += range(len(targets))
        links["topic_level"] += row["topic_levels"]
        out_rows.append(out)
    params: dict[str, Any] = {
        name: list(tables[field]) for name, (_, _, field) in DIMENSION_PARAMS.items()
    }
    params["rows"] = out_rows
    params.update(links)
    return params


def analysis_plan(
    cypher: WriteCypher, rows: Sequence[dict[str, Any]], existing: set[str]
) -> BatchPlan:
    """New analyses: one statement MERGEs the batch's distinct dimension values, then CREATEs
    the analyses and their relationships. Existing ones: stale relationships deleted (only
    their ids and signatures are sent), then MERGEd."""
    new, old = split_existing(rows, "analysis_id", existing)
    statements: list[Statement] = []
    if old:
        keep = [{"analysis_id": row["analysis_id"], "keep": write_row_keep(row)} for row in old]
        statements.append((cypher.DELETE_STALE_DIMENSIONS, {"rows": keep}))
    stale = frozenset(range(len(statements)))
    counted: set[int] = set()
    if new:
        counted.add(len(statements))
        statements.append((cypher.CREATE_ANALYSES, create_analyses_params(new)))
    if old:
        counted.add(len(statements))
        statements.append((cypher.WRITE_ANALYSES, {"rows": old}))
    return BatchPlan(statements, frozenset(counted), stale)


# Column order of GET_SENTENCES and GET_ANALYSES (plain columns, no maps).
SENTENCE_COLUMNS: tuple[str, ...] = (
    "sentence_id", "interview_id", "sequence_order", "text", "speaker", "start_ms", "end_ms",
    "start_char", "end_char",
)  # fmt: skip
ANALYSIS_COLUMNS: tuple[str, ...] = (
    "sentence_id", "analysis_id", "model", "model_version", "created_at", "confidence_keys",
    "confidence_values",
)  # fmt: skip

# (rel type, rank, level, target key) of one dimension relationship.
DimensionRow = tuple[str, int | None, int | None, str]


def analysis_from_rows(
    props: Mapping[str, Any], sentence: Sentence, dimension_rows: Iterable[DimensionRow]
) -> Analysis:
    """Rebuild an Analysis from its node's properties and its dimension relationships."""
    return _analysis(
        props["analysis_id"], props["model"], props["model_version"], props.get("created_at"),
        props.get("confidence_keys"), props.get("confidence_values"), sentence, dimension_rows,
    )  # fmt: skip


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
    """analysis_from_rows on plain values: `verify` rebuilds every analysis of the graph."""
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
        created_at=None if created_at is None else datetime.fromisoformat(str(created_at)),
    )


def canonical_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """Sorted properties without volatile timestamps; lists made plain."""
    return {
        key: list(value) if isinstance(value, list | tuple) else value
        for key, value in sorted(props.items())
        if key not in VOLATILE_PROPERTIES and value is not None
    }


def node_record(label: str, key: str, props: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "node", "label": label, "key": key, "properties": canonical_properties(props)}


def relationship_record(
    rel_type: str, start: str, end: str, props: Mapping[str, Any]
) -> dict[str, Any]:
    start_label, end_label = REL_ENDPOINTS[rel_type]
    return {
        "kind": "relationship",
        "type": rel_type,
        "start": [start_label, start],
        "end": [end_label, end],
        "properties": canonical_properties(props),
    }


def sort_relationship_records(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order within one page of start nodes: (start key, end key, properties)."""
    return sorted(
        records,
        key=lambda r: (r["start"][1], r["end"][1], json.dumps(r["properties"], sort_keys=True)),
    )


def to_jsonl_line(record: Mapping[str, Any]) -> str:
    """The canonical text of one export record (what `export` writes per line)."""
    return json.dumps(record, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- shared read-side assembly (both backends return rows as lists of values) ------------------

RunQuery = Callable[[str, Mapping[str, Any]], Awaitable[list[list[Any]]]]


def interview_summary(row: Sequence[Any]) -> InterviewSummary:
    """Row of LIST_INTERVIEWS -> summary."""
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
    )


def sentence_views(
    sentence_rows: Iterable[Sequence[Any]],
    analysis_rows: Iterable[Sequence[Any]],
    dimension_rows: Iterable[Sequence[Any]],
) -> list[SentenceView]:
    """Rows of GET_SENTENCES, GET_ANALYSES and GET_ANALYSIS_DIMENSIONS -> views in sequence
    order, the analyses of a sentence ordered by (model, model_version, analysis_id).

    Rows are unpacked by position (the column orders above): `verify` reads every sentence
    and analysis of the graph through here."""
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
    """sentence_from_row on the columns of GET_SENTENCES."""
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


def _model_order(analysis: Analysis) -> tuple[str, str, str]:
    return (analysis.model, analysis.model_version, analysis.analysis_id)


def _in_model_order(analyses: list[Analysis] | None) -> tuple[Analysis, ...]:
    if not analyses:
        return ()
    if len(analyses) == 1:
        return (analyses[0],)
    return tuple(sorted(analyses, key=_model_order))


async def export_records(
    run: RunQuery,
    export_nodes: Mapping[tuple[str, bool], str],
    export_rels: Mapping[tuple[str, bool], str],
    interview_id: str | None,
    page_size: int = 2000,
) -> AsyncIterator[dict[str, Any]]:
    """Stream canonical records: nodes by (label, key), then relationships by (type, start,
    end). Id-keyed labels and all relationships are read in pages by key; vocabulary labels
    are small and sorted in Python."""
    scoped = interview_id is not None
    scope = {"interview_id": interview_id} if scoped else {}
    for label in sorted(NODE_KEYS):
        query = export_nodes[(label, scoped)]
        if label in ID_LABELS:
            after = ""
            while True:
                rows = await run(query, {**scope, "after": after, "limit": page_size})
                for key, props in rows:
                    yield node_record(label, str(key), props)
                if len(rows) < page_size:
                    break
                after = str(rows[-1][0])
        else:
            rows = await run(query, scope)
            for key, props in sorted(rows, key=lambda row: str(row[0])):
                yield node_record(label, str(key), props)
    for rel_type in sorted(REL_ENDPOINTS):
        query = export_rels[(rel_type, scoped)]
        after = ""
        while True:
            rows = await run(query, {**scope, "after": after, "limit": page_size})
            page = [relationship_record(rel_type, str(s), str(e), p) for s, e, p in rows]
            for record in sort_relationship_records(page):
                yield record
            starts = {str(row[0]) for row in rows}
            if len(starts) < page_size:
                break
            after = max(starts)
