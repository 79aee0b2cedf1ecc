"""How the SQLite outbox packs the events of one graph write into one text payload.

"L\n" + the events' fields joined by newlines, FIELDS per event. JSON documents written
without indent never hold a raw newline, and ids, streams and types never do, so splitting
is exact; packing checks the count and falls back to "J" + a JSON array whenever some field
does hold a newline. Packed into one row, a graph write's events are written, flipped and
deleted once, however many they are.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence

from interview_graph.dualwrite.outbox_port import NewOutboxEvent

FIELDS = 8  # stream, event_id, event_type, correlation_id, metadata, data, kind, subject
PackedRow = tuple[str, str, str, str, str, str, str, str]


def pack(events: Sequence[NewOutboxEvent]) -> str:
    fields = [
        value
        for e in events
        for value in (
            e.stream, e.event_id, e.event_type, e.correlation_id,
            e.metadata_json, e.data_json, e.subject_kind, e.subject_id,
        )
    ]  # fmt: skip
    lines = "L\n" + "\n".join(fields)
    if lines.count("\n") == len(fields):
        return lines
    return "J" + json.dumps(fields, ensure_ascii=False, separators=(",", ":"))


def unpack(payload: str) -> list[PackedRow]:
    if payload.startswith("L\n"):
        fields = payload[2:].split("\n")
    elif payload.startswith("J"):
        fields = json.loads(payload[1:])
    else:
        raise ValueError(f"unknown outbox payload format {payload[:1]!r}")
    if len(fields) % FIELDS:
        raise ValueError(f"outbox payload holds {len(fields)} fields, not a multiple of {FIELDS}")
    groups = [iter(fields)] * FIELDS
    return list(zip(*groups, strict=True))


def type_counts(events: Iterable[NewOutboxEvent]) -> str:
    """A batch's events per type, kept beside it so `status` never unpacks a payload."""
    return json.dumps(Counter(e.event_type for e in events), sort_keys=True)


def rows_to_new_events(rows: Iterable[PackedRow]) -> list[NewOutboxEvent]:
    return [NewOutboxEvent(*row) for row in rows]
