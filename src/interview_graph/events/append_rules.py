"""The append rules every backend applies, in one place, so a call fails or succeeds the same
way on each: argument checks before any I/O, stream expectations, id-idempotency (the
port's module doc states them), and the rows one atomic append_batch writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from interview_graph.events.port import (
    AppendRequest,
    ConcurrencyError,
    DuplicateEventError,
    Expected,
    StorableEvent,
    StreamState,
)


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
