"""Importing a port loads no database driver: only bootstrap picks and imports a backend."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DRIVERS = ("psycopg", "psycopg_pool", "kurrentdbclient", "neo4j", "falkordb", "redis")


def drivers_loaded_by(*modules: str) -> list[str]:
    """Imports `modules` in a fresh interpreter and names the drivers it pulled in."""
    probe = (
        "import importlib, json, sys\n"
        f"for module in {modules!r}: importlib.import_module(module)\n"
        f"print(json.dumps([name for name in {DRIVERS!r} if name in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    return loaded


@pytest.mark.parametrize(
    "module",
    [
        "interview_graph.events",
        "interview_graph.events.port",
        "interview_graph.events.codec",
        "interview_graph.events.run_encoder",
        "interview_graph.dualwrite.outbox_port",
        "interview_graph.graph.port",
        "interview_graph.projection.port",
        "interview_graph.search.port",
        "interview_graph.search.query",
        "interview_graph.projection.projector",
        "interview_graph.projection.verify",
        "interview_graph.projection.backfill",
        "interview_graph.dualwrite.writer",
        "interview_graph.jobs.port",
        "interview_graph.jobs.worker",
        "interview_graph.bootstrap",
    ],
)
def test_importing_a_port_or_its_users_loads_no_driver(module: str) -> None:
    assert drivers_loaded_by(module) == []


def test_the_probe_sees_the_drivers_backends_load() -> None:
    loaded = drivers_loaded_by(
        "interview_graph.events.postgres_store",
        "interview_graph.graph.neo4j_store",
        "interview_graph.graph.falkordb_store",
    )
    assert {"psycopg", "neo4j", "falkordb", "redis"} <= set(loaded)


def test_the_job_worker_runs_without_the_web_framework() -> None:
    """The worker and its runtime may run outside `serve` (another process, another host)."""
    probe = (
        "import json, sys\n"
        "import interview_graph.jobs.runtime, interview_graph.jobs.sqlite_queue\n"
        "print(json.dumps([m for m in ('fastapi', 'starlette', 'uvicorn') if m in sys.modules]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
