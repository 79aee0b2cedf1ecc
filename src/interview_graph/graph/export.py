"""The canonical export: every node and relationship as a record, in one fixed order, and the
JSONL line `interview-graph export` writes for each.

Records leave out volatile timestamps and nulls and sort everything, so two graphs holding the
same facts, on either backend, export byte-identical lines.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from interview_graph.graph.schema import ID_LABELS, NODE_KEYS, REL_ENDPOINTS, VOLATILE_PROPERTIES

# Runs one read statement; its rows.
ReadRows = Callable[[str, Mapping[str, Any]], Awaitable[list[list[Any]]]]

PAGE_SIZE = 2000


def to_jsonl_line(record: Mapping[str, Any]) -> str:
    """One line of `interview-graph export --format jsonl`, without its newline: keys sorted,
    non-ASCII text as is, json's default separators."""
    return json.dumps(record, ensure_ascii=False, sort_keys=True)


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


async def export_records(
    read: ReadRows,
    export_nodes: Mapping[tuple[str, bool], str],
    export_rels: Mapping[tuple[str, bool], str],
    interview_id: str | None,
    page_size: int = PAGE_SIZE,
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
                rows = await read(query, {**scope, "after": after, "limit": page_size})
                for key, props in rows:
                    yield node_record(label, str(key), props)
                if len(rows) < page_size:
                    break
                after = str(rows[-1][0])
        else:
            rows = await read(query, scope)
            for key, props in sorted(rows, key=lambda row: str(row[0])):
                yield node_record(label, str(key), props)
    for rel_type in sorted(REL_ENDPOINTS):
        query = export_rels[(rel_type, scoped)]
        after = ""
        while True:
            rows = await read(query, {**scope, "after": after, "limit": page_size})
            page = [relationship_record(rel_type, str(s), str(e), p) for s, e, p in rows]
            for record in sort_relationship_records(page):
                yield record
            starts = {str(row[0]) for row in rows}
            if len(starts) < page_size:
                break
            after = max(starts)
