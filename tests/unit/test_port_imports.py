"""Importing a port loads no database driver: only bootstrap picks and imports a backend."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

DRIVERS = ("psycopg", "psycopg_pool", "kurrentdbclient", "neo4j", "falkordb", "redis")


def drivers_loaded_by(module: str) -> list[str]:
    """Imports `module` in a fresh interpreter and names the drivers it pulled in."""
    probe = (
        "import importlib, json, sys\n"
        f"importlib.import_module({module!r})\n"
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
        "interview_graph.bootstrap",
    ],
)
def test_importing_a_port_loads_no_driver(module: str) -> None:
    assert drivers_loaded_by(module) == []


def test_the_probe_sees_a_driver_when_a_backend_is_imported() -> None:
    assert "psycopg" in drivers_loaded_by("interview_graph.events.postgres_store")
