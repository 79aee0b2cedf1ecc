"""A difference between the graph and the event log, as `verify` reports it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

MISSING_IN_LOG = "missing_in_log"
MISSING_IN_GRAPH = "missing_in_graph"
FIELD_DIFFERS = "field_differs"
INVALID_IN_LOG = "invalid_in_log"
NOT_FOUND = "not_found"


@dataclass(frozen=True, slots=True)
class Difference:
    kind: str
    entity: str
    interview_id: str
    entity_id: str
    field: str | None = None
    graph: Any = None
    log: Any = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "entity": self.entity,
            "interview_id": self.interview_id,
            "id": self.entity_id,
            "field": self.field,
            "graph": self.graph,
            "log": self.log,
            "detail": self.detail,
        }

    def describe(self) -> str:
        what = f"{self.entity} {self.entity_id}"
        if self.kind == FIELD_DIFFERS:
            text = f"{what}: {self.field} differs: graph {self.graph!r}, log {self.log!r}"
        elif self.kind == MISSING_IN_LOG:
            text = f"{what} is in the graph but not in the event log"
        elif self.kind == MISSING_IN_GRAPH:
            text = f"{what} is in the event log but not in the graph"
        elif self.kind == NOT_FOUND:
            text = "is neither in the graph nor in the event log; check the id"
        else:
            text = f"invalid event {self.entity_id} ({self.entity})"
        suffix = f" ({self.detail})" if self.detail else ""
        return f"interview {self.interview_id}: {text}{suffix}"


def plain(value: Any) -> Any:
    """A JSON-ready form of a domain field value, so reports print and serialise the same."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in sorted(value.items())}
    return value
