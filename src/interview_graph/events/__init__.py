"""The event log: domain events in an append-only store (SQLite, PostgreSQL or KurrentDB)."""

from interview_graph.events.port import (
    ANY,
    EXISTS,
    NO_STREAM,
    AppendRequest,
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    EventStoreClosedError,
    EventStoreError,
    EventStoreUnavailableError,
    Expected,
    StreamState,
)

__all__ = [
    "ANY",
    "EXISTS",
    "NO_STREAM",
    "AppendRequest",
    "ConcurrencyError",
    "DuplicateEventError",
    "EventStore",
    "EventStoreClosedError",
    "EventStoreError",
    "EventStoreUnavailableError",
    "Expected",
    "StreamState",
]
