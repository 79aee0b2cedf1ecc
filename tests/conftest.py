"""Real services for the test suite: Neo4j (from Maven Central artifacts) and PostgreSQL (from
Debian's packages), each started once per session on 127.0.0.1 and stopped at the end, and an
embedded FalkorDB per test module that asks for `falkordb_server`.

NEO4J_URI / EVENT_STORE_URL=postgresql://... point the suite at existing servers instead.
Under `./run test` (IG_REQUIRE_SERVICES=1) a service that cannot start fails the run; a bare
`pytest` skips the tests that need it, with the reason.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from interview_graph.graph.falkordb_server import EmbeddedFalkorDB

REPO = Path(__file__).resolve().parents[1]
# Embedded servers opened through the settings stop with their last user, so no test leaves
# one idling behind it; the idle-period tests set their own.
os.environ["FALKORDB_IDLE_SECONDS"] = "0"
if str(REPO / "scripts") not in sys.path:
    sys.path.insert(0, str(REPO / "scripts"))


def services_required() -> bool:
    return os.environ.get("IG_REQUIRE_SERVICES") == "1"


def unavailable(service: str, reason: str) -> None:
    message = f"{service} not available: {reason}"
    if services_required():
        pytest.fail(message + " (IG_REQUIRE_SERVICES=1: the test command must start it)")
    pytest.skip(message)


@dataclass(frozen=True)
class Neo4jConnection:
    uri: str
    user: str
    password: str
    database: str


@pytest.fixture(scope="session")
def neo4j_connection(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Neo4jConnection]:
    if os.environ.get("NEO4J_URI"):
        yield Neo4jConnection(
            uri=os.environ["NEO4J_URI"],
            user=os.environ.get("NEO4J_USER", "neo4j"),
            password=os.environ.get("NEO4J_PASSWORD", "neo4j"),
            database=os.environ.get("NEO4J_DATABASE", "neo4j"),
        )
        return
    try:
        from services.neo4j_server import start_neo4j

        server = start_neo4j(tmp_path_factory.mktemp("neo4j"))
    except Exception as exc:
        unavailable("Neo4j", f"{type(exc).__name__}: {exc}")
        raise AssertionError("unreachable") from exc
    try:
        yield Neo4jConnection(server.uri, server.user, server.password, server.database)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The PostgreSQL server object (with stop_server/start_server for fault tests)."""
    try:
        from services.postgres_server import start_postgres

        server = start_postgres(tmp_path_factory.mktemp("postgres"))
    except Exception as exc:
        unavailable("PostgreSQL", f"{type(exc).__name__}: {exc}")
        raise AssertionError("unreachable") from exc
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(request: pytest.FixtureRequest) -> str:
    url = os.environ.get("EVENT_STORE_URL", "")
    if url.startswith("postgresql://"):
        return url
    server = request.getfixturevalue("postgres_server")
    return str(server.url)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def falkordb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedFalkorDB]:
    """One embedded FalkorDB for a test module; each test gets its own graph in it."""
    server = EmbeddedFalkorDB(tmp_path_factory.mktemp("falkordb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def no_embedded_server_outlives_the_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Crash tests SIGKILL the CLI on purpose, which leaves its embedded FalkorDB running (as
    it would for a user, until its idle watchdog or the next command stops it). At the end of
    the session every embedded server whose data lives under this session's temporary folder
    is stopped, so no test leaves a process behind."""
    yield
    root = str(tmp_path_factory.getbasetemp())
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if root in command and ("redis-server" in command or "falkordb_watchdog" in command):
            with contextlib.suppress(OSError):
                os.kill(int(proc.name), signal.SIGTERM)


def wipe_neo4j(conn: Neo4jConnection) -> None:
    from neo4j import GraphDatabase

    with GraphDatabase.driver(conn.uri, auth=(conn.user, conn.password)) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n", database_=conn.database)


def graph_overrides(request: pytest.FixtureRequest, backend: str) -> dict[str, str]:
    """The settings that point a command at `backend`: the embedded FalkorDB, or the session's
    Neo4j, emptied first."""
    if backend == "falkordb":
        return {"GRAPH_BACKEND": "falkordb"}
    conn: Neo4jConnection = request.getfixturevalue("neo4j_connection")
    wipe_neo4j(conn)
    return {
        "GRAPH_BACKEND": "neo4j",
        "NEO4J_URI": conn.uri,
        "NEO4J_USER": conn.user,
        "NEO4J_PASSWORD": conn.password,
        "NEO4J_DATABASE": conn.database,
    }


@pytest.fixture(params=["falkordb", "neo4j"])
def graph_env(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """A CLI environment on each graph backend, with its own data directory."""
    from tests.integration.cli_helpers import base_env

    return base_env(tmp_path / "data", **graph_overrides(request, request.param))
