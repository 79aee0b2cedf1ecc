"""Dual-write against real stores: the graph is never blocked or broken by the event store,
and no event is lost or duplicated."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from interview_graph import bootstrap
from interview_graph.domain.events import DomainEvent, EventType, event_id_for
from interview_graph.domain.ids import interview_id_for, project_id_for, sentence_id_for
from interview_graph.graph.port import GraphStore
from interview_graph.pipeline.segment import SpacySegmenter
from tests.integration.cli_helpers import CLI, REPO, base_env, run_cli, sample_files
from tests.integration.dual_write_helpers import (
    FailingAnalysesGraph,
    FlakyEventStore,
    HeldEventStore,
    RejectingEventStore,
    make_writer,
    read_all_events,
    run_pipeline,
    settings_for,
)


def generated_transcript(directory: Path, sentences: int, seed: int = 7) -> Path:
    import sys

    sys.path.insert(0, str(REPO))
    from bench.transcript_gen import generate_transcript

    path = directory / f"generated-{sentences}-{seed}.txt"
    path.write_text(generate_transcript(sentences, seed), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def segmenter() -> Iterator[SpacySegmenter]:
    seg = bootstrap.build_segmenter(settings_for(Path(".")))
    yield seg  # type: ignore[misc]
    seg.close()


@pytest.fixture
async def falkordb_graph(tmp_path: Path) -> AsyncIterator[GraphStore]:
    async with bootstrap.open_graph_store(settings_for(tmp_path / "data")) as graph:
        yield graph


def expected_event_count(reports: list[Any]) -> int:
    return sum(1 + r.sentences + r.analyses + 1 for r in reports)


def assert_complete_log(events: list[DomainEvent], expected: int) -> None:
    ids = [e.event_id for e in events]
    assert len(ids) == expected
    assert len(set(ids)) == expected, "duplicate event ids in the store"
    by_stream: dict[str, list[DomainEvent]] = {}
    for event in events:
        by_stream.setdefault(event.stream, []).append(event)
    for stream, stream_events in by_stream.items():
        types = [e.event_type for e in stream_events]
        if stream.startswith("Sentence-"):
            assert types == [EventType.SENTENCE_CREATED, EventType.ANALYSIS_GENERATED], stream
        else:
            assert types[0] == EventType.INTERVIEW_CREATED, stream
        assert [e.version for e in stream_events] == list(range(len(stream_events)))


async def test_events_carry_ids_actor_correlation_and_causation(tmp_path: Path) -> None:
    sample = sample_files()[0]
    env = base_env(tmp_path / "data")
    result = run_cli(["process", str(sample), "--events", "--json"], env)
    assert result.returncode == 0, result.stderr
    summary = result.json()
    file = summary["files"][0]
    assert summary["totals"]["events"]["pending"] == 0
    interview_id = file["interview_id"]
    shown = run_cli(["show", interview_id, "--json"], env).json()

    events = await read_all_events(settings_for(tmp_path / "data"))
    assert summary["totals"]["events"]["emitted"] == len(events)
    created = [e for e in events if e.event_type == EventType.INTERVIEW_CREATED]
    assert len(created) == 1
    root = created[0]
    assert root.aggregate_id == interview_id
    assert root.stream == f"Interview-{interview_id}"
    assert root.data["title"] == shown["interview"]["title"]
    assert root.causation_id is None
    assert len({e.correlation_id for e in events}) == 1
    uuid.UUID(root.correlation_id)
    for event in events:
        assert event.actor.actor_type == "system"
        assert event.actor.user_id == "pipeline"
        assert event.source == "pipeline"
        assert event.project_id == root.project_id

    sentences = {s["sequence_order"]: s for s in shown["sentences"]}
    sentence_events = [e for e in events if e.event_type == EventType.SENTENCE_CREATED]
    assert len(sentence_events) == len(sentences) == file["sentences"]
    for event in sentence_events:
        graph_sentence = sentences[event.data["index"]]
        assert event.aggregate_id == graph_sentence["sentence_id"]
        assert event.aggregate_id == sentence_id_for(interview_id, event.data["index"])
        assert event.data["text"] == graph_sentence["text"]
        assert event.data["speaker"] == graph_sentence["speaker"]
        assert event.data["start_ms"] == graph_sentence["start_ms"]
        assert event.causation_id == root.event_id

    analysis_events = [e for e in events if e.event_type == EventType.ANALYSIS_GENERATED]
    assert len(analysis_events) == len(sentences)
    for event in analysis_events:
        graph_analysis = sentences[event.data["sentence_index"]]["analyses"][0]
        assert event.aggregate_id == sentences[event.data["sentence_index"]]["sentence_id"]
        assert event.causation_id == event_id_for(event.aggregate_id, "SentenceCreated")
        assert event.data["classification"] == {
            "function_type": graph_analysis["function_type"],
            "structure_type": graph_analysis["structure_type"],
            "purpose": graph_analysis["purpose"],
        }
        assert event.data["keywords"] == graph_analysis["overall_keywords"]
        assert event.data["domain_keywords"] == graph_analysis["domain_keywords"]
        assert event.data["topics"] == graph_analysis["topics"]

    status = [e for e in events if e.event_type == EventType.INTERVIEW_STATUS_CHANGED]
    assert [(e.data["from_status"], e.data["to_status"]) for e in status] == [
        ("processing", "completed")
    ]
    assert status[0].causation_id == root.event_id


def test_flag_off_touches_no_event_store_and_the_graph_is_identical(tmp_path: Path) -> None:
    off_env = base_env(tmp_path / "off")
    on_env = base_env(tmp_path / "on", ENABLE_EVENT_SOURCING="true")
    samples = [str(p) for p in sample_files()]
    assert run_cli(["process", *samples, "--json"], off_env).returncode == 0
    on = run_cli(["process", *samples, "--json"], on_env)
    assert on.returncode == 0, on.stderr
    assert on.json()["totals"]["events"]["emitted"] > 0
    assert not (tmp_path / "off" / "outbox.sqlite3").exists()
    assert not (tmp_path / "off" / "events.sqlite3").exists()
    export_off = run_cli(["export"], off_env).stdout
    export_on = run_cli(["export"], on_env).stdout
    assert export_off and export_off == export_on


@pytest.mark.postgres
def test_unreachable_store_keeps_everything_in_the_outbox_until_flush(
    tmp_path: Path, postgres_url: str
) -> None:
    dead_url = "postgresql://ig:s3cret-pw@127.0.0.1:9/none?connect_timeout=1"
    env = base_env(tmp_path / "data", EVENT_STORE_URL=dead_url)
    samples = [str(p) for p in sample_files()]

    result = run_cli(["process", *samples, "--events", "--json", "--delivery-wait", "2"], env)

    assert result.returncode == 0, result.stderr
    summary = result.json()
    assert all(f["status"] == "done" for f in summary["files"])
    expected = sum(2 + f["sentences"] + f["analyses"] for f in summary["files"])
    assert summary["totals"]["events"]["pending"] == expected
    assert "outbox flush" in result.stderr
    status = run_cli(["outbox", "status", "--json"], env).json()
    assert status["pending"] == expected
    assert status["last_error"]
    assert "s3cret-pw" not in result.stderr + result.stdout

    live_env = {**env, "EVENT_STORE_URL": postgres_url}
    flushed = run_cli(["outbox", "flush", "--json"], live_env)
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr
    assert flushed.json()["delivered"] == expected
    assert run_cli(["outbox", "status", "--json"], live_env).json()["pending"] == 0
    events = asyncio.run(
        read_all_events(settings_for(tmp_path / "data", EVENT_STORE_URL=postgres_url))
    )
    interview_ids = {f["interview_id"] for f in summary["files"]}
    mine = [
        e
        for e in events
        if e.aggregate_id in interview_ids or e.data.get("interview_id") in interview_ids
    ]
    assert_complete_log(mine, expected)


async def test_intermittent_store_failures_lose_and_duplicate_nothing(
    tmp_path: Path, segmenter: SpacySegmenter, falkordb_graph: GraphStore
) -> None:
    settings = settings_for(tmp_path / "data")
    flaky: list[FlakyEventStore] = []

    def wrap(store: Any) -> Any:
        flaky.append(FlakyEventStore(store, every=3))
        return flaky[-1]

    writer = make_writer(settings, wrap, batch_size=50)  # many small batches, many failures
    await writer.start(falkordb_graph)
    reports = await run_pipeline(settings, sample_files(), falkordb_graph, writer, segmenter)
    summary = await writer.finish(60)
    await writer.close()

    assert all(r.ok for r in reports)
    assert summary["pending"] == 0
    assert sum(f.failures for f in flaky) >= 3
    assert_complete_log(await read_all_events(settings), expected_event_count(reports))


async def test_an_event_the_store_rejects_is_parked_and_holds_nothing_back(
    tmp_path: Path, segmenter: SpacySegmenter, falkordb_graph: GraphStore
) -> None:
    settings = settings_for(tmp_path / "data")
    transcript = generated_transcript(tmp_path, 300)

    def rejects(request: Any) -> bool:
        event = request.events[0]
        return event.event_type == "SentenceCreated" and '"index":3,' in event.data_json

    writer = make_writer(settings, lambda store: RejectingEventStore(store, rejects))
    await writer.start(falkordb_graph)
    reports = await run_pipeline(settings, [transcript], falkordb_graph, writer, segmenter)
    summary = await writer.finish(30)
    await writer.close()

    assert reports[0].ok
    assert (summary["pending"], summary["parked"]) == (0, 1)
    expected = expected_event_count(reports)
    delivered = await read_all_events(settings)
    rejected_id = event_id_for(
        sentence_id_for(reports[0].interview_id or "", 3), EventType.SENTENCE_CREATED
    )
    assert len(delivered) == expected - 1
    assert rejected_id not in {e.event_id for e in delivered}
    status = run_cli(["outbox", "status", "--json"], base_env(settings.data_dir)).json()
    assert status["parked"] == 1 and "injected rejection" in status["last_error"]

    retried = run_cli(["outbox", "retry-parked", "--json"], base_env(settings.data_dir))
    assert retried.returncode == 0, retried.stderr
    events = await read_all_events(settings)
    ids = [e.event_id for e in events]
    assert len(ids) == len(set(ids)) == expected
    assert rejected_id in ids


@pytest.mark.postgres
async def test_postgres_stopped_and_restarted_mid_run(
    tmp_path: Path, segmenter: SpacySegmenter, falkordb_graph: GraphStore, postgres_server: Any
) -> None:
    settings = settings_for(tmp_path / "data", EVENT_STORE_URL=postgres_server.url)
    transcript = generated_transcript(tmp_path, 1500)
    writer = make_writer(settings)
    await writer.start(falkordb_graph)

    async def outage() -> None:
        await asyncio.sleep(0.3)
        await asyncio.to_thread(postgres_server.stop_server)
        await asyncio.sleep(1.5)
        await asyncio.to_thread(postgres_server.start_server)

    outage_task = asyncio.create_task(outage())
    reports = await run_pipeline(settings, [transcript], falkordb_graph, writer, segmenter)
    await outage_task
    summary = await writer.finish(90)
    await writer.close()

    assert all(r.ok for r in reports), [r.error for r in reports]
    assert summary["pending"] == 0, summary
    events = await read_all_events(settings)
    mine = [
        e
        for e in events
        if e.aggregate_id == reports[0].interview_id
        or e.data.get("interview_id") == reports[0].interview_id
    ]
    assert_complete_log(mine, expected_event_count(reports))


async def test_failed_graph_write_emits_nothing_for_the_unwritten_data(
    tmp_path: Path, segmenter: SpacySegmenter, falkordb_graph: GraphStore
) -> None:
    settings = settings_for(tmp_path / "data")
    transcript = generated_transcript(tmp_path, 1200)
    failing = FailingAnalysesGraph(falkordb_graph, fail_on_call=2)
    writer = make_writer(settings)
    await writer.start(falkordb_graph)
    reports = await run_pipeline(settings, [transcript], failing, writer, segmenter)  # type: ignore[arg-type]
    summary = await writer.finish(30)
    await writer.close()

    assert not reports[0].ok and "injected graph outage" in (reports[0].error or "")
    assert summary["pending"] == 0
    events = await read_all_events(settings)
    analysis_events = [e for e in events if e.event_type == EventType.ANALYSIS_GENERATED]
    written = {
        v.sentence.sentence_id
        for v in await falkordb_graph.get_sentences(reports[0].interview_id or "")
        if v.analyses
    }
    assert {e.aggregate_id for e in analysis_events} == written
    sentence_count = sum(1 for e in events if e.event_type == EventType.SENTENCE_CREATED)
    assert len(analysis_events) < sentence_count
    statuses = [e.data["to_status"] for e in events if e.event_type == "InterviewStatusChanged"]
    assert statuses == ["failed"]


async def test_a_held_event_store_does_not_hold_back_the_pipeline(
    tmp_path: Path, segmenter: SpacySegmenter, falkordb_graph: GraphStore
) -> None:
    """The pipeline waits only for the local outbox: it finishes a file while every append to
    the store is held, reports the events pending, and they all arrive once it answers."""
    settings = settings_for(tmp_path / "data")
    transcript = generated_transcript(tmp_path, 400)
    held: list[HeldEventStore] = []

    def hold(store: Any) -> Any:
        held.append(HeldEventStore(store))
        return held[-1]

    writer = make_writer(settings, hold)
    await writer.start(falkordb_graph)
    reports = await run_pipeline(settings, [transcript], falkordb_graph, writer, segmenter)
    (store,) = held
    await store.entered.wait()  # the deliverer is stuck in an append, not idle

    expected = expected_event_count(reports)
    assert reports[0].ok, reports[0].error
    assert store.completed == 0
    during = await writer.summary()
    assert (during["recorded"], during["emitted"], during["pending"]) == (expected, 0, expected)
    assert await read_all_events(settings) == []

    store.release()
    after = await writer.finish(60)
    await writer.close()

    assert (after["emitted"], after["pending"], after["failed"]) == (expected, 0, 0)
    assert_complete_log(await read_all_events(settings), expected)


def test_reprocessing_emits_no_duplicates(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", ENABLE_EVENT_SOURCING="true")
    samples = [str(p) for p in sample_files()]
    first = run_cli(["process", *samples, "--json"], env)
    second = run_cli(["process", *samples, "--json"], env)
    assert first.returncode == second.returncode == 0
    events = asyncio.run(read_all_events(settings_for(tmp_path / "data")))
    assert_complete_log(events, expected_event_count_from_json(first.json()))
    counts = Counter(e.event_type for e in events)
    assert counts[EventType.INTERVIEW_CREATED] == len(samples)


def expected_event_count_from_json(summary: dict[str, Any]) -> int:
    return sum(2 + f["sentences"] + f["analyses"] for f in summary["files"])


@pytest.mark.postgres
def test_a_postgres_outage_mid_run_is_one_line_on_stderr_and_every_event_arrives(
    tmp_path: Path, postgres_server: Any
) -> None:
    """`process` with PostgreSQL stopped once some events are in: stderr gets one line for the
    outage (which store, since when, how many events wait, what to run) and none of the
    driver's; once PostgreSQL is back every event arrives. The server stays down until that
    line is out, so the outage is long enough to be one, however fast the machine."""
    settings = settings_for(tmp_path / "data", EVENT_STORE_URL=postgres_server.url)
    transcript = generated_transcript(tmp_path, 1500, seed=23)
    env = base_env(settings.data_dir, EVENT_STORE_URL=postgres_server.url)
    run = subprocess.Popen(
        [str(CLI), "process", str(transcript), "--events", "--json", "--delivery-wait", "300"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert run.stderr is not None
    first_event = event_id_for(
        interview_id_for(project_id_for("default"), file_sha256(transcript)),
        EventType.INTERVIEW_CREATED,
    )
    while first_event not in {e.event_id for e in asyncio.run(read_all_events(settings))}:
        time.sleep(0.1)  # the store took this run's first events: now it goes away
    postgres_server.stop_server()
    try:
        lines = []
        while (line := run.stderr.readline()) and "reachable" not in line:
            lines.append(line)
        lines.append(line)
    finally:
        postgres_server.start_server()
    out, rest = run.communicate(timeout=300)
    stderr = "".join(lines) + rest

    assert run.returncode == 0, stderr
    outage_lines = [line for line in stderr.splitlines() if "event store" in line]
    assert len(outage_lines) == 1, stderr
    (outage,) = outage_lines
    assert outage.startswith("warning: the event store (postgresql://")
    assert re.search(r"unreachable since \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", outage)
    assert re.search(r"; \d+ event\(s\) wait in the outbox", outage)
    assert "`interview-graph outbox flush`" in outage
    assert "error connecting" not in stderr and "Traceback" not in stderr
    assert '"level"' not in stderr, stderr  # no log record reaches stderr at WARNING
    summary = json.loads(out)
    events = summary["totals"]["events"]
    assert events["recorded"] == events["delivered"] > 3000, events
    assert (events["pending"], events["unreachable_since"]) == (0, None)
    (row,) = summary["files"]
    interview = row["interview_id"]
    stored = asyncio.run(read_all_events(settings))
    mine = [e for e in stored if interview in (e.aggregate_id, e.data.get("interview_id"))]
    assert_complete_log(mine, events["recorded"])


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
