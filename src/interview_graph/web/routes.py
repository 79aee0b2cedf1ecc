"""The workbench's pages. Each page reads the graph (or the event log) through the same
ports and the same page sizes as the API routes, and links the API URL that returns its
data as JSON. Pages are left out of the OpenAPI document: the API is the contract."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, ParamSpec

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response

from interview_graph.api.event_log import EventLog
from interview_graph.domain.events import sentence_stream
from interview_graph.domain.ids import sentence_id_for
from interview_graph.events.log_reads import EventFilter, read_events
from interview_graph.events.port import EventStoreError
from interview_graph.graph.pages import sentences_page
from interview_graph.graph.port import (
    GraphStore,
    GraphStoreError,
    InterviewSummary,
    SentencePlace,
    SentenceView,
)
from interview_graph.web import dashboard as charts
from interview_graph.web.assets import plotly_js
from interview_graph.web.filters import LABELS, PageFilter, page_filter, parse_clock
from interview_graph.web.history import event_rows
from interview_graph.web.reader import sentence_row, turns
from interview_graph.web.templating import query, render, segment

router = APIRouter(include_in_schema=False)

PAGE = 100  # sentences per reader page, as the API's default page
MAX_PAGE = 1000
INTERVIEWS_PAGE = 50
EVENTS_PAGE = 100
EVENT_SCAN_BUDGET = 10_000  # as the API's event routes
CHOICES = 200  # values offered per label in a filter form

P = ParamSpec("P")


def pages(handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
    """A page handler whose errors are pages too: a 4xx says what was not found or not
    understood, a store that does not answer is a 503 saying which one."""

    @functools.wraps(handler)
    async def page(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await handler(*args, **kwargs)
        except HTTPException as exc:
            return _error(exc.status_code, str(exc.detail))
        except GraphStoreError as exc:
            return _error(503, f"The graph did not answer: {exc}. Try again in a moment.")
        except EventStoreError as exc:
            return _error(503, f"The event log did not answer: {exc}. Try again in a moment.")

    return page


def _error(status: int, message: str) -> Response:
    title = {404: "Not found", 400: "Not understood", 503: "Unavailable"}.get(status, "Error")
    return render(
        "error.html", {"title": title, "nav": None, "message": message, "json_url": None}, status
    )


def _graph(request: Request) -> GraphStore:
    graph: GraphStore = request.app.state.graph
    return graph


async def _summary(graph: GraphStore, interview_id: str) -> InterviewSummary:
    summary = await graph.interview_summary(interview_id)
    if summary is None:
        raise HTTPException(404, f"No interview {interview_id} in the graph.")
    return summary


# -- projects and interviews -----------------------------------------------------------------


@router.get("/")
@pages
async def home(request: Request) -> Response:
    projects = await _graph(request).list_projects()
    return render(
        "home.html",
        {"title": "Projects", "nav": "projects", "projects": projects,
         "json_url": "/api/projects"},
    )  # fmt: skip


@router.get("/interviews")
@pages
async def interviews(
    request: Request,
    project: Annotated[str | None, Query(max_length=500)] = None,
    status: Annotated[str | None, Query(max_length=50)] = None,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    graph = _graph(request)
    project, status = project or None, status or None
    every = await graph.list_interviews()
    rows = [
        row
        for row in every
        if (project is None or row.project_name == project)
        and (status is None or row.status == status)
    ]
    start = 0
    if cursor:
        ids = [row.interview_id for row in rows]
        if cursor not in ids:
            raise HTTPException(400, f"{cursor!r} is not an interview of this listing.")
        start = ids.index(cursor) + 1
    page = rows[start : start + INTERVIEWS_PAGE]
    more = start + INTERVIEWS_PAGE < len(rows)
    params = {"project": project, "status": status}
    return render(
        "interviews.html",
        {
            "title": f"Interviews of {project}" if project else "Interviews",
            "nav": "interviews",
            "rows": page,
            "params": params,
            "projects": sorted({row.project_name for row in every}),
            "statuses": sorted({row.status for row in every}),
            "next_url": "/interviews" + query(params, cursor=page[-1].interview_id)
            if more
            else None,
            "json_url": "/api/interviews" + query(params, cursor=cursor, limit=INTERVIEWS_PAGE),
        },
    )


# -- the transcript reader -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ReaderPage:
    turns: list[Any]
    start: int
    next_from: int | None
    json_url: str


async def _reader_page(
    graph: GraphStore, interview_id: str, wanted: PageFilter, start: int, size: int
) -> ReaderPage:
    """The sentences the reader shows from sequence order `start` on: all of them, or those
    the filter keeps; at most `size`."""
    if wanted.narrows():
        after = SentencePlace(interview_id, start - 1) if start > 0 else None
        views = await graph.sentences_matching(wanted.sentences(), after, size + 1)
        page, more = views[:size], len(views) > size
        cursor = sentence_id_for(interview_id, start - 1) if start > 0 else None
        json_url = "/api/sentences" + query(wanted.api_params(), cursor=cursor, limit=size)
        next_from = page[-1].sentence.sequence_order + 1 if more else None
        return ReaderPage(turns(page, None, start), start, next_from, json_url)
    first = max(0, start - 1)  # the sentence before the page tells whether a turn goes on
    read = await sentences_page(graph, interview_id, first, size + (start - first))
    before: SentenceView | None = None
    views = read.views
    if start > 0 and views and views[0].sentence.sequence_order == start - 1:
        before, views = views[0], views[1:]
    json_url = f"/api/interviews/{segment(interview_id)}/sentences" + query(
        {"from": start, "limit": size}
    )
    return ReaderPage(turns(views, before, start), start, read.next_from, json_url)


async def _reader(
    request: Request,
    interview_id: str,
    wanted: PageFilter,
    start: int,
    size: int,
    colour_by: str,
    *,
    target: str | None = None,
    notice: str | None = None,
) -> Response:
    graph = _graph(request)
    summary = await _summary(graph, interview_id)
    interview = await graph.get_interview(interview_id)
    wanted = wanted.with_(interview=interview_id, project=None)
    page = await _reader_page(graph, interview_id, wanted, start, size)
    choices = await graph.facet_counts(wanted.scope().sentences(), LABELS, CHOICES)
    params = {
        **wanted.with_(interview=None).params(),
        "colour": colour_by if colour_by != "purpose" else None,
        "size": size if size != PAGE else None,
    }
    base = f"/interviews/{segment(interview_id)}"
    return render(
        "reader.html",
        {
            "title": summary.title,
            "nav": "interviews",
            "summary": summary,
            "interview": interview,
            "page": page,
            "params": params,
            "wanted": wanted,
            "filtered": wanted.narrows(),
            "choices": choices.counts,
            "colour_by": colour_by,
            "target": target,
            "notice": notice,
            "base": base,
            "next_url": base + query(params, **{"from": page.next_from})
            if page.next_from is not None
            else None,
            "more_url": base + "/more" + query(params, **{"from": page.next_from})
            if page.next_from is not None
            else None,
            "previous_url": base + query(params, **{"from": max(0, start - size) or None})
            if start > 0 and not wanted.narrows()
            else None,
            "json_url": page.json_url,
        },
    )


Colour = Annotated[str, Query(alias="colour", pattern="^(purpose|topic)$")]
Start = Annotated[int, Query(alias="from", ge=0, le=2**53)]
Size = Annotated[int, Query(ge=1, le=MAX_PAGE)]


@router.get("/interviews/{interview_id}")
@pages
async def reader(
    request: Request,
    interview_id: str,
    wanted: Annotated[PageFilter, Depends(page_filter)],
    start: Start = 0,
    size: Size = PAGE,
    colour_by: Colour = "purpose",
    jump: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:
    """The transcript, a page at a time; `jump` (`12:30` or `#42`) goes to a time or a
    sentence number."""
    if jump:
        found, notice = await _jump(_graph(request), interview_id, jump.strip())
        if found is None:
            return await _reader(
                request, interview_id, wanted, start, size, colour_by, notice=notice
            )
        return RedirectResponse(
            f"/interviews/{segment(interview_id)}/sentences/{segment(found)}"
            + query({"colour": colour_by if colour_by != "purpose" else None}),
            status_code=303,
        )
    return await _reader(request, interview_id, wanted, start, size, colour_by)


async def _jump(graph: GraphStore, interview_id: str, text: str) -> tuple[str | None, str]:
    """The id of the sentence a jump lands on, or None and why there is none."""
    await _summary(graph, interview_id)
    if ":" in text:
        try:
            at_ms = parse_clock(text)
        except ValueError as exc:
            return None, str(exc)
        orders = await graph.orders_in_time(interview_id, at_ms, 2**53)
        if orders is None:
            return (
                None,
                f"No sentence was said at or after {text} (or the transcript has no times).",
            )
        order = orders[0]
    else:
        number = text.lstrip("#")
        if not number.isdigit() or int(number) < 1:
            return None, f"{text!r}: write a time as m:ss (12:30) or a sentence number as #42."
        order = int(number) - 1
    views = await graph.get_sentences(interview_id, order, 1)
    if not views or views[0].sentence.sequence_order != order:
        return None, f"This interview has no sentence #{order + 1}."
    return views[0].sentence.sentence_id, ""


@router.get("/interviews/{interview_id}/more")
@pages
async def reader_more(
    request: Request,
    interview_id: str,
    wanted: Annotated[PageFilter, Depends(page_filter)],
    start: Start = 0,
    size: Size = PAGE,
    colour_by: Colour = "purpose",
) -> Response:
    """The reader's next page as an HTML fragment, appended by the page's script."""
    graph = _graph(request)
    await _summary(graph, interview_id)
    wanted = wanted.with_(interview=interview_id, project=None)
    page = await _reader_page(graph, interview_id, wanted, start, size)
    params = {
        **wanted.with_(interview=None).params(),
        "colour": colour_by if colour_by != "purpose" else None,
        "size": size if size != PAGE else None,
    }
    base = f"/interviews/{segment(interview_id)}"
    return render(
        "reader_more.html",
        {
            "page": page,
            "filtered": wanted.narrows(),
            "base": base,
            "target": None,
            "next_url": base + query(params, **{"from": page.next_from})
            if page.next_from is not None
            else None,
            "more_url": base + "/more" + query(params, **{"from": page.next_from})
            if page.next_from is not None
            else None,
        },
    )


@router.get("/interviews/{interview_id}/sentences/{sentence_id}")
@pages
async def sentence_in_reader(
    request: Request,
    interview_id: str,
    sentence_id: str,
    colour_by: Colour = "purpose",
) -> Response:
    """A sentence's own address: the reader's page holding it, the sentence marked."""
    place = await _graph(request).locate_sentence(sentence_id)
    if place is None or place.interview_id != interview_id:
        raise HTTPException(404, f"No sentence {sentence_id} in interview {interview_id}.")
    start = place.sequence_order - place.sequence_order % PAGE
    return await _reader(
        request, interview_id, PageFilter(), start, PAGE, colour_by, target=sentence_id
    )


# -- sentences behind a count, across interviews ---------------------------------------------


@router.get("/sentences")
@pages
async def sentences(
    request: Request,
    wanted: Annotated[PageFilter, Depends(page_filter)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    graph = _graph(request)
    after = None
    if cursor:
        after = await graph.locate_sentence(cursor)
        if after is None:
            raise HTTPException(400, f"{cursor!r} is not a sentence of the graph.")
    views = await graph.sentences_matching(wanted.sentences(), after, PAGE + 1)
    page, more = views[:PAGE], len(views) > PAGE
    titles: dict[str, InterviewSummary | None] = {}
    for view in page:
        interview_id = view.sentence.interview_id
        if interview_id not in titles:
            titles[interview_id] = await graph.interview_summary(interview_id)
    groups: list[tuple[InterviewSummary | None, str, list[Any]]] = []
    for view in page:
        interview_id = view.sentence.interview_id
        if not groups or groups[-1][1] != interview_id:
            groups.append((titles[interview_id], interview_id, []))
        groups[-1][2].append(sentence_row(view))
    params = wanted.params()
    return render(
        "sentences.html",
        {
            "title": "Sentences",
            "nav": "dashboard",
            "groups": groups,
            "wanted": wanted,
            "params": params,
            "next_url": "/sentences" + query(params, cursor=page[-1].sentence.sentence_id)
            if more
            else None,
            "dashboard_url": "/dashboard" + query(params),
            "json_url": "/api/sentences" + query(wanted.api_params(), cursor=cursor),
        },
    )


# -- the dashboard ---------------------------------------------------------------------------


@router.get("/dashboard")
@pages
async def dashboard(
    request: Request, wanted: Annotated[PageFilter, Depends(page_filter)]
) -> Response:
    graph = _graph(request)
    summary = await _summary(graph, wanted.interview) if wanted.interview else None
    found = await graph.facet_counts(wanted.sentences(), charts.FACETS, 24)
    choices = await graph.facet_counts(wanted.scope().sentences(), LABELS, CHOICES)
    speakers = [c.value for c in found.counts["speaker"][: charts.TOP_SPEAKERS]]
    per_speaker = {
        speaker: (
            await graph.facet_counts(wanted.with_(speaker=speaker).sentences(), ["topic"], 50)
        ).counts["topic"]
        for speaker in speakers
        if speaker is not None
    }
    timeline = await graph.facet_timeline(wanted.sentences(), "function", charts.PARTS)
    links = charts.Links(wanted, summary.sentence_count if summary else None)
    built = charts.build(found, per_speaker, timeline, links)
    params = wanted.params()
    return render(
        "dashboard.html",
        {
            "title": f"Dashboard · {summary.title}" if summary else "Dashboard",
            "nav": "dashboard",
            "summary": summary,
            "total": found.total,
            "charts": built,
            "plots": [chart.plot() for chart in built],
            "wanted": wanted,
            "params": params,
            "choices": choices.counts,
            "projects": [p.name for p in await graph.list_projects()],
            "sentences_url": charts.Links(wanted, None).sentences(),
            "json_url": "/api/facets" + query(wanted.api_params(), limit=24),
            "timeline_url": "/api/facets/timeline"
            + query(wanted.api_params(), by="function", parts=charts.PARTS),
        },
    )


# -- history ---------------------------------------------------------------------------------


def _event_log(request: Request) -> EventLog:
    log: EventLog = request.app.state.event_log
    return log


After = Annotated[int, Query(ge=0, le=2**53)]


@router.get("/interviews/{interview_id}/history")
@pages
async def interview_history(request: Request, interview_id: str, after: After = 0) -> Response:
    graph = _graph(request)
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
    graph = _graph(request)
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


# -- the charting library --------------------------------------------------------------------


@router.get("/vendor/plotly.min.js")
async def plotly() -> FileResponse:
    return FileResponse(
        plotly_js(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
