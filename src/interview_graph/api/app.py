"""The ASGI application: `create_app(settings)` opens the configured graph for the app's whole
life (for the embedded FalkorDB that makes the API one of its users, so its idle watchdog
leaves it running) and serves the read routes; uploads are queued as jobs, which a worker
in the same process runs for as long as the app lives (`jobs.runtime`).

Errors are JSON (`{"detail": ...}`): 404 for an id the graph does not hold, 422 for a bad
parameter, 503 when the graph does not answer, never a 500 for a store error.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from interview_graph import bootstrap
from interview_graph.api.job_routes import job_router
from interview_graph.api.routes import router
from interview_graph.api.shutdown import shutdown_notice
from interview_graph.api.upload_routes import upload_router
from interview_graph.graph.port import GraphStoreError
from interview_graph.jobs.runtime import running_jobs
from interview_graph.settings import Settings


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bootstrap.ensure_data_dir(settings)
        async with bootstrap.open_graph_store(settings) as graph:
            app.state.graph = graph
            async with running_jobs(settings, graph) as jobs, shutdown_notice() as ending:
                app.state.ending, app.state.jobs = ending, jobs
                yield

    # The interactive docs pages load their scripts from a CDN; the browser side of this
    # product ships inside the package, so only the OpenAPI document is served for now.
    app = FastAPI(
        title="interview-graph",
        summary="Read the interviews' graph: interviews, sentences with their analyses, counts.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.include_router(router)
    app.include_router(upload_router)
    app.include_router(job_router)
    app.add_exception_handler(GraphStoreError, _graph_unavailable)
    return app


async def _graph_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"the graph did not answer: {exc}"})
