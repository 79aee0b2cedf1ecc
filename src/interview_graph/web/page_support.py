"""What every workbench page shares: its errors as pages, and the graph it reads."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import ParamSpec

from fastapi import HTTPException, Request
from fastapi.responses import Response

from interview_graph.events.port import EventStoreError
from interview_graph.graph.port import GraphStore, GraphStoreError, InterviewSummary
from interview_graph.web.templating import render

PAGE = 100  # sentences per page, as the API's default page
MAX_PAGE = 1000

P = ParamSpec("P")


def pages(handler: Callable[P, Awaitable[Response]]) -> Callable[P, Awaitable[Response]]:
    """A page handler whose errors are pages too: a 4xx says what was not found or not
    understood, a store that does not answer is a 503 saying which one."""

    @functools.wraps(handler)
    async def page(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            return await handler(*args, **kwargs)
        except HTTPException as exc:
            return error_page(exc.status_code, str(exc.detail))
        except GraphStoreError as exc:
            return error_page(503, f"The graph did not answer: {exc}. Try again in a moment.")
        except EventStoreError as exc:
            return error_page(503, f"The event log did not answer: {exc}. Try again in a moment.")

    return page


def error_page(status: int, message: str) -> Response:
    title = {404: "Not found", 400: "Not understood", 503: "Unavailable"}.get(status, "Error")
    return render(
        "error.html", {"title": title, "nav": None, "message": message, "json_url": None}, status
    )


def graph_of(request: Request) -> GraphStore:
    graph: GraphStore = request.app.state.graph
    return graph


async def summary_or_404(graph: GraphStore, interview_id: str) -> InterviewSummary:
    summary = await graph.interview_summary(interview_id)
    if summary is None:
        raise HTTPException(404, f"No interview {interview_id} in the graph.")
    return summary
