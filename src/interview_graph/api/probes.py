"""The probes: open to anyone whatever the app's tokens, for orchestrators and load balancers
that call them without credentials. They say whether the process is alive and whether the
graph answers, nothing about the data."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

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
    """The graph answers (503 when it does not)."""
    graph: GraphStore = request.app.state.graph
    await graph.stats()
    return Health(status="ready")
