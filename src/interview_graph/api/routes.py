"""The read routes. Lists are paged with a cursor and come in a stable order: interviews by
(project, title, id), sentences by their sequence order."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel

from interview_graph.api.filters import LARGEST, sentence_filter
from interview_graph.graph.json_forms import interviews_json, sentences_json
from interview_graph.graph.pages import sentences_page
from interview_graph.graph.port import (
    FACET_DIMENSIONS,
    FacetDimension,
    GraphStore,
    InterviewSummary,
    SentenceFilter,
)

router = APIRouter()

MAX_PAGE = 1000


class InterviewPage(BaseModel):
    interviews: list[dict[str, Any]]
    next_cursor: str | None  # pass as `cursor` for the next page; null on the last one


class InterviewDetail(BaseModel):
    interview: dict[str, Any]
    sentence_count: int
    analysis_count: int


class FacetsReply(BaseModel):
    total: int  # the sentences the filter keeps
    facets: dict[str, list[dict[str, Any]]]  # dimension -> [{value, sentences}], most first


class ProjectList(BaseModel):
    projects: list[dict[str, Any]]


class SentenceInContext(BaseModel):
    interview_id: str
    sentence: dict[str, Any]
    before: list[dict[str, Any]]  # nearest last
    after: list[dict[str, Any]]  # nearest first


class SentencePage(BaseModel):
    interview_id: str
    sentences: list[dict[str, Any]]
    next_from: int | None  # pass as `from` for the next page; null on the last one


def _graph(request: Request) -> GraphStore:
    graph: GraphStore = request.app.state.graph
    return graph


@router.get("/api/stats", tags=["graph"])
async def stats(request: Request) -> dict[str, int]:
    """Node counts per label and relationship counts per type."""
    return await _graph(request).stats()


@router.get("/api/projects", tags=["interviews"])
async def list_projects(request: Request) -> ProjectList:
    """Every project with its interview and sentence counts, by name."""
    projects = await _graph(request).list_projects()
    return ProjectList(projects=[asdict(project) for project in projects])


@router.get("/api/facets", tags=["interviews"])
async def facets(
    request: Request,
    wanted: Annotated[SentenceFilter, Depends(sentence_filter)],
    by: Annotated[
        list[FacetDimension] | None,
        Query(description="The dimensions to count by (repeat); all without it."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Values per dimension.")] = 20,
) -> FacetsReply:
    """How many of the filtered sentences have each speaker, function, structure, purpose,
    topic and keyword: the most frequent values of each, for charts."""
    found = await _graph(request).facet_counts(wanted, by or FACET_DIMENSIONS, limit)
    return FacetsReply(
        total=found.total,
        facets={name: [asdict(count) for count in counts] for name, counts in found.counts.items()},
    )


@router.get("/api/interviews", tags=["interviews"])
async def list_interviews(
    request: Request,
    project: Annotated[str | None, Query(description="Only this project (its name).")] = None,
    status: Annotated[str | None, Query(description="Only this status, e.g. completed.")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> InterviewPage:
    """The interviews with their counts, a page at a time."""
    rows = [
        row
        for row in await _graph(request).list_interviews()
        if (project is None or row.project_name == project)
        and (status is None or row.status == status)
    ]
    start = _after(rows, cursor)
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    return InterviewPage(
        interviews=interviews_json(page), next_cursor=page[-1].interview_id if more else None
    )


def _after(rows: list[InterviewSummary], cursor: str | None) -> int:
    """The position after the cursor's interview (0 without a cursor)."""
    if cursor is None:
        return 0
    for position, row in enumerate(rows):
        if row.interview_id == cursor:
            return position + 1
    raise HTTPException(400, f"cursor {cursor!r} is not an interview of this listing")


@router.get("/api/interviews/{interview_id}", tags=["interviews"])
async def get_interview(request: Request, interview_id: str) -> InterviewDetail:
    """One interview's metadata and counts."""
    graph = _graph(request)
    interview = await graph.get_interview(interview_id)
    summary = await graph.interview_summary(interview_id)
    if interview is None or summary is None:
        raise HTTPException(404, f"no interview {interview_id} in the graph")
    return InterviewDetail(
        interview=interviews_json([summary])[0] | _metadata(interview),
        sentence_count=summary.sentence_count,
        analysis_count=summary.analysis_count,
    )


def _metadata(interview: Any) -> dict[str, Any]:
    return {
        "source": interview.source,
        "language": interview.language,
        "content_sha256": interview.content_sha256,
        "date": interview.date,
        "participants": list(interview.participants),
    }


@router.get("/api/interviews/{interview_id}/sentences", tags=["interviews"])
async def get_sentences(
    request: Request,
    interview_id: str,
    from_order: Annotated[
        int,
        Query(
            alias="from",
            ge=0,
            le=LARGEST,
            description="The first sentence's number (0 is the first).",
        ),
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    from_ms: Annotated[
        int | None,
        Query(ge=0, le=LARGEST, description="Only sentences said from this time on (ms)."),
    ] = None,
    to_ms: Annotated[
        int | None, Query(ge=0, le=LARGEST, description="Only sentences said up to this time (ms).")
    ] = None,
) -> SentencePage:
    """An interview's sentences with their analyses, in order, a page at a time; with
    `from_ms`/`to_ms`, those said in that time range (a sentence overlapping it counts)."""
    graph = _graph(request)
    first, last = from_order, None
    if from_ms is not None or to_ms is not None:
        in_time = await graph.orders_in_time(interview_id, from_ms or 0, _or_end(to_ms))
        if in_time is None:
            await _require_interview(graph, interview_id)
            return SentencePage(interview_id=interview_id, sentences=[], next_from=None)
        first, last = max(from_order, in_time[0]), in_time[1]
    limit = limit if last is None else max(0, min(limit, last - first + 1))
    page = await sentences_page(graph, interview_id, first, limit) if limit else None
    if page is None or not page.views:
        await _require_interview(graph, interview_id)
        return SentencePage(interview_id=interview_id, sentences=[], next_from=None)
    next_from = page.next_from
    if last is not None and next_from is not None and next_from > last:
        next_from = None
    return SentencePage(
        interview_id=interview_id, sentences=sentences_json(page.views), next_from=next_from
    )


def _or_end(to_ms: int | None) -> int:
    return LARGEST if to_ms is None else to_ms


async def _require_interview(graph: GraphStore, interview_id: str) -> None:
    if await graph.get_interview(interview_id) is None:
        raise HTTPException(404, f"no interview {interview_id} in the graph")


@router.get("/api/sentences/{sentence_id}", tags=["interviews"])
async def get_sentence(
    request: Request,
    sentence_id: str,
    context: Annotated[
        int, Query(ge=0, le=50, description="How many neighbours on each side.")
    ] = 2,
) -> SentenceInContext:
    """One sentence with its analyses, and its neighbours before and after it."""
    graph = _graph(request)
    place = await graph.locate_sentence(sentence_id)
    if place is None:
        raise HTTPException(404, f"no sentence {sentence_id} in the graph")
    start = max(0, place.sequence_order - context)
    views = await graph.get_sentences(
        place.interview_id, start, place.sequence_order - start + 1 + context
    )
    rows = sentences_json(views)
    at = next(i for i, view in enumerate(views) if view.sentence.sentence_id == sentence_id)
    return SentenceInContext(
        interview_id=place.interview_id, sentence=rows[at], before=rows[:at], after=rows[at + 1 :]
    )
