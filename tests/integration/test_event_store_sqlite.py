"""The EventStore contract on the embedded SQLite backend (a fresh file per test)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from interview_graph.cli.events_cmd import make_events_app
from interview_graph.domain.event_drafts import interview_created, sentence_created
from interview_graph.domain.events import interview_stream, sentence_stream
from interview_graph.events.port import NO_STREAM, EventStore, EventStoreUnavailableError
from interview_graph.events.sqlite_store import SQLiteEventStore
from tests.integration.event_store_contract import (
    EventStoreContract,
    make_event,
    new_stream,
    sample_interview,
    sample_sentence,
)


class TestSQLiteEventStore(EventStoreContract):
    @pytest.fixture(autouse=True)
    def _work_dir(self, tmp_path: Path) -> None:
        self.path = tmp_path / "data" / "events.sqlite3"

    async def open_isolated_store(self) -> EventStore:
        return await SQLiteEventStore(self.path).open()

    async def open_same_store(self, store: EventStore) -> EventStore:
        assert isinstance(store, SQLiteEventStore)
        return await SQLiteEventStore(store.path).open()

    def unreachable_store(self) -> EventStore:
        # A path under a regular file can never be created.
        blocker = self.path.parent / "not-a-dir"
        blocker.parent.mkdir(parents=True, exist_ok=True)
        blocker.write_text("x")
        return SQLiteEventStore(blocker / "events.sqlite3")

    async def test_file_uses_wal(self, store: EventStore) -> None:
        stream, aggregate_id = new_stream()
        await store.append(stream, [make_event(aggregate_id)])
        assert await asyncio.to_thread(os.path.exists, f"{self.path}-wal")

    async def test_unreachable_error_names_the_file(self) -> None:
        store = self.unreachable_store()
        with pytest.raises(EventStoreUnavailableError, match="not-a-dir"):
            await store.open()


REPO = Path(__file__).resolve().parents[2]

_WRITER = """
import asyncio, sys, uuid
from interview_graph.events.sqlite_store import SQLiteEventStore
from tests.integration.event_store_contract import make_event

async def main(path, stream, aggregate_id, count):
    async with SQLiteEventStore(path) as store:
        for _ in range(count):
            await store.append(stream, [make_event(aggregate_id)])

asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])))
"""


async def test_two_processes_share_one_file(tmp_path: Path) -> None:
    """Two OS processes append to the same stream; nothing is lost or duplicated."""
    path = tmp_path / "events.sqlite3"
    stream, aggregate_id = new_stream()
    async with SQLiteEventStore(path) as store:
        await store.append(stream, [make_event(aggregate_id)], NO_STREAM)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [
        await asyncio.create_subprocess_exec(
            sys.executable, "-c", _WRITER, str(path), stream, aggregate_id, "200", env=env
        )
        for _ in range(2)
    ]
    codes = [await asyncio.wait_for(w.wait(), 120) for w in writers]
    assert codes == [0, 0]
    async with SQLiteEventStore(path) as store:
        events = await store.read_stream(stream)
        assert [e.version for e in events] == list(range(401))
        positions = [e.position for e in await store.read_all()]
        assert positions == sorted(set(positions))  # type: ignore[type-var]


def test_events_cli_list_stats_tail(tmp_path: Path) -> None:
    """The `events` sub-app on a real SQLite log: list (all / one interview), stats, tail."""
    path = tmp_path / "events.sqlite3"
    interview = sample_interview()
    other = sample_interview()
    correlation = str(uuid.uuid4())

    async def seed() -> None:
        async with SQLiteEventStore(path) as store:
            for item in (interview, other):
                await store.append(
                    interview_stream(item.interview_id),
                    [interview_created(item, correlation_id=correlation)],
                )
                for index in range(2):
                    sentence = sample_sentence(item, index)
                    await store.append(
                        sentence_stream(sentence.sentence_id),
                        [
                            sentence_created(
                                sentence, project_id=item.project_id, correlation_id=correlation
                            )
                        ],
                    )

    asyncio.run(seed())
    app = make_events_app(lambda: SQLiteEventStore(path))
    runner = CliRunner()

    listed = runner.invoke(app, ["list", "--interview", interview.interview_id, "--json"])
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert [r["event_type"] for r in rows] == ["InterviewCreated", *["SentenceCreated"] * 2]
    assert {r["aggregate_id"] for r in rows[1:]} == {
        sample_sentence(interview, i).sentence_id for i in range(2)
    }

    typed = runner.invoke(app, ["list", "--type", "InterviewCreated", "--json"])
    assert [r["aggregate_id"] for r in json.loads(typed.stdout)] == [
        interview.interview_id,
        other.interview_id,
    ]

    stats = runner.invoke(app, ["stats", "--json"])
    report = json.loads(stats.stdout)
    assert report["by_type"] == {"InterviewCreated": 2, "SentenceCreated": 4}
    assert report["streams"] == 6 and report["total"] == 6 and report["backend"] == "sqlite"

    tailed = runner.invoke(app, ["tail", "--from-start", "--limit", "3", "--json"])
    assert tailed.exit_code == 0, tailed.output
    assert len(tailed.stdout.splitlines()) == 3

    bad = runner.invoke(app, ["list", "--interview", "nope"])
    assert bad.exit_code == 2 and "is not an interview id" in bad.output
