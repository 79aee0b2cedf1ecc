"""Envelope <-> JSON, shared by every backend so all three store byte-identical documents.

The event's data is one JSON document; every other envelope field goes into a metadata JSON
document. KurrentDB's conventional `$correlationId` / `$causationId` keys are added so the
server's `$by_correlation_id` projection works; the SQL stores keep them too (harmless).
`version` and `position` are never stored in the documents: the store owns them.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from interview_graph.domain.events import DomainEvent
from interview_graph.events.port import EncodedEvent, EventStoreError, StorableEvent

_STORE_OWNED = frozenset({"data", "version", "position"})
_ENVELOPE_FIELDS = frozenset(DomainEvent.model_fields) - _STORE_OWNED


def to_json(value: Any) -> str:
    """Compact UTF-8 JSON; control characters are escaped, so no NUL reaches a database."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def encode_metadata(event: DomainEvent) -> dict[str, Any]:
    metadata = event.model_dump(mode="json", exclude=set(_STORE_OWNED))
    metadata["$correlationId"] = event.correlation_id
    if event.causation_id is not None:
        metadata["$causationId"] = event.causation_id
    return metadata


def encode(event: StorableEvent) -> tuple[str, str]:
    """(metadata JSON, data JSON) for one event; raises a clear error for non-JSON data."""
    if isinstance(event, EncodedEvent):
        return event.metadata_json, event.data_json
    try:
        return to_json(encode_metadata(event)), to_json(event.data)
    except (TypeError, ValueError) as exc:
        raise EventStoreError(
            f"event {event.event_id} ({event.event_type}) cannot be stored as JSON: {exc}"
        ) from None


def decode(
    metadata_json: str | bytes,
    data_json: str | bytes,
    *,
    version: int,
    position: int,
) -> DomainEvent:
    try:
        metadata = json.loads(metadata_json)
        data = json.loads(data_json)
        fields = {k: v for k, v in metadata.items() if k in _ENVELOPE_FIELDS}
        return DomainEvent.model_validate(
            {**fields, "data": data, "version": version, "position": position}
        )
    except (ValueError, ValidationError) as exc:
        raise EventStoreError(
            f"stored event at position {position} cannot be read as a domain event: {exc}"
        ) from None
