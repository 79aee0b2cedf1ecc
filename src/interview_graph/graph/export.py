"""The canonical export: every node and relationship as a record, in one fixed order, and the
JSONL line `interview-graph export` writes for each.

Records leave out volatile timestamps and nulls and come in one order (the shared nodes, then
interview after interview), so two graphs holding the same facts, on either backend, export
byte-identical lines.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from interview_graph.graph.schema import (
    INDEX_PROPERTIES,
    NODE_KEYS,
    REL_ENDPOINTS,
    VOLATILE_PROPERTIES,
)

# Nodes that belong to one interview, and the ones interviews share (projects, source files
# and the vocabularies of the analyses), in export order.
INTERVIEW_LABELS: tuple[str, ...] = ("Analysis", "Interview", "Sentence")
SHARED_LABELS: tuple[str, ...] = tuple(sorted(set(NODE_KEYS) - set(INTERVIEW_LABELS)))

_LEFT_OUT = VOLATILE_PROPERTIES | INDEX_PROPERTIES

# Runs one read statement; its rows.
ReadRows = Callable[[str, Mapping[str, Any]], Awaitable[list[list[Any]]]]


def to_jsonl_line(record: Mapping[str, Any]) -> str:
    """One line of `interview-graph export --format jsonl`, without its newline: keys sorted,
    non-ASCII text as is, json's default separators."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


def canonical_properties(props: Mapping[str, Any]) -> dict[str, Any]:
    """Sorted properties without volatile timestamps or index properties; lists made plain."""
    return {
        key: list(value) if isinstance(value, list | tuple) else value
        for key, value in sorted(props.items())
        if key not in _LEFT_OUT and value is not None
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
    """Order of one interview's relationships of one type: (start key, end key, properties)."""
    return sorted(
        records,
        key=lambda r: (r["start"][1], r["end"][1], json.dumps(r["properties"], sort_keys=True)),
    )


@dataclass(frozen=True, slots=True)
class ExportStatements:
    """The reads of an export. Each returns plain rows: nodes as (key, properties),
    relationships as (start key, end key, properties)."""

    # (label, scoped to $interview_id) -> all its nodes, or those the interview uses.
    shared_nodes: Mapping[tuple[str, bool], str]
    # Every interview's id.
    interview_ids: str
    # Label -> the nodes of interview $interview_id.
    interview_nodes: Mapping[str, str]
    # Relationship type -> the relationships of interview $interview_id.
    interview_relationships: Mapping[str, str]


async def export_records(
    read: ReadRows, statements: ExportStatements, interview_id: str | None
) -> AsyncIterator[dict[str, Any]]:
    """Stream canonical records: the shared nodes (all of them, or those the interview uses)
    by label and key; then, interview after interview by id, its nodes by label and key and
    its relationships by type, start, end and properties.

    Sorting happens here, one interview (or one shared label) at a time, so memory and time
    grow with the largest interview, never with the whole graph: the databases cannot hand
    out a million keys in order without sorting them all on every page."""
    scoped = interview_id is not None
    scope = {"interview_id": interview_id} if scoped else {}
    for label in SHARED_LABELS:
        rows = await read(statements.shared_nodes[(label, scoped)], scope)
        for record in _node_records(label, rows):
            yield record
    if interview_id is not None:
        interview_ids = [interview_id]
    else:
        interview_ids = sorted(str(row[0]) for row in await read(statements.interview_ids, {}))
    for current in interview_ids:
        async for record in _interview_records(read, statements, current):
            yield record


async def _interview_records(
    read: ReadRows, statements: ExportStatements, interview_id: str
) -> AsyncIterator[dict[str, Any]]:
    scope = {"interview_id": interview_id}
    for label in INTERVIEW_LABELS:
        rows = await read(statements.interview_nodes[label], scope)
        for record in _node_records(label, rows):
            yield record
    for rel_type in sorted(REL_ENDPOINTS):
        rows = await read(statements.interview_relationships[rel_type], scope)
        page = [relationship_record(rel_type, str(s), str(e), p) for s, e, p in rows]
        for record in sort_relationship_records(page):
            yield record


def _node_records(label: str, rows: list[list[Any]]) -> list[dict[str, Any]]:
    """(key, properties) rows of one label as records, by key."""
    return [
        node_record(label, str(key), props)
        for key, props in sorted(rows, key=lambda row: str(row[0]))
    ]
