"""`GET /api/search`: full-text search across every interview's sentences, in the search
language of search.query, with the same filters and JSON as `interview-graph search --json`.

Pages come in rank order; pass a page's `next_cursor` back as `cursor` for the next one. A
search that cannot be read (or a cursor no search gave) is a 400 whose detail says what to
change, never a 500; a parameter of the wrong type or out of range is a 422.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field

from interview_graph import bootstrap
from interview_graph.search.json_form import cursor_offset, page_json
from interview_graph.search.port import DEFAULT_LIMIT, MAX_LIMIT, SearchQuery, SearchSyntaxError

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


class ErrorDetail(BaseModel):
    detail: str


@router.get(
    "/api/search",
    tags=["search"],
    responses={400: {"model": ErrorDetail, "description": "A search that cannot be read."}},
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            description='Words (all must match), "a phrase", prefix* (at least 2 characters); '
            "case does not matter, punctuation only separates words."
        ),
    ],
    project: Annotated[str | None, Query(description="Only this project (its name).")] = None,
    interview: Annotated[str | None, Query(description="Only this interview (its id).")] = None,
    speaker: Annotated[str | None, Query(description="Only this speaker.")] = None,
    function_type: Annotated[
        str | None, Query(alias="function", description="Only this function type.")
    ] = None,
    purpose: Annotated[str | None, Query(description="Only this purpose.")] = None,
    topic: Annotated[str | None, Query(description="Only this topic.")] = None,
    keyword: Annotated[
        str | None, Query(description="Only this keyword (overall or domain).")
    ] = None,
    from_ms: Annotated[
        int | None, Query(ge=0, description="Only sentences starting at or after (ms).")
    ] = None,
    to_ms: Annotated[
        int | None, Query(ge=0, description="Only sentences starting before (ms).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the page before.")] = None,
) -> SearchResults:
    """Sentences matching a search, best first, each with its interview and the character
    spans of its matched words."""
    try:
        offset = cursor_offset(cursor)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    try:
        query = SearchQuery(
            q, project=project, interview_id=interview, speaker=speaker,
            function_type=function_type, purpose=purpose, topic=topic, keyword=keyword,
            from_ms=from_ms, to_ms=to_ms, limit=limit, offset=offset,
        )  # fmt: skip
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from exc
    try:
        page = await bootstrap.sentence_search(request.app.state.graph).search(query)
    except SearchSyntaxError as exc:
        raise HTTPException(400, str(exc)) from exc
    return SearchResults.model_validate(page_json(page))
