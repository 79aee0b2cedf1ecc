"""The GraphStore contract on an embedded FalkorDB, plus the embedded server's own behaviour."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from tests.integration.graph_contract import (
    GraphStoreContract,
    export_lines,
    make_analysis,
    make_interview,
    make_sentences,
    write_all,
)


@pytest.fixture(scope="module")
def falkordb_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedFalkorDB]:
    """One embedded server for the module; each test gets its own graph in it."""
    server = EmbeddedFalkorDB(tmp_path_factory.mktemp("falkordb"))
    server.start()
    yield server
    server.stop()


class TestFalkorDBGraphStore(GraphStoreContract):
    @pytest.fixture
    async def store(self, falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[FalkorDBGraphStore]:
        async with FalkorDBGraphStore(falkordb_server, f"test_{uuid.uuid4().hex}") as store:
            await store.ensure_schema()
            yield store


async def test_two_users_share_one_server_until_the_last_closes(tmp_path: Path) -> None:
    first, second = EmbeddedFalkorDB(tmp_path), EmbeddedFalkorDB(tmp_path)
    first.start()
    pid = first._server_pid()
    second.start()
    assert second._server_pid() == pid is not None  # reused, not started twice

    first.stop()
    assert second.ping()  # still serving the remaining user
    interview = make_interview()
    async with FalkorDBGraphStore(second, "shared") as store:
        await store.ensure_schema()
        await store.write_interview(interview)
    assert second.ping()  # the store did not own the server, so it left it running

    second.stop()
    assert not first.ping() and not second.ping()
    assert not second.socket_path.exists()


async def test_data_survives_a_server_restart(tmp_path: Path) -> None:
    interview = make_interview()
    sentences = make_sentences(interview, 30)
    async with FalkorDBGraphStore(EmbeddedFalkorDB(tmp_path), "durable") as store:
        await store.ensure_schema()
        await write_all(store, interview, sentences, [make_analysis(s) for s in sentences], 10)
        before = await export_lines(store)
    assert not EmbeddedFalkorDB(tmp_path).ping()  # the only user closed: server stopped

    async with FalkorDBGraphStore(EmbeddedFalkorDB(tmp_path), "durable") as store:
        assert await export_lines(store) == before
        assert len(before) > 100


async def test_stale_socket_and_pid_files_are_ignored(tmp_path: Path) -> None:
    server = EmbeddedFalkorDB(tmp_path)
    server.socket_path.write_text("not a socket")
    server.pid_path.write_text("999999999")
    with server:
        assert server.ping()
    assert not server.ping()


async def test_long_data_dir_gets_a_short_socket_path(tmp_path: Path) -> None:
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    server = EmbeddedFalkorDB(deep)
    assert len(str(server.socket_path)) <= 100
    with server:
        assert server.ping()
        assert EmbeddedFalkorDB(deep).socket_path == server.socket_path
