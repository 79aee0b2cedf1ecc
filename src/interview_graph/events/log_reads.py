"""Reading the event log page by page with filters, for every reader of it (the CLI's
`events` commands and the HTTP API).

The stores filter by event type and stream prefix themselves; an interview's events (its own
stream and its sentences', whose data names the interview) and a correlation id are matched
here, on the events read. A reader that must answer quickly gives a scan budget: the read
stops after that many events even with few matches and says where to go on, so one request
never reads the whole log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass

from interview_graph.domain.events import DomainEvent, interview_stream
from interview_graph.events.port import EventStore

LOG_PAGE = 1000


@dataclass(frozen=True, slots=True)
class EventFilter:
    stream: str | None = None
    event_types: tuple[str, ...] = ()
    interview_id: str | None = None
    correlation_id: str | None = None

    def matches(self, event: DomainEvent) -> bool:
        if self.stream is not None and event.stream != self.stream:
            return False
        if self.correlation_id is not None and event.correlation_id != self.correlation_id:
            return False
        if self.interview_id is not None:
            own_stream = event.stream == interview_stream(self.interview_id)
            return own_stream or event.data.get("interview_id") == self.interview_id
        return True


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[DomainEvent]
    # The position to read on from (`after`); None once the log's end was reached.
    next_after: int | None


async def scan(
    store: EventStore,
    after: int = 0,
    event_types: Sequence[str] | None = None,
    stream_prefix: str | None = None,
) -> AsyncIterator[DomainEvent]:
    """Every event after position `after`, in commit order, read a page at a time."""
    position = after
    while True:
        page = await store.read_all(position, event_types, stream_prefix, LOG_PAGE)
        for event in page:
            yield event
        if len(page) < LOG_PAGE:
            return
        position = page[-1].position or 0


async def read_events(
    store: EventStore,
    wanted: EventFilter,
    *,
    after: int = 0,
    limit: int | None = None,
    scan_budget: int | None = None,
) -> EventPage:
    """The events after `after` that match, at most `limit`, reading at most `scan_budget`
    events of the log (None: no bound)."""
    found: list[DomainEvent] = []
    scanned = 0
    types = list(wanted.event_types) or None
    async for event in scan(store, after, types, wanted.stream):
        scanned += 1
        if wanted.matches(event):
            found.append(event)
        full = limit is not None and len(found) >= limit
        if full or (scan_budget is not None and scanned >= scan_budget):
            return EventPage(found, event.position)
    return EventPage(found, None)
