"""KurrentDBEventStore: KurrentDB / EventStoreDB through the official `kurrentdbclient`.

Each domain event becomes a KurrentDB event with the domain event id as its id, the event
type as its type, the data as JSON and every other envelope field as JSON metadata
(including `$correlationId` / `$causationId`, so `$by_correlation_id` works).

Where KurrentDB's semantics differ from the port, and how the adapter closes the gap:

* Idempotency: the server drops re-appended ids reliably only when the append carries
  NO_STREAM or an exact revision. The adapter therefore reads the stream first, applies the
  port's rule (all present = no-op returning the original position, mixed = error), and then
  always appends with the exact revision it saw. If that revision is stale and the caller
  asked for ANY/EXISTS, it re-reads and retries; for NO_STREAM/int it raises ConcurrencyError
  (unless the retry finds the ids already recorded, which is success). Reading the whole
  stream is cheap here: Interview and Sentence streams hold a handful of events.
* Event-id uniqueness is per stream on KurrentDB (the SQL stores enforce it store-wide).
* append_batch is NOT atomic across streams here: requests are appended one stream at a
  time, in order (multi-stream append needs KurrentDB 25.1+ and is not used yet). Each
  request is still atomic, and retried delivery is idempotent.
* Positions are KurrentDB commit positions: strictly increasing but with gaps. `read_all`
  and `subscribe` only see the `Interview-*` and `Sentence-*` streams and drop the event at
  exactly `from_position` (the port's "after" semantics).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any, Self

from kurrentdbclient import AsyncKurrentDBClient, NewEvent
from kurrentdbclient import RecordedEvent as KdbRecordedEvent
from kurrentdbclient import StreamState as KdbStreamState
from kurrentdbclient.exceptions import (
    DeadlineExceededError,
    DiscoveryFailedError,
    GrpcError,
    NotFoundError,
    ServiceUnavailableError,
    WrongCurrentVersionError,
)

from interview_graph.domain.events import AggregateType, DomainEvent
from interview_graph.events import codec
from interview_graph.events.append_rules import (
    already_recorded_position,
    check_expected,
    prepare_requests,
)
from interview_graph.events.port import (
    ANY,
    AppendRequest,
    ConcurrencyError,
    EventStoreClosedError,
    EventStoreError,
    EventStoreUnavailableError,
    Expected,
    StorableEvent,
)
from interview_graph.settings import redact_url

_OUR_STREAMS = "|".join(re.escape(f"{a.value}-") for a in AggregateType)
_MAX_RETRIES = 5
_UNAVAILABLE = (ServiceUnavailableError, DeadlineExceededError, DiscoveryFailedError, GrpcError)


class KurrentDBEventStore:
    backend = "kurrentdb"

    def __init__(self, uri: str, *, timeout_s: float = 10.0) -> None:
        self.uri = uri
        self._timeout_s = timeout_s
        self._client: AsyncKurrentDBClient | None = None
        self._closed = False

    def __repr__(self) -> str:
        return f"KurrentDBEventStore({redact_url(self.uri)!r})"

    async def open(self) -> Self:
        if self._closed:
            raise EventStoreClosedError(f"{self!r} is closed; open a new one")
        if self._client is None:
            client = AsyncKurrentDBClient(self.uri)
            try:
                await asyncio.wait_for(client.connect(), self._timeout_s)
            except (TimeoutError, *_UNAVAILABLE) as exc:
                raise self._unavailable(exc) from None
            self._client = client
        return self

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        self._closed = True
        if self._client is not None:
            await self._client.close()
            self._client = None

    # ------------------------------------------------------------ port

    async def append(
        self, stream: str, events: Sequence[StorableEvent], expected: Expected = ANY
    ) -> int:
        (request,) = prepare_requests([AppendRequest(stream, events, expected)])
        return await self._append_one(request)

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        return [await self._append_one(r) for r in prepare_requests(requests)]

    async def read_stream(self, stream: str, from_version: int = 0) -> list[DomainEvent]:
        return [_decode(e) for e in await self._stream_events(stream, from_version)]

    async def current_version(self, stream: str) -> int | None:
        version = await self._call(self._connected().get_current_version(stream))
        return None if version is KdbStreamState.NO_STREAM else int(version)

    async def read_all(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        limit: int | None = None,
    ) -> list[DomainEvent]:
        include = f"^({_OUR_STREAMS})" if stream_prefix is None else f"^{re.escape(stream_prefix)}"
        response = await self._call(
            self._connected().read_all(
                commit_position=from_position or None,
                filter_include=[include],
                filter_by_stream_name=True,
                timeout=self._timeout_s,
            )
        )
        found: list[DomainEvent] = []
        async for recorded in response:
            if recorded.commit_position <= from_position:
                continue
            if event_types is not None and recorded.type not in event_types:
                continue
            found.append(_decode(recorded))
            if limit is not None and len(found) >= limit:
                break
        return found

    async def last_position(self) -> int:
        position = await self._call(
            self._connected().get_commit_position(
                filter_include=[f"^({_OUR_STREAMS})"],
                filter_by_stream_name=True,
                timeout=self._timeout_s,
            )
        )
        return int(position)

    async def subscribe(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
    ) -> AsyncIterator[DomainEvent]:
        include = f"^({_OUR_STREAMS})" if stream_prefix is None else f"^{re.escape(stream_prefix)}"
        subscription = await self._call(
            self._connected().subscribe_to_all(
                commit_position=from_position or None,
                filter_include=[include],
                filter_by_stream_name=True,
            )
        )
        async with subscription:
            async for recorded in subscription:
                if recorded.commit_position <= from_position:
                    continue
                if event_types is None or recorded.type in event_types:
                    yield _decode(recorded)

    # ------------------------------------------------------------ helpers

    async def _append_one(self, request: AppendRequest) -> int:
        for _ in range(_MAX_RETRIES):
            recorded = await self._stream_events(request.stream, 0)
            found = {
                str(e.id): (request.stream, e.commit_position)
                for e in recorded
                if str(e.id) in {ev.event_id for ev in request.events}
            }
            position = already_recorded_position(request.stream, request.events, found)
            if position is not None:
                return position
            actual = recorded[-1].stream_position if recorded else None
            check_expected(request.stream, request.expected, actual)
            revision: int | KdbStreamState = KdbStreamState.NO_STREAM if actual is None else actual
            try:
                return int(
                    await self._call(
                        self._connected().append_to_stream(
                            request.stream,
                            events=[_encode(e) for e in request.events],
                            current_version=revision,
                            timeout=self._timeout_s,
                        )
                    )
                )
            except WrongCurrentVersionError:
                # Someone appended first. The next round re-reads: these very ids there means
                # success, otherwise the caller's expectation is checked against the new tail.
                continue
        actual_now = await self.current_version(request.stream)
        raise ConcurrencyError(request.stream, request.expected, actual_now)

    async def _stream_events(self, stream: str, from_version: int) -> list[KdbRecordedEvent]:
        try:
            events = await self._call(
                self._connected().get_stream(
                    stream, stream_position=from_version or None, timeout=self._timeout_s
                )
            )
        except NotFoundError:
            return []
        return list(events)

    def _connected(self) -> AsyncKurrentDBClient:
        if self._closed:
            raise EventStoreClosedError(f"{self!r} is closed; open a new one")
        if self._client is None:
            raise EventStoreError(f"{self!r} is not open; use `async with` or `await open()`")
        return self._client

    async def _call(self, awaitable: Any) -> Any:
        try:
            return await awaitable
        except _UNAVAILABLE as exc:
            raise self._unavailable(exc) from None

    def _unavailable(self, exc: BaseException) -> EventStoreUnavailableError:
        return EventStoreUnavailableError(
            f"KurrentDB at {redact_url(self.uri)} is not reachable within {self._timeout_s}s "
            f"({type(exc).__name__}: {exc}); check ESDB_CONNECTION_STRING and that the server runs"
        )


def _encode(event: StorableEvent) -> NewEvent:
    metadata, data = codec.encode(event)
    return NewEvent(
        type=event.event_type,
        data=data.encode(),
        metadata=metadata.encode(),
        content_type="application/json",
        id=uuid.UUID(event.event_id),
    )


def _decode(recorded: KdbRecordedEvent) -> DomainEvent:
    return codec.decode(
        recorded.metadata,
        recorded.data,
        version=recorded.stream_position,
        position=recorded.commit_position,
    )
