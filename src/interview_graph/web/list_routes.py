"""The lists: projects, interviews, and the sentences a filter keeps across interviews (the
sentences behind a dashboard's count)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response

from interview_graph.graph.port import InterviewSummary
from interview_graph.web.filters import PageFilter, page_filter
from interview_graph.web.page_support import PAGE, graph_of, pages
from interview_graph.web.reader import sentence_row
from interview_graph.web.templating import query, render

router = APIRouter(include_in_schema=False)

INTERVIEWS_PAGE = 50


@router.get("/")
@pages
async def home(request: Request) -> Response:
    projects = await graph_of(request).list_projects()
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
    graph = graph_of(request)
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


@router.get("/sentences")
@pages
async def sentences(
    request: Request,
    wanted: Annotated[PageFilter, Depends(page_filter)],
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    graph = graph_of(request)
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
