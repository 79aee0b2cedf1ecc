"""Projection, verify and backfill end to end: the real CLI against real stores (issue 5).

The graph is tampered with beneath the adapters on purpose (raw Cypher through the adapter's
own connection) to create the differences `verify` must find.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from interview_graph.domain.events import DomainEvent, EventType, event_id_for
from interview_graph.graph.cypher_store import CypherGraphStore
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from interview_graph.graph.port import GraphStore
from tests.conftest import Neo4jConnection
from tests.integration.cli_helpers import CLI, REPO, SAMPLES, base_env, run_cli
from tests.integration.dual_write_helpers import read_all_events, settings_for

KILL_BATCH = 50


def _ignore_runtime_files(_dir: str, names: list[str]) -> set[str]:
    return {n for n in names if n.endswith((".sock", ".lock", ".pid"))}


def copy_data_dir(source: Path, target: Path) -> Path:
    """A private copy of a processed data directory (its FalkorDB server is stopped)."""
    shutil.copytree(source, target, ignore=_ignore_runtime_files)
    return target


def export_of(env: dict[str, str], graph: str | None = None) -> list[str]:
    overrides = {} if graph is None else {"FALKORDB_GRAPH": graph}
    result = run_cli(["export"], {**env, **overrides})
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def neo4j_env(data_dir: Path, neo4j: Neo4jConnection) -> dict[str, str]:
    return base_env(
        data_dir,
        GRAPH_BACKEND="neo4j",
        NEO4J_URI=neo4j.uri,
        NEO4J_USER=neo4j.user,
        NEO4J_PASSWORD=neo4j.password,
        NEO4J_DATABASE=neo4j.database,
    )


@asynccontextmanager
async def falkordb_graph(data_dir: Path, name: str) -> AsyncIterator[FalkorDBGraphStore]:
    server = EmbeddedFalkorDB(data_dir / "falkordb")
    async with FalkorDBGraphStore(server, name) as graph:
        yield graph


async def raw_cypher(graph: GraphStore, query: str, params: dict[str, Any]) -> list[list[Any]]:
    """Run a statement beneath the adapter (tests only: to damage a graph on purpose)."""
    assert isinstance(graph, CypherGraphStore)
    return await graph._run_one(query, params, write=True, operation="test tampering")


def process(paths: list[Path], env: dict[str, str], *, events: bool = True) -> dict[str, Any]:
    flag = "--events" if events else "--no-events"
    result = run_cli(["process", *map(str, paths), flag, "--json"], env, timeout=600)
    assert result.returncode == 0, result.stderr
    summary: dict[str, Any] = result.json()
    if events:
        assert summary["totals"]["events"]["pending"] == 0
    return summary


@pytest.fixture(scope="module")
def processed_samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample transcripts processed with dual-write on (FalkorDB + SQLite event store)."""
    data_dir = tmp_path_factory.mktemp("processed") / "data"
    process([SAMPLES], base_env(data_dir))
    return data_dir


@pytest.fixture
def samples_copy(processed_samples: Path, tmp_path: Path) -> Path:
    return copy_data_dir(processed_samples, tmp_path / "data")


# ---------------------------------------------------------------- rebuild


def test_rebuild_into_another_falkordb_graph_exports_identically(samples_copy: Path) -> None:
    env = base_env(samples_copy)
    source = export_of(env)
    assert len(source) > 500

    verified = run_cli(["verify", "--json"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.json()["ok"] and verified.json()["interviews"] == 5

    rebuilt = run_cli(["rebuild", "--target", "falkordb:rebuilt", "--json"], env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    report = rebuilt.json()
    events = asyncio.run(read_all_events(settings_for(samples_copy)))
    assert report["events"] == len(events)
    assert report["interviews"] == 5
    assert report["sentences"] == verified.json()["sentences"]
    assert report["position"] == max(e.position or 0 for e in events)
    assert export_of(env, "rebuilt") == source

    again = run_cli(["rebuild", "--target", "falkordb:rebuilt", "--json"], env)
    assert again.returncode == 0, again.stderr
    assert again.json()["events"] == 0  # resumed at the checkpoint: nothing left to do
    assert export_of(env, "rebuilt") == source

    on_rebuilt = run_cli(["verify", "--target", "falkordb:rebuilt", "--json"], env)
    assert on_rebuilt.returncode == 0 and on_rebuilt.json()["ok"]


def test_rebuild_refuses_a_graph_with_data_unless_wiped(samples_copy: Path) -> None:
    env = base_env(samples_copy)
    source = export_of(env)
    refused = run_cli(["rebuild"], env)
    assert refused.returncode == 2
    assert "--wipe --yes" in refused.stderr
    unconfirmed = run_cli(["rebuild", "--wipe"], env)
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert export_of(env) == source  # nothing touched

    wiped = run_cli(["rebuild", "--wipe", "--yes", "--json"], env)
    assert wiped.returncode == 0, wiped.stderr
    assert export_of(env) == source
    assert run_cli(["verify"], env).returncode == 0

    bad = run_cli(["rebuild", "--target", "mysql://x"], env)
    assert bad.returncode == 2 and "falkordb:NAME" in bad.stderr


def test_neo4j_rebuilds_identically_and_after_wiping_itself(
    neo4j_connection: Neo4jConnection, tmp_path: Path
) -> None:
    env = neo4j_env(tmp_path / "data", neo4j_connection)
    wiped = run_cli(["rebuild", "--wipe", "--yes"], env)  # start from an empty database
    assert wiped.returncode == 0, wiped.stderr
    process([SAMPLES], env)
    source = export_of(env)
    assert len(source) > 500
    assert run_cli(["verify"], env).returncode == 0

    # Into a FalkorDB graph: the canonical export is the same across backends.
    copied = run_cli(["rebuild", "--target", "falkordb:copy", "--json"], env)
    assert copied.returncode == 0, copied.stderr
    falkordb_env = base_env(tmp_path / "data", FALKORDB_GRAPH="copy")
    assert export_of(falkordb_env) == source

    # The same Neo4j database, wiped and rebuilt from the log alone.
    rebuilt = run_cli(["rebuild", "--wipe", "--yes", "--json"], env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert rebuilt.json()["sentences"] > 200
    assert export_of(env) == source
    assert run_cli(["verify"], env).returncode == 0

    # And a FalkorDB source rebuilt into Neo4j through a bolt URL target.
    target = f"{neo4j_connection.uri}/{neo4j_connection.database}"
    into_neo4j = run_cli(
        ["rebuild", "--target", target, "--wipe", "--yes"],
        base_env(tmp_path / "data", NEO4J_USER=neo4j_connection.user,
                 NEO4J_PASSWORD=neo4j_connection.password),
    )  # fmt: skip
    assert into_neo4j.returncode == 0, into_neo4j.stderr
    assert export_of(env) == source


# ---------------------------------------------------------------- verify


def _differences(result: Any) -> list[dict[str, Any]]:
    payload = result.json()
    return sorted(payload["differences"], key=lambda d: (d["entity"], d["kind"]))


async def _tamper(data_dir: Path) -> dict[str, Any]:
    """Alter a sentence's text, delete an analysis, undo a status change; say what changed."""
    async with falkordb_graph(data_dir, "interview_graph") as graph:
        interview_id = sorted(s.interview_id for s in await graph.list_interviews())[0]
        views = await graph.get_sentences(interview_id)
        edited, analysed = views[1].sentence, views[2].analyses[0]
        await raw_cypher(
            graph,
            "MATCH (s:Sentence {sentence_id: $id}) SET s.text = $text",
            {"id": edited.sentence_id, "text": "edited behind the log's back"},
        )
        await raw_cypher(
            graph,
            "MATCH (a:Analysis {analysis_id: $id}) DETACH DELETE a",
            {"id": analysed.analysis_id},
        )
        await raw_cypher(
            graph,
            "MATCH (i:Interview {interview_id: $id}) SET i.status = 'processing'",
            {"id": interview_id},
        )
        other = sorted(s.interview_id for s in await graph.list_interviews())[1]
        last_sentence = (await graph.get_sentences(other))[-1].sentence
    return {
        "interview_id": interview_id,
        "edited": edited,
        "analysis_id": analysed.analysis_id,
        "other_interview": other,
        "other_sentence": last_sentence,
    }


def test_verify_reports_exactly_the_differences(samples_copy: Path) -> None:
    env = base_env(samples_copy)
    changed = asyncio.run(_tamper(samples_copy))
    result = run_cli(["verify", "--json"], env)
    assert result.returncode == 1, result.stderr
    interview_id = changed["interview_id"]
    assert _differences(result) == [
        {
            "kind": "missing_in_graph", "entity": "Analysis", "interview_id": interview_id,
            "id": changed["analysis_id"], "field": None, "graph": None, "log": None,
            "detail": _differences(result)[0]["detail"],
        },
        {
            "kind": "field_differs", "entity": "Interview", "interview_id": interview_id,
            "id": interview_id, "field": "status", "graph": "processing", "log": "completed",
            "detail": None,
        },
        {
            "kind": "field_differs", "entity": "Sentence", "interview_id": interview_id,
            "id": changed["edited"].sentence_id, "field": "text",
            "graph": "edited behind the log's back", "log": changed["edited"].text,
            "detail": None,
        },
    ]  # fmt: skip
    assert "sequence_order 2" in _differences(result)[0]["detail"]

    human = run_cli(["verify"], env)
    assert human.returncode == 1
    assert "3 difference(s)" in human.stdout
    assert "text differs" in human.stdout and "edited behind the log's back" in human.stdout

    # Scoped to an untouched interview, the two agree.
    scoped = run_cli(["verify", "--interview", changed["other_interview"], "--json"], env)
    assert scoped.returncode == 0 and scoped.json()["interviews"] == 1
    assert run_cli(["verify", "--interview", "not-a-uuid"], env).returncode == 2

    # A fact the log lost: that sentence's SentenceCreated event removed from the store.
    sentence = changed["other_sentence"]
    lost = event_id_for(sentence.sentence_id, EventType.SENTENCE_CREATED)
    with sqlite3.connect(samples_copy / "events.sqlite3") as db:
        assert db.execute("DELETE FROM events WHERE event_id = ?", (lost,)).rowcount == 1
    after = run_cli(["verify", "--interview", changed["other_interview"], "--json"], env)
    assert after.returncode == 1
    assert [(d["kind"], d["entity"], d["id"]) for d in after.json()["differences"]] == [
        ("missing_in_log", "Sentence", sentence.sentence_id)
    ]


# ---------------------------------------------------------------- backfill


def test_backfill_after_processing_with_events_off(processed_samples: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    env = base_env(data_dir)
    process([SAMPLES], env, events=False)
    before = run_cli(["verify", "--json"], env)
    assert before.returncode == 1
    assert {(d["kind"], d["entity"]) for d in before.json()["differences"]} == {
        ("missing_in_log", "Interview")
    }
    assert len(before.json()["differences"]) == 5

    filled = run_cli(["backfill", "--json"], env)
    assert filled.returncode == 0, filled.stderr
    events = asyncio.run(read_all_events(settings_for(data_dir)))
    assert filled.json()["events"] == len(events) > 500
    assert_backfilled_chain(events)
    # The same facts get exactly the ids the dual-writing pipeline gave them.
    dual_written = asyncio.run(read_all_events(settings_for(processed_samples)))
    assert {e.event_id for e in events} == {e.event_id for e in dual_written}

    assert run_cli(["verify"], env).returncode == 0
    assert run_cli(["backfill", "--json"], env).json()["events"] == 0  # idempotent

    rebuilt = run_cli(["rebuild", "--target", "falkordb:rebuilt"], env)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert export_of(env, "rebuilt") == export_of(env)


def assert_backfilled_chain(events: list[DomainEvent]) -> None:
    by_id = {e.event_id: e for e in events}
    for event in events:
        assert event.actor.actor_type == "system" and event.actor.user_id == "backfill"
        assert event.source == "backfill"
        if event.event_type == EventType.INTERVIEW_CREATED:
            assert event.causation_id is None
            continue
        cause = by_id[event.causation_id or ""]
        assert cause.correlation_id == event.correlation_id
        if event.event_type == EventType.ANALYSIS_GENERATED:
            assert cause.event_type == EventType.SENTENCE_CREATED
            assert cause.aggregate_id == event.aggregate_id
        else:
            assert cause.event_type == EventType.INTERVIEW_CREATED
            interview_id = event.data.get("interview_id", event.aggregate_id)
            assert cause.aggregate_id == interview_id


# ---------------------------------------------------------------- crash and follow


@pytest.fixture(scope="module")
def processed_big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4,000-sentence generated transcript processed with events on: about 8,000 events."""
    sys.path.insert(0, str(REPO))
    from bench.transcript_gen import generate_transcript

    root = tmp_path_factory.mktemp("big")
    transcript = root / "big.txt"
    transcript.write_text(generate_transcript(4000, 11), encoding="utf-8")
    process([transcript], base_env(root / "data"))
    return root / "data"


def last_position(events: list[DomainEvent]) -> int:
    return max(e.position or 0 for e in events)


def _sentence_events_upto(events: list[DomainEvent], position: int) -> tuple[int, int]:
    upto = [e for e in events if (e.position or 0) <= position]
    sentences = sum(1 for e in upto if e.event_type == EventType.SENTENCE_CREATED)
    analyses = sum(1 for e in upto if e.event_type == EventType.ANALYSIS_GENERATED)
    return sentences, analyses


async def _wait_for_checkpoint(
    data_dir: Path, graph: str, at_least: int, running: Callable[[], bool]
) -> int:
    """Waits until the projection's checkpoint reaches `at_least`; fails if the process
    writing it (`running` says whether it still runs) has exited before that."""
    async with falkordb_graph(data_dir, graph) as store:
        while True:
            position = await store.read_checkpoint("graph") or 0
            if position >= at_least:
                return position
            if not running():
                raise AssertionError(f"the projection exited before {graph} reached {at_least}")
            await asyncio.sleep(0.01)


async def _graph_counts(data_dir: Path, graph: str) -> tuple[int | None, int, int]:
    async with falkordb_graph(data_dir, graph) as store:
        stats = await store.stats()
        return await store.read_checkpoint("graph"), stats["Sentence"], stats["Analysis"]


def test_killed_rebuild_resumes_to_the_same_graph(processed_big: Path, tmp_path: Path) -> None:
    data_dir = copy_data_dir(processed_big, tmp_path / "data")
    env = base_env(data_dir)
    events = asyncio.run(read_all_events(settings_for(data_dir)))
    last = last_position(events)
    rebuild = [str(CLI), "rebuild", "--target", "falkordb:killed", "--batch-size", str(KILL_BATCH)]

    async def kill_mid_rebuild() -> int:
        async with falkordb_graph(data_dir, "warmup"):  # keep the server up across the kill
            child = await asyncio.create_subprocess_exec(
                *rebuild, env=env, cwd=REPO, stderr=asyncio.subprocess.DEVNULL
            )
            try:
                reached = await _wait_for_checkpoint(
                    data_dir, "killed", last // 4, lambda: child.returncode is None
                )
            finally:
                child.kill()  # SIGKILL: no cleanup, no last batch, mid-transaction if it must
                await child.wait()
            assert child.returncode == -signal.SIGKILL
            return reached

    reached = asyncio.run(kill_mid_rebuild())
    checkpoint, sentences, analyses = asyncio.run(_graph_counts(data_dir, "killed"))
    assert checkpoint is not None and reached <= checkpoint < last, "killed too late to tell"
    # Everything up to the checkpoint is in the graph and nothing after it: no gap, no extra.
    assert (sentences, analyses) == _sentence_events_upto(events, checkpoint)

    resumed = run_cli(["rebuild", "--target", "falkordb:killed", "--json"], env)
    assert resumed.returncode == 0, resumed.stderr
    assert resumed.json()["started_from"] == checkpoint
    assert resumed.json()["events"] == sum(1 for e in events if (e.position or 0) > checkpoint)

    clean = run_cli(["rebuild", "--target", "falkordb:clean"], env)
    assert clean.returncode == 0, clean.stderr
    assert export_of(env, "killed") == export_of(env, "clean") == export_of(env)


def test_project_follow_keeps_a_target_up_to_date(samples_copy: Path, tmp_path: Path) -> None:
    env = base_env(samples_copy)
    events = asyncio.run(read_all_events(settings_for(samples_copy)))
    follower = subprocess.Popen(
        [str(CLI), "project", "--target", "falkordb:live", "--follow", "--json"],
        env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def running() -> bool:
        return follower.poll() is None

    async def follow_new_events() -> None:
        async with falkordb_graph(samples_copy, "warmup"):
            await _wait_for_checkpoint(samples_copy, "live", last_position(events), running)
            sys.path.insert(0, str(REPO))
            from bench.transcript_gen import generate_transcript

            extra = tmp_path / "extra.txt"
            extra.write_text(generate_transcript(120, 5), encoding="utf-8")
            await asyncio.to_thread(process, [extra], env)
            grown = await read_all_events(settings_for(samples_copy))
            assert len(grown) > len(events)
            await _wait_for_checkpoint(samples_copy, "live", last_position(grown), running)

    try:
        asyncio.run(follow_new_events())
    finally:
        follower.send_signal(signal.SIGTERM)
        stdout, stderr = follower.communicate(timeout=30)
    assert follower.returncode == 0, stderr
    assert '"events"' in stdout
    assert export_of(env, "live") == export_of(env)
