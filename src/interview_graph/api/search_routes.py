"""`GET /api/search`: full-text search across every interview's sentences, in the search
language of search.query, with the same filters and JSON as `interview-graph search --json`.

Pages come in rank order; pass a page's `next_cursor` back as `cursor` for the next one. A
search that cannot be read (or a cursor no search gave) is a 400 whose detail says what to
change, never a 500; a parameter of the wrong type or out of range is a 422. The filter is
the one every route that narrows sentences takes (api.filters).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from interview_graph import bootstrap
from interview_graph.api.filters import sentence_filter
from interview_graph.graph.port import SentenceFilter
from interview_graph.search.json_form import cursor_offset, page_json
from interview_graph.search.port import DEFAULT_LIMIT, MAX_LIMIT, SearchQuery

router = APIRouter()


class SearchHitModel(BaseModel):
    sentence_id: str
    interview_id: str
    interview_title: str
    project_name: str
    sequence_order: int
    text: str
    speaker: str | None
    start_ms: int | None
    end_ms: int | None
    score: float = Field(description="The index's relevance: compare it within one search.")
    highlights: list[tuple[int, int]] = Field(
        description="[start, end) character offsets into `text` of every matched word."
    )


class SearchResults(BaseModel):
    hits: list[SearchHitModel]
    next_cursor: str | None  # pass as `cursor` for the next page; null on the last one


@router.get("/api/search", tags=["search"])
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            description='Words (all must match), "a phrase", prefix* (at least 2 characters); '
            "case does not matter, punctuation only separates words."
        ),
    ],
    wanted: Annotated[SentenceFilter, Depends(sentence_filter)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[
        str | None, Query(max_length=40, description="`next_cursor` of the page before.")
    ] = None,
) -> SearchResults:
    """Sentences matching a search, best first, each with its interview and the character
    spans of its matched words; the filter narrows them as it narrows facets."""
    try:
        query = SearchQuery(q, wanted, limit=limit, offset=cursor_offset(cursor))
        page = await bootstrap.sentence_search(request.app.state.graph).search(query)
    except ValueError as exc:  # SearchSyntaxError too
        raise HTTPException(400, str(exc)) from exc
    return SearchResults.model_validate(page_json(page))
