"""The event log's read side: every recorded fact in commit order, filtered, and one
interview's history. Pages are cursors on the log's global position (`after`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, StringConstraints

from interview_graph.api.event_log import EventLog
from interview_graph.api.filters import LARGEST
from interview_graph.events.log_reads import EventFilter, EventPage, read_events
from interview_graph.graph.port import GraphStore

router = APIRouter(tags=["events"])

MAX_EVENTS = 1000
# Events one request reads at most: a filter matching little returns a short (even empty)
# page with `next_after`, rather than reading the whole log.
SCAN_BUDGET = 10_000

# Event types are names in PascalCase (InterviewCreated, AnalysisGenerated).
EVENT_TYPE = r"^[A-Z][A-Za-z0-9]*$"

After = Annotated[
    int,
    Query(ge=0, le=LARGEST, description="`next_after` of the page before (0: from the beginning)."),
]
Limit = Annotated[int, Query(ge=1, le=MAX_EVENTS)]


class EventsPage(BaseModel):
    events: list[dict[str, Any]]
    # Pass as `after` for the next page; null once the end of the log was read.
    next_after: int | None


@router.get("/api/events")
async def list_events(
    request: Request,
    stream: Annotated[
        str | None, Query(description="Only this stream, e.g. Interview-<id>.")
    ] = None,
    event_type: Annotated[
        list[Annotated[str, StringConstraints(pattern=EVENT_TYPE)]] | None,
        Query(alias="type", description="Only these event types (repeat), e.g. SentenceCreated."),
    ] = None,
    interview: Annotated[
        str | None, Query(description="Only this interview's events (its id).")
    ] = None,
    correlation: Annotated[
        str | None, Query(description="Only the events of this correlation id (one run).")
    ] = None,
    after: After = 0,
    limit: Limit = 100,
) -> EventsPage:
    """Events in commit order, filtered by stream, type, interview or correlation id."""
    wanted = EventFilter(stream, tuple(event_type or ()), interview, correlation)
    return _page(await _read(request, wanted, after, limit))


@router.get("/api/interviews/{interview_id}/history")
async def interview_history(
    request: Request, interview_id: str, after: After = 0, limit: Limit = 100
) -> EventsPage:
    """Everything recorded about one interview, oldest first: its own stream's events and
    those of its sentences."""
    page = await _read(request, EventFilter(interview_id=interview_id), after, limit)
    if not page.events and page.next_after is None and after == 0:
        graph: GraphStore = request.app.state.graph
        if await graph.get_interview(interview_id) is None:
            raise HTTPException(404, f"no interview {interview_id} in the graph or the log")
    return _page(page)


async def _read(request: Request, wanted: EventFilter, after: int, limit: int) -> EventPage:
    log: EventLog = request.app.state.event_log
    store = await log.store()
    return await read_events(store, wanted, after=after, limit=limit, scan_budget=SCAN_BUDGET)


def _page(page: EventPage) -> EventsPage:
    return EventsPage(
        events=[event.model_dump(mode="json") for event in page.events],
        next_after=page.next_after,
    )
