"""History: what the event log recorded about an interview or a sentence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from interview_graph.api.event_log import EventLog
from interview_graph.domain.events import sentence_stream
from interview_graph.events.log_reads import EventFilter, read_events
from interview_graph.web.history import event_rows
from interview_graph.web.page_support import graph_of, pages
from interview_graph.web.reader import sentence_row
from interview_graph.web.templating import query, render, segment

router = APIRouter(include_in_schema=False)

EVENTS_PAGE = 100
EVENT_SCAN_BUDGET = 10_000  # as the API's event routes


def _event_log(request: Request) -> EventLog:
    log: EventLog = request.app.state.event_log
    return log


After = Annotated[int, Query(ge=0, le=2**53)]


@router.get("/interviews/{interview_id}/history")
@pages
async def interview_history(request: Request, interview_id: str, after: After = 0) -> Response:
    graph = graph_of(request)
    summary = await graph.interview_summary(interview_id)
    store = await _event_log(request).store()
    page = await read_events(
        store, EventFilter(interview_id=interview_id), after=after, limit=EVENTS_PAGE,
        scan_budget=EVENT_SCAN_BUDGET,
    )  # fmt: skip
    if summary is None and not page.events and after == 0 and page.next_after is None:
        raise HTTPException(404, f"No interview {interview_id} in the graph or the event log.")
    base = f"/interviews/{segment(interview_id)}/history"
    return render(
        "history.html",
        {
            "title": f"History · {summary.title if summary else interview_id}",
            "nav": "interviews",
            "summary": summary,
            "interview_id": interview_id,
            "sentence": None,
            "rows": event_rows(page.events),
            "after": after,
            "next_url": base + query({"after": page.next_after}) if page.next_after else None,
            "json_url": f"/api/interviews/{segment(interview_id)}/history"
            + query({"after": after or None}),
        },
    )


@router.get("/sentences/{sentence_id}/history")
@pages
async def sentence_history(request: Request, sentence_id: str, after: After = 0) -> Response:
    graph = graph_of(request)
    place = await graph.locate_sentence(sentence_id)
    row = None
    summary = None
    if place is not None:
        views = await graph.get_sentences(place.interview_id, place.sequence_order, 1)
        row = sentence_row(views[0]) if views else None
        summary = await graph.interview_summary(place.interview_id)
    stream = sentence_stream(sentence_id)
    store = await _event_log(request).store()
    page = await read_events(
        store, EventFilter(stream=stream), after=after, limit=EVENTS_PAGE,
        scan_budget=EVENT_SCAN_BUDGET,
    )  # fmt: skip
    if place is None and not page.events and after == 0 and page.next_after is None:
        raise HTTPException(404, f"No sentence {sentence_id} in the graph or the event log.")
    base = f"/sentences/{segment(sentence_id)}/history"
    return render(
        "history.html",
        {
            "title": "History of a sentence",
            "nav": "interviews",
            "summary": summary,
            "interview_id": place.interview_id if place else None,
            "sentence": row,
            "rows": event_rows(page.events),
            "after": after,
            "next_url": base + query({"after": page.next_after}) if page.next_after else None,
            "json_url": "/api/events" + query({"stream": stream, "after": after or None}),
        },
    )
