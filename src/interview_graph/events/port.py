"""The EventStore port, modelled on KurrentDB's stream semantics.

Contract every backend honours (the contract test suite checks it on each):

* `append(stream, events, expected)` is atomic: all events or none. `expected` is ANY,
  NO_STREAM, EXISTS or the 0-based version of the stream's last event; a wrong expectation
  raises ConcurrencyError naming the stream, the expectation and the actual version.
* Idempotent by event id, whatever `expected` says:
  - every id already in the stream -> no-op, returns the position of the last of them;
  - no id present -> a normal append;
  - some present, some not -> DuplicateEventError, nothing written. Appends are atomic, so a
    mixed batch can only come from a caller that changed a batch between retries; silently
    appending "the missing tail" could reorder facts, so we refuse and name the ids.
  - an id recorded in another stream -> DuplicateEventError (ids are unique per store).
* Positions are one global, strictly increasing order. `read_all(from_position)` and
  `subscribe(from_position)` return events strictly *after* `from_position`, so a consumer
  resumes from the last position it handled; 0 means from the beginning.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from enum import StrEnum
from types import TracebackType
from typing import NamedTuple, Protocol, Self

from interview_graph.domain.events import DomainEvent


class StreamState(StrEnum):
    ANY = "ANY"
    NO_STREAM = "NO_STREAM"
    EXISTS = "EXISTS"


ANY = StreamState.ANY
NO_STREAM = StreamState.NO_STREAM
EXISTS = StreamState.EXISTS

Expected = StreamState | int


class EventStoreError(RuntimeError):
    """An event store operation failed; the message names the store, stream or event."""


class ConcurrencyError(EventStoreError):
    """The stream was not at the expected version: someone else appended first."""

    def __init__(self, stream: str, expected: Expected, actual: int | None) -> None:
        self.stream = stream
        self.expected = expected
        self.actual = actual
        actual_text = "no stream" if actual is None else f"version {actual}"
        super().__init__(
            f"append to stream {stream!r} expected {describe_expected(expected)} but found "
            f"{actual_text}; re-read the stream and retry with its current version"
        )


class DuplicateEventError(EventStoreError):
    """Some event ids of an append are already recorded (partly, or in another stream)."""


class EventStoreUnavailableError(EventStoreError):
    """The store cannot be reached (server down, wrong address, closed store)."""


class EventStoreClosedError(EventStoreUnavailableError):
    """The store was closed by its owner; open a new one."""


def describe_expected(expected: Expected) -> str:
    return f"version {expected}" if isinstance(expected, int) else expected.value


class EncodedEvent(NamedTuple):
    """An event already encoded as the stores keep it (codec's metadata and data JSON).

    The dual-write outbox records events in this form and hands them to `append_batch` as
    they are, so delivering them costs no parsing or validation, which would compete with
    the pipeline for the CPU. Built only by events/run_encoder.py, from the same drafts and
    envelope builder as the validated DomainEvent, so both forms store the same documents.
    A NamedTuple: the pipeline makes two per sentence and the deliverer two more, and a
    tuple is the cheapest object to build.
    """

    event_id: str
    event_type: str
    correlation_id: str
    metadata_json: str
    data_json: str


StorableEvent = DomainEvent | EncodedEvent


class AppendRequest(NamedTuple):
    stream: str
    events: Sequence[StorableEvent]
    expected: Expected = StreamState.ANY


class EventStore(Protocol):
    """An append-only log of streams. Open it with `async with` or call `close()`."""

    backend: str  # "sqlite" | "postgresql" | "kurrentdb"

    async def open(self) -> Self:
        """Connect (and create the schema) now, so a bad address fails here, quickly."""
        ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def append(
        self, stream: str, events: Sequence[StorableEvent], expected: Expected = ANY
    ) -> int:
        """Append atomically; returns the commit position of the last event (see module doc)."""
        ...

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        """Many streams in few round trips; one position per request, in request order."""
        ...

    async def read_stream(self, stream: str, from_version: int = 0) -> list[DomainEvent]:
        """Events of one stream from `from_version` (inclusive); [] for a missing stream."""
        ...

    async def current_version(self, stream: str) -> int | None:
        """Version of the stream's last event, None when the stream does not exist."""
        ...

    async def read_all(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        limit: int | None = None,
    ) -> list[DomainEvent]:
        """Events after `from_position` in global order, optionally filtered."""
        ...

    async def last_position(self) -> int:
        """Position of the newest event (0 when empty): `subscribe(await last_position())`
        follows only what is committed from now on."""
        ...

    def subscribe(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
    ) -> AsyncIterator[DomainEvent]:
        """Everything after `from_position`, then new events as they are committed."""
        ...

    async def close(self) -> None: ...
