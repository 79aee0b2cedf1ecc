"""Ports load no database driver: the projection and the domain see only interfaces."""

from __future__ import annotations

import json
import subprocess
import sys

DRIVERS = ("neo4j", "falkordb", "redis")

PORTS_AND_THEIR_USERS = (
    "interview_graph.graph.port",
    "interview_graph.projection.port",
    "interview_graph.projection.projector",
    "interview_graph.projection.verify",
    "interview_graph.projection.backfill",
)


def drivers_loaded_by(*modules: str) -> list[str]:
    """The driver packages a fresh interpreter holds after importing `modules`."""
    probe = (
        "import importlib, json, sys\n"
        f"for module in {modules!r}: importlib.import_module(module)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {DRIVERS!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def test_ports_and_the_projection_load_no_driver() -> None:
    assert drivers_loaded_by(*PORTS_AND_THEIR_USERS) == []


def test_the_probe_sees_the_drivers_adapters_load() -> None:
    loaded = drivers_loaded_by(
        "interview_graph.graph.neo4j_store", "interview_graph.graph.falkordb_store"
    )
    assert {name.split(".")[0] for name in loaded} == set(DRIVERS)
