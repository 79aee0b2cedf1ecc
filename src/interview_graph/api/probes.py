"""The probes: open to anyone whatever the app's tokens, for orchestrators and load balancers
that call them without credentials. They say whether the process is alive and whether the
graph and the event store answer, nothing about the data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from interview_graph.api.event_log import EventLog
from interview_graph.graph.port import GraphStore

probe_router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


@probe_router.get("/healthz")
async def healthz() -> Health:
    """The process is alive."""
    return Health(status="ok")


@probe_router.get("/readyz")
async def readyz(request: Request) -> Health:
    """The graph and the event store answer (503 when one does not)."""
    graph: GraphStore = request.app.state.graph
    await graph.stats()
    event_log: EventLog = request.app.state.event_log
    await (await event_log.store()).last_position()
    return Health(status="ready")
