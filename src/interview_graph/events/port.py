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

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
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


def check_expected(stream: str, expected: Expected, actual: int | None) -> None:
    """Raise ConcurrencyError unless `actual` (None = no stream) satisfies `expected`."""
    if expected is StreamState.ANY:
        return
    if expected is StreamState.NO_STREAM:
        ok = actual is None
    elif expected is StreamState.EXISTS:
        ok = actual is not None
    else:
        ok = actual == expected
    if not ok:
        raise ConcurrencyError(stream, expected, actual)


def validate_expected(expected: object) -> Expected:
    if isinstance(expected, StreamState):
        return expected
    if isinstance(expected, int) and not isinstance(expected, bool) and expected >= 0:
        return expected
    raise ValueError(f"expected must be ANY, NO_STREAM, EXISTS or a version >= 0, got {expected!r}")


def validate_events(stream: str, events: Sequence[StorableEvent]) -> None:
    if not events:
        raise ValueError(f"append to stream {stream!r} needs at least one event")
    ids = [e.event_id for e in events]
    if len(set(ids)) != len(ids):
        raise ValueError(f"append to stream {stream!r} has the same event id twice: {ids}")


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


# ---------------------------------------------------------------- shared by the backends


class PlannedRow(NamedTuple):
    stream: str
    version: int
    event: StorableEvent


@dataclass(slots=True)
class AppendPlan:
    """What one atomic append_batch writes, decided while the store's write lock is held."""

    rows: list[PlannedRow]
    noop_positions: dict[int, int]  # request index -> position reported for an all-duplicate
    last_event_ids: dict[int, str]  # request index -> id of its last written event


def already_recorded_position(
    stream: str, events: Sequence[StorableEvent], found: dict[str, tuple[str, int]]
) -> int | None:
    """Apply the idempotency rule of the module doc.

    `found` maps the ids of `events` that are already recorded to (stream, position).
    Returns the position to report when every event is already in `stream`, None when none is.
    """
    if not found:
        return None
    elsewhere = sorted(i for i, (s, _) in found.items() if s != stream)
    if elsewhere:
        raise DuplicateEventError(
            f"append to stream {stream!r}: event ids {elsewhere} are already recorded in another "
            "stream; event ids are unique per store, so this looks like a wrong stream name"
        )
    missing = [e.event_id for e in events if e.event_id not in found]
    if missing:
        raise DuplicateEventError(
            f"append to stream {stream!r}: {len(found)} of {len(events)} event ids are already "
            f"recorded but {missing} are not; nothing was written. Append the new events on "
            "their own."
        )
    return max(position for _, position in found.values())


def plan_append_batch(
    requests: Sequence[AppendRequest],
    found: dict[str, tuple[str, int]],
    versions: dict[str, int],
) -> AppendPlan:
    """Check expectations and idempotency for every request, in order, before writing anything.

    `found`: already-recorded ids of all requests -> (stream, position); `versions`: current
    version of every stream that exists. Requests for the same stream see each other's writes.
    """
    plan = AppendPlan(rows=[], noop_positions={}, last_event_ids={})
    current = dict(versions)
    planned_ids: set[str] = set()
    for index, request in enumerate(requests):
        if len(request.events) == 1 and request.expected is StreamState.ANY:
            _plan_single_event(plan, index, request, found, current, planned_ids)
            continue
        ids = {e.event_id for e in request.events}
        if ids & planned_ids:
            raise ValueError(
                f"append_batch: stream {request.stream!r} repeats event ids of an earlier "
                f"request in the same batch: {sorted(ids & planned_ids)}"
            )
        mine = {i: found[i] for i in ids if i in found}
        recorded = already_recorded_position(request.stream, request.events, mine)
        if recorded is not None:
            plan.noop_positions[index] = recorded
            continue
        actual = current.get(request.stream)
        check_expected(request.stream, request.expected, actual)
        next_version = 0 if actual is None else actual + 1
        for offset, event in enumerate(request.events):
            plan.rows.append(PlannedRow(request.stream, next_version + offset, event))
        current[request.stream] = next_version + len(request.events) - 1
        plan.last_event_ids[index] = request.events[-1].event_id
        planned_ids |= ids
    return plan


def _plan_single_event(
    plan: AppendPlan,
    index: int,
    request: AppendRequest,
    found: dict[str, tuple[str, int]],
    current: dict[str, int],
    planned_ids: set[str],
) -> None:
    """plan_append_batch for one event at the end of its stream (expected ANY): what the
    dual-write delivers by the thousand, so it skips the general path's sets and checks."""
    (event,) = request.events
    event_id, stream = event.event_id, request.stream
    hit = found.get(event_id)
    if hit is not None:
        recorded = already_recorded_position(stream, request.events, {event_id: hit})
        plan.noop_positions[index] = recorded if recorded is not None else hit[1]
        return
    if event_id in planned_ids:
        raise ValueError(
            f"append_batch: stream {stream!r} repeats event ids of an earlier "
            f"request in the same batch: {[event_id]}"
        )
    actual = current.get(stream)
    version = 0 if actual is None else actual + 1
    plan.rows.append(PlannedRow(stream, version, event))
    current[stream] = version
    plan.last_event_ids[index] = event_id
    planned_ids.add(event_id)


def prepare_requests(requests: Sequence[AppendRequest]) -> list[AppendRequest]:
    """Validate arguments before any I/O, so a bad call fails the same way on every backend."""
    prepared = []
    for request in requests:
        if len(request.events) == 1 and request.expected is StreamState.ANY:
            prepared.append(request)  # nothing to check: one event, any stream state
            continue
        validate_events(request.stream, request.events)
        expected = validate_expected(request.expected)
        prepared.append(AppendRequest(request.stream, list(request.events), expected))
    return prepared


class _ReadAll(Protocol):
    async def __call__(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        limit: int | None = None,
    ) -> list[DomainEvent]: ...


async def poll_subscription(
    read_all: _ReadAll,
    from_position: int,
    event_types: Sequence[str] | None,
    stream_prefix: str | None,
    poll_interval: float,
    page_size: int = 500,
) -> AsyncIterator[DomainEvent]:
    """Catch up page by page, then poll; safe because positions are gap-free in commit order."""
    last = from_position
    while True:
        page = await read_all(last, event_types, stream_prefix, page_size)
        for event in page:
            assert event.position is not None
            last = event.position
            yield event
        if len(page) < page_size:
            await asyncio.sleep(poll_interval)
