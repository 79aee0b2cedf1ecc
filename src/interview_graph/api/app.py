"""The ASGI application: `create_app(settings)` opens the configured graph for the app's whole
life (for the embedded FalkorDB that makes the API one of its users, so its idle watchdog
leaves it running) and serves the read routes.

Errors are JSON (`{"detail": ...}`): 404 for an id the graph does not hold, 422 for a bad
parameter, 503 when the graph or the event store does not answer, never a 500 for a store
error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from interview_graph import bootstrap
from interview_graph.api.errors import ERROR_RESPONSES
from interview_graph.api.event_log import EventLog
from interview_graph.api.event_routes import router as event_router
from interview_graph.api.routes import router
from interview_graph.events.port import EventStoreError
from interview_graph.graph.port import GraphStoreError
from interview_graph.settings import Settings
from interview_graph.web import static_files, web_router


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bootstrap.ensure_data_dir(settings)
        app.state.event_log = EventLog(settings)
        try:
            async with bootstrap.open_graph_store(settings) as graph:
                app.state.graph = graph
                yield
        finally:
            await app.state.event_log.close()

    # The interactive docs pages load their scripts from a CDN; the browser side of this
    # product ships inside the package, so only the OpenAPI document is served for now.
    app = FastAPI(
        title="interview-graph",
        summary="Read the interviews' graph: interviews, sentences with their analyses, counts.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,
        redoc_url=None,
    )
    app.include_router(router)
    app.include_router(event_router)
    app.include_router(web_router)  # the workbench's pages, at /
    app.mount("/static", static_files(), name="static")
    app.add_exception_handler(GraphStoreError, _graph_unavailable)
    app.add_exception_handler(EventStoreError, _event_store_unavailable)
    return app


async def _event_store_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"the event store failed: {exc}"})


async def _graph_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"the graph did not answer: {exc}"})
