"""Envelope <-> JSON, shared by every backend so all three store byte-identical documents.

The event's data is one JSON document; every other envelope field goes into a metadata JSON
document. KurrentDB's conventional `$correlationId` / `$causationId` keys are added so the
server's `$by_correlation_id` projection works; the SQL stores keep them too (harmless).
`version` and `position` are never stored in the documents: the store owns them.
"""

from __future__ import annotations

import functools
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import ValidationError

from interview_graph.domain.events import (
    DATA_MODELS,
    SCHEMA_VERSION,
    Actor,
    AggregateType,
    DomainEvent,
)
from interview_graph.events.port import EncodedEvent, EventStoreError, StorableEvent

_STORE_OWNED = frozenset({"data", "version", "position"})
_ENVELOPE_FIELDS = frozenset(DomainEvent.model_fields) - _STORE_OWNED


def to_json(value: Any) -> str:
    """Compact UTF-8 JSON; control characters are escaped, so no NUL reaches a database.

    orjson writes the same text as json.dumps(ensure_ascii=False, compact) except float
    exponents (1e-7, not 1e-07). It writes NaN and infinity as null, so they are refused
    first, as json.dumps(allow_nan=False) does.
    """
    require_finite(value)
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def dumps_json_data(value: dict[str, Any]) -> str:
    """`to_json` for data already in JSON form: string keys only and no NaN or infinity (the
    domain's event drafts guarantee both). It writes the same text without the walk that
    refuses NaN, and without the option for non-string keys, which such data never has."""
    return orjson.dumps(value).decode()


def require_finite(value: Any) -> None:
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError(f"out of range float values are not JSON compliant: {value}")
    elif isinstance(value, dict):
        for item in value.values():
            require_finite(item)
    elif isinstance(value, list | tuple):
        for item in value:
            require_finite(item)


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
    """The stored documents as a validated DomainEvent; EventStoreError when they are not one.

    Documents in the canonical form the encoders write take a fast path (see `_canonical`)
    that yields exactly what full validation yields; anything else is fully validated, so an
    unusual or corrupt event gets pydantic's precise message.
    """
    try:
        metadata = _loads_metadata(metadata_json)
        data = json.loads(data_json)
        if not isinstance(metadata, dict):
            raise ValueError(f"metadata is a JSON {type(metadata).__name__}, not an object")
        fields = {k: v for k, v in metadata.items() if k in _ENVELOPE_FIELDS}
        event = _canonical(fields, data, version, position)
        if event is not None:
            return event
        return DomainEvent.model_validate(
            {**fields, "data": data, "version": version, "position": position}
        )
    except (ValueError, ValidationError) as exc:
        raise EventStoreError(
            f"stored event at position {position} cannot be read as a domain event: {exc}"
        ) from None


# orjson reads an integer beyond 64 bits as a float, where json.loads keeps it exact.
_PLAIN = (str, int, bool, type(None))


def _loads_metadata(document: str | bytes) -> Any:
    """json.loads of an envelope, by the faster orjson when that is surely the same: an
    object of strings, integers and flat objects of strings (the actor), where no integer
    can have turned into a float. Anything else is read by json.loads."""
    try:
        value = orjson.loads(document)
    except orjson.JSONDecodeError:
        return json.loads(document)
    if type(value) is not dict:
        return json.loads(document)
    for item in value.values():
        if type(item) not in _PLAIN and not (
            type(item) is dict and all(type(inner) in _PLAIN for inner in item.values())
        ):
            return json.loads(document)
    return value


# ---------------------------------------------------------------- the fast path of decode
# Reading the log back (verify, rebuild) decodes every event, and full validation spends most
# of that in Python validators (five UUIDs, the timestamp, the data validated inside the
# envelope's validator). Each check below accepts only values that full validation would keep
# unchanged (a canonical lowercase UUID, an ISO timestamp with an offset, exact JSON types), so
# building the event from them gives an equal event; the data is still validated by its typed
# model. Any value outside that narrow form returns None: the caller then validates fully.

_UUID_MATCH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch
_ISO_WITH_OFFSET = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})"
).fullmatch
_AGGREGATE_TYPES = {member.value: member for member in AggregateType}
_ACTOR_KEYS = frozenset(Actor.model_fields)
_REQUIRED_IDS = ("event_id", "aggregate_id", "correlation_id")
_OPTIONAL_IDS = ("causation_id", "project_id")


def _canonical_ids(fields: dict[str, Any]) -> bool:
    """UUIDs already in the form `_require_uuid` returns (lowercase, hyphenated)."""
    for key in _REQUIRED_IDS:
        value = fields.get(key)
        if type(value) is not str or _UUID_MATCH(value) is None:
            return False
    for key in _OPTIONAL_IDS:
        value = fields.get(key)
        if value is not None and (type(value) is not str or _UUID_MATCH(value) is None):
            return False
    return True


def _utc(value: Any) -> datetime | None:
    if type(value) is not str or _ISO_WITH_OFFSET(value) is None:
        return None
    try:
        return datetime.fromisoformat(value).astimezone(UTC)
    except ValueError:
        return None


@functools.lru_cache(maxsize=256)
def _actor(items: tuple[tuple[str, str | None], ...]) -> Actor | None:
    """Events of one run share their actor: validated once, then reused (it is frozen)."""
    try:
        return Actor.model_validate(dict(items))
    except ValidationError:
        return None


def _actor_of(value: Any) -> Actor | None:
    if type(value) is not dict or not value.keys() <= _ACTOR_KEYS:
        return None
    if not all(item is None or type(item) is str for item in value.values()):
        return None
    return _actor(tuple(sorted(value.items())))


def _is_count(value: Any, minimum: int) -> bool:
    return type(value) is int and value >= minimum


def _canonical(
    fields: dict[str, Any], data: Any, version: Any, position: Any
) -> DomainEvent | None:
    """The event, when every field is in its canonical form and the data is valid; else None."""
    event_type = fields.get("event_type")
    schema_version = fields.get("schema_version", SCHEMA_VERSION)
    if (
        type(data) is not dict
        or type(event_type) is not str
        or not event_type
        or not _is_count(schema_version, 1)
        or type(fields.get("source", "")) is not str
        or not (version is None or _is_count(version, 0))
        or not (position is None or _is_count(position, 0))
        or not _canonical_ids(fields)
    ):
        return None
    aggregate_type = _AGGREGATE_TYPES.get(fields.get("aggregate_type"))  # type: ignore[arg-type]
    occurred_at = _utc(fields.get("occurred_at"))
    actor = _actor_of(fields.get("actor"))
    if aggregate_type is None or occurred_at is None or actor is None:
        return None
    model = DATA_MODELS.get(event_type)
    if model is not None and schema_version == SCHEMA_VERSION:
        try:
            model.model_validate(data)
        except ValidationError:
            return None  # full validation words the error
    fields.update(
        aggregate_type=aggregate_type,
        occurred_at=occurred_at,
        actor=actor,
        data=data,
        version=version,
        position=position,
    )
    return _construct(fields)


_FIELD_NAMES = tuple(DomainEvent.model_fields)
_DEFAULTS = {
    name: field.get_default()
    for name, field in DomainEvent.model_fields.items()
    if not field.is_required()
}
_set = object.__setattr__


def _construct(values: dict[str, Any]) -> DomainEvent:
    """What `DomainEvent.model_construct(**values)` builds (fields in declaration order,
    defaults filled, the given names as fields set), without its per-field alias handling,
    which the canonical form never needs. The unit tests hold it equal to full validation."""
    event = DomainEvent.__new__(DomainEvent)
    _set(event, "__dict__", {n: values[n] if n in values else _DEFAULTS[n] for n in _FIELD_NAMES})
    _set(event, "__pydantic_fields_set__", set(values))
    _set(event, "__pydantic_extra__", None)
    _set(event, "__pydantic_private__", None)
    return event
