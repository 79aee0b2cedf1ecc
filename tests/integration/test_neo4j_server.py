"""The Neo4j server the suite runs: a real Neo4j 5 from Maven Central that the async driver
can use, that stops cleanly, and that never outlives the process that started it."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from neo4j import AsyncGraphDatabase
from neo4j.exceptions import ConstraintError

from services.neo4j_server import ensure_built, start_neo4j
from tests.conftest import unavailable

pytestmark = [pytest.mark.neo4j, pytest.mark.usefixtures("neo4j_launcher_built")]

SCRIPTS_DIR = Path(__file__).resolve().parents[2] / "scripts"
EXIT_TIMEOUT_S = 60.0

PEOPLE = [
    {"id": "p1", "name": "Ada"},
    {"id": "p2", "name": "Grace"},
    {"id": "p1", "name": "Ada Lovelace"},  # same key again: MERGE must update, not duplicate
]


@pytest.fixture(scope="module")
def neo4j_launcher_built() -> None:
    """Skips (or, under IG_REQUIRE_SERVICES=1, fails) where Maven or a JDK 17 is missing."""
    try:
        ensure_built()
    except RuntimeError as exc:
        unavailable("Neo4j", str(exc))


async def test_async_driver_merges_under_a_uniqueness_constraint(tmp_path: Path) -> None:
    server = await asyncio.to_thread(start_neo4j, tmp_path)
    try:
        auth = (server.user, server.password)
        async with AsyncGraphDatabase.driver(server.uri, auth=auth) as driver:
            await driver.execute_query(
                "CREATE CONSTRAINT person_id IF NOT EXISTS FOR (p:Person) REQUIRE p.id IS UNIQUE",
                database_=server.database,
            )
            merged = await driver.execute_query(
                "UNWIND $rows AS row MERGE (p:Person {id: row.id}) SET p.name = row.name",
                rows=PEOPLE,
                database_=server.database,
            )
            people = await driver.execute_query(
                "MATCH (p:Person) RETURN p.id AS id, p.name AS name ORDER BY id",
                database_=server.database,
            )
            with pytest.raises(ConstraintError):
                await driver.execute_query(
                    "CREATE (:Person {id: $id})", id="p2", database_=server.database
                )

        assert merged.summary.counters.nodes_created == 2
        assert [(r["id"], r["name"]) for r in people.records] == [
            ("p1", "Ada Lovelace"),
            ("p2", "Grace"),
        ]
        assert (people.summary.server.agent or "").startswith("Neo4j/5.")
    finally:
        await asyncio.to_thread(server.stop)

    assert server.process.poll() is not None
    assert "STOPPED" in server.log_path.read_text(encoding="utf-8")
    assert not _port_accepts(server.uri)


def test_server_stops_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", _STARTER, str(SCRIPTS_DIR), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert starter.stdout is not None
        pid_line = starter.stdout.readline()
        log_path = tmp_path / "neo4j.log"
        assert pid_line, f"the starter failed; {log_path}: {log_path.read_text()[-2000:]}"
        jvm_pid = int(pid_line)
        assert _is_running(jvm_pid)
        os.kill(starter.pid, signal.SIGKILL)
        starter.wait()
        deadline = time.monotonic() + EXIT_TIMEOUT_S
        while _is_running(jvm_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _is_running(jvm_pid), f"JVM {jvm_pid} outlived its parent"
    finally:
        starter.kill()
        starter.wait()
    assert "stdin closed" in log_path.read_text(encoding="utf-8")


def test_a_server_that_cannot_start_is_reported_with_its_log(tmp_path: Path) -> None:
    # A maximum heap below the initial one makes the JVM refuse to start.
    with pytest.raises(RuntimeError, match="exited with code") as failure:
        start_neo4j(tmp_path, timeout_s=60, extra_jvm_options=["-Xmx1m"])
    assert "heap" in str(failure.value).lower()  # the JVM's own reason, from the log tail


# Starts a server, reports the JVM's pid, then idles until it is killed.
_STARTER = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from services.neo4j_server import start_neo4j
server = start_neo4j(Path(sys.argv[2]))
print(server.process.pid, flush=True)
time.sleep(600)
"""


def _port_accepts(uri: str) -> bool:
    parts = urlsplit(uri)
    try:
        with socket.create_connection((parts.hostname or "", parts.port or 0), timeout=2):
            return True
    except OSError:
        return False


def _is_running(pid: int) -> bool:
    """True if the process exists and is not a zombie waiting for a reaper."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return fields[0] not in ("Z", "X")
