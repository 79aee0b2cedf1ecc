"""The ASGI application: `create_app(settings)` opens the configured graph for the app's whole
life (for the embedded FalkorDB that makes the API one of its users, so its idle watchdog
leaves it running) and serves the read routes; uploads are queued as jobs, which a worker
in the same process runs for as long as the app lives (`jobs.runtime`).

Errors are JSON (`{"detail": ...}`): 401/403 for a missing or insufficient token, 404 for an
id the graph does not hold, 422 for a bad parameter, 503 when the graph or the event store
does not answer, never a 500 for a store error.

Every router gets its role where it is included below; the probes alone are open. Tokens are
required when `settings.api_auth` is on (`serve` turns it on for any address beyond
loopback). `app_from_env` builds the app from the environment, for uvicorn's worker
processes (`serve --workers N`) and for running it under any ASGI server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from interview_graph import bootstrap
from interview_graph.api.auth import Access, requires, user_store_failed
from interview_graph.api.docs_routes import docs_router
from interview_graph.api.errors import AUTH_RESPONSES, ERROR_RESPONSES
from interview_graph.api.event_log import EventLog
from interview_graph.api.event_routes import router as event_router
from interview_graph.api.job_routes import job_router
from interview_graph.api.observe import RequestObserver, enable_access_log, metrics_router
from interview_graph.api.probes import probe_router
from interview_graph.api.routes import router
from interview_graph.api.search_routes import router as search_router
from interview_graph.api.shutdown import shutdown_notice
from interview_graph.api.upload_routes import upload_router
from interview_graph.api.users_routes import users_router
from interview_graph.auth.roles import Role
from interview_graph.auth.users import UserStoreError
from interview_graph.events.port import EventStoreError
from interview_graph.graph.port import GraphStoreError
from interview_graph.jobs.runtime import running_jobs
from interview_graph.logs import configure_logging
from interview_graph.settings import Settings

VIEWER = [Depends(requires(Role.VIEWER))]
EDITOR = [Depends(requires(Role.EDITOR))]
ADMIN = [Depends(requires(Role.ADMIN))]


class NoUsersError(RuntimeError):
    """Tokens are required but nobody holds one."""


def create_app(settings: Settings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        bootstrap.ensure_data_dir(settings)
        users = bootstrap.build_user_store(settings)
        app.state.event_log = EventLog(settings)
        try:
            if settings.api_auth and users.count() == 0:
                raise NoUsersError(NO_USERS)
            app.state.access = Access(required=settings.api_auth, users=users)
            async with bootstrap.open_graph_store(settings) as graph:
                app.state.graph = graph
                async with running_jobs(settings, graph) as jobs, shutdown_notice() as ending:
                    app.state.ending, app.state.jobs = ending, jobs
                    yield
        finally:
            users.close()
            await app.state.event_log.close()

    app = FastAPI(
        title="interview-graph",
        summary="Read the interviews' graph: interviews, sentences with their analyses, counts.",
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
        docs_url=None,  # docs_router serves /docs and /openapi.json, behind the viewer role
        redoc_url=None,
        openapi_url=None,
    )
    app.include_router(probe_router)  # open: probes carry no credentials
    app.include_router(router, dependencies=VIEWER, responses=AUTH_RESPONSES)
    app.include_router(event_router, dependencies=VIEWER, responses=AUTH_RESPONSES)
    app.include_router(search_router, dependencies=VIEWER, responses=AUTH_RESPONSES)
    app.include_router(job_router, dependencies=VIEWER, responses=AUTH_RESPONSES)
    app.include_router(upload_router, dependencies=EDITOR, responses=AUTH_RESPONSES)
    app.include_router(metrics_router, dependencies=VIEWER, responses=AUTH_RESPONSES)
    app.include_router(docs_router, dependencies=VIEWER, responses=AUTH_RESPONSES)
    app.include_router(users_router, dependencies=ADMIN, responses=AUTH_RESPONSES)
    app.add_exception_handler(GraphStoreError, _graph_unavailable)
    app.add_exception_handler(EventStoreError, _event_store_unavailable)
    app.add_exception_handler(UserStoreError, user_store_failed)
    _add_middleware(app, settings)
    return app


NO_USERS = (
    "this server requires tokens (API_AUTH, `serve --auth`, or an address beyond loopback) "
    "but has no users: add one with `interview-graph users add NAME --role admin`"
)


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """CORS only for the configured origins; the observer outermost, so it sees every
    request (preflights included) and times all of it."""
    origins = settings.cors_origin_list
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
            max_age=600,
        )
    if settings.api_access_log:
        enable_access_log()
    app.add_middleware(RequestObserver, count=settings.api_metrics, log=settings.api_access_log)


def app_from_env() -> FastAPI:
    """The app on the settings of the environment (and .env), with structured logging: the
    factory uvicorn calls in each worker process."""
    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)


async def _event_store_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"the event store failed: {exc}"})


async def _graph_unavailable(_request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content={"detail": f"the graph did not answer: {exc}"})
