"""The read routes. Lists are paged with a cursor and come in a stable order: interviews by
(project, title, id), sentences by their sequence order."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel

from interview_graph.graph.json_forms import interviews_json, sentences_json
from interview_graph.graph.pages import sentences_page
from interview_graph.graph.port import GraphStore, InterviewSummary

router = APIRouter()

MAX_PAGE = 1000


class InterviewPage(BaseModel):
    interviews: list[dict[str, Any]]
    next_cursor: str | None  # pass as `cursor` for the next page; null on the last one


class InterviewDetail(BaseModel):
    interview: dict[str, Any]
    sentence_count: int
    analysis_count: int


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
        int, Query(alias="from", ge=0, description="The first sentence's number (0 is the first).")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
) -> SentencePage:
    """An interview's sentences with their analyses, in order, a page at a time."""
    graph = _graph(request)
    page = await sentences_page(graph, interview_id, from_order, limit)
    if not page.views and await graph.get_interview(interview_id) is None:
        raise HTTPException(404, f"no interview {interview_id} in the graph")
    return SentencePage(
        interview_id=interview_id, sentences=sentences_json(page.views), next_from=page.next_from
    )
