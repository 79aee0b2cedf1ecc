"""The workbench's pages, one router for the app to include. Each page reads the graph (or
the event log) through the same ports and page sizes as the API routes, and links the API
URL that returns its data as JSON. Pages are left out of the OpenAPI document: the API is
the contract."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from interview_graph.web import dashboard_routes, history_routes, list_routes, reader_routes
from interview_graph.web.assets import PLOTLY_URL, plotly_js

router = APIRouter(include_in_schema=False)
for pages in (list_routes, reader_routes, dashboard_routes, history_routes):
    router.include_router(pages.router)


@router.get(PLOTLY_URL)
async def plotly() -> FileResponse:
    """The charting library, from the installed `plotly` package; cacheable for a day."""
    return FileResponse(
        plotly_js(),
        media_type="text/javascript",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
