"""The dual-write outbox on a real SQLite file: batch life cycle, crash recovery, upgrade."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from interview_graph.dualwrite.outbox_payload import pack, unpack
from interview_graph.dualwrite.outbox_port import HeldEvents, NewOutboxEvent
from interview_graph.dualwrite.sqlite_outbox import OutboxError, SQLiteOutbox


def new_event(
    event_type: str = "SentenceCreated", *, data: str = '{"text":"hi"}'
) -> NewOutboxEvent:
    subject = str(uuid.uuid4())
    return NewOutboxEvent(
        stream=f"Sentence-{subject}",
        event_id=str(uuid.uuid4()),
        event_type=event_type,
        correlation_id=str(uuid.uuid4()),
        metadata_json='{"event_type":"' + event_type + '"}',
        data_json=data,
        subject_kind="Sentence",
        subject_id=subject,
    )


@pytest.fixture
async def outbox(tmp_path: Path) -> AsyncIterator[SQLiteOutbox]:
    box = SQLiteOutbox(tmp_path / "outbox.sqlite3")
    yield box
    await box.close()


def test_payload_round_trips_any_text() -> None:
    plain = [new_event(), new_event("AnalysisGenerated")]
    odd = [new_event(data='{\n  "text": "pretty-printed, with raw newlines"\n}'), new_event()]
    for events in (plain, odd):
        assert [tuple(row) for row in unpack(pack(events))] == [tuple(e) for e in events]
    assert pack(plain).startswith("L\n")
    assert pack(odd).startswith("J")


def test_unpack_rejects_a_damaged_payload() -> None:
    with pytest.raises(ValueError, match="multiple of 8"):
        unpack(pack([new_event()]) + "\nextra")
    with pytest.raises(ValueError, match="unknown outbox payload format"):
        unpack("X...")


async def test_staged_batches_are_delivered_only_after_release(outbox: SQLiteOutbox) -> None:
    first, second = [new_event() for _ in range(3)], [new_event("AnalysisGenerated")]
    await outbox.stage("b1", first, "owner-a")
    await outbox.stage("b2", second, "owner-a")
    assert await outbox.next_ready(100) == []
    await outbox.release("b2")
    await outbox.release("b1")
    ready = await outbox.next_ready(100)
    assert [e.event_id for e in ready] == [e.event_id for e in first + second]  # recorded order
    status = await outbox.status()
    assert (status.staged, status.ready) == (0, 4)
    assert status.by_type == {"AnalysisGenerated": 1, "SentenceCreated": 3}
    await outbox.mark_delivered(list(dict.fromkeys(e.batch_seq for e in ready)))
    status = await outbox.status()
    assert (status.ready, status.delivered_total) == (0, 4)
    assert await outbox.pending_count() == 0


async def test_next_ready_returns_whole_batches(outbox: SQLiteOutbox) -> None:
    for _ in range(3):
        await outbox.add_ready([new_event() for _ in range(5)])
    assert len(await outbox.next_ready(1)) == 5  # at least one batch, never half of one
    assert len(await outbox.next_ready(6)) == 10
    assert len(await outbox.next_ready(100)) == 15


async def test_discard_drops_a_staged_batch_but_never_a_released_one(outbox: SQLiteOutbox) -> None:
    await outbox.stage("failed-write", [new_event()], "owner-a")
    await outbox.stage("committed", [new_event()], "owner-a")
    await outbox.release("committed")
    await outbox.discard("failed-write")
    await outbox.discard("committed")
    status = await outbox.status()
    assert (status.staged, status.ready) == (0, 1)


async def test_failed_deliveries_are_counted_and_kept(outbox: SQLiteOutbox) -> None:
    await outbox.add_ready([new_event(), new_event()])
    ready = await outbox.next_ready(10)
    await outbox.mark_failed([ready[0].batch_seq], "unavailable: connection refused")
    status = await outbox.status()
    assert status.failing == 2
    assert status.last_error == "unavailable: connection refused"
    assert [e.attempts for e in await outbox.next_ready(10)] == [1, 1]


async def test_orphans_of_dead_owners_resolve_against_the_graph(outbox: SQLiteOutbox) -> None:
    written, lost = new_event(), new_event()
    await outbox.stage("dead-batch", [written, lost], "dead-owner")
    await outbox.stage("live-batch", [new_event()], "live-owner")
    orphans = await outbox.orphaned_staged({"live-owner"})
    assert {(o.batch_id, o.subject_id) for o in orphans} == {
        ("dead-batch", written.subject_id),
        ("dead-batch", lost.subject_id),
    }
    await outbox.resolve_orphans(["dead-batch"], present={written.subject_id})
    ready = await outbox.next_ready(10)
    assert [e.event_id for e in ready] == [written.event_id]
    status = await outbox.status()
    assert (status.staged, status.ready) == (1, 1)  # the live owner's batch is untouched


async def test_an_orphan_with_nothing_in_the_graph_is_dropped(outbox: SQLiteOutbox) -> None:
    await outbox.stage("dead-batch", [new_event()], "dead-owner")
    await outbox.resolve_orphans(["dead-batch"], present=set())
    status = await outbox.status()
    assert (status.staged, status.ready) == (0, 0)


async def test_an_outbox_of_the_row_per_event_layout_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    old_events = [new_event(), new_event("AnalysisGenerated"), new_event()]
    _write_row_per_event_outbox(
        path, [("b1", "ready"), ("b1", "ready"), ("b2", "staged")], old_events
    )
    outbox = SQLiteOutbox(path)
    try:
        ready = await outbox.next_ready(10)
        assert [e.event_id for e in ready] == [e.event_id for e in old_events[:2]]
        status = await outbox.status()
        assert (status.staged, status.ready, status.delivered_total) == (1, 2, 7)
        orphans = await outbox.orphaned_staged(set())
        assert [o.subject_id for o in orphans] == [old_events[2].subject_id]
    finally:
        await outbox.close()


async def test_an_unwritable_outbox_names_the_file(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    outbox = SQLiteOutbox(blocker / "outbox.sqlite3")
    try:
        with pytest.raises((OutboxError, OSError), match="not-a-directory"):
            await outbox.stage("b", [new_event()], "owner")
    finally:
        await outbox.close()


def _write_row_per_event_outbox(
    path: Path, batches: list[tuple[str, str]], events: list[NewOutboxEvent]
) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, batch_id TEXT NOT NULL, state TEXT NOT NULL,
            owner TEXT NOT NULL, stream TEXT NOT NULL, event_id TEXT NOT NULL,
            event_type TEXT NOT NULL, correlation_id TEXT NOT NULL, metadata TEXT NOT NULL,
            data TEXT NOT NULL, subject_kind TEXT NOT NULL, subject_id TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, recorded_at REAL NOT NULL);
        CREATE TABLE outbox_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
        INSERT INTO outbox_counters VALUES ('delivered', 7);"""
    )
    conn.executemany(
        "INSERT INTO outbox (batch_id, state, owner, stream, event_id, event_type,"
        " correlation_id, metadata, data, subject_kind, subject_id, recorded_at)"
        " VALUES (?, ?, 'old-owner', ?, ?, ?, ?, ?, ?, ?, ?, 0)",
        [(batch, state, *event) for (batch, state), event in zip(batches, events, strict=True)],
    )
    conn.commit()
    conn.close()


async def test_settle_parks_rejected_events_and_retry_makes_them_ready(
    outbox: SQLiteOutbox,
) -> None:
    good, bad = new_event(), new_event()
    await outbox.add_ready([good, bad])
    ready = await outbox.next_ready(10)
    await outbox.settle([ready[0].batch_seq], [(ready[1], "EventStoreError: rejected")])
    status = await outbox.status()
    assert (status.ready, status.parked, status.delivered_total) == (0, 1, 1)
    assert status.last_error == "EventStoreError: rejected"
    assert await outbox.next_ready(10) == []  # parked events are not delivered
    assert await outbox.retry_parked() == 1
    again = await outbox.next_ready(10)
    assert [(e.event_id, e.attempts) for e in again] == [(bad.event_id, 0)]
    await outbox.settle([again[0].batch_seq], [(again[0], "still rejected")])  # parked twice
    assert (await outbox.status()).parked == 1


async def test_a_run_finds_its_own_events_waiting_parked_or_gone(outbox: SQLiteOutbox) -> None:
    """held_events answers for the batches a run recorded, parked events included (they keep
    their batch's id), and never counts another run's batches or one removed twice."""
    mine, other = [new_event() for _ in range(3)], [new_event() for _ in range(2)]
    await outbox.stage("mine", mine, "owner-a")
    await outbox.add_ready(other, "other")
    assert await outbox.held_events(["mine"]) == HeldEvents(waiting=3, parked=0)
    await outbox.release("mine")
    ready = await outbox.next_ready(10)
    mine_seq, other_seq = ready[0].batch_seq, ready[-1].batch_seq
    assert await outbox.pending_count(up_to_seq=mine_seq) == 3
    assert await outbox.last_seq() == max(mine_seq, other_seq)

    removed = await outbox.settle([mine_seq], [(ready[1], "rejected")])
    assert removed == {mine_seq}
    assert await outbox.held_events(["mine"]) == HeldEvents(waiting=0, parked=1)
    assert await outbox.settle([mine_seq], [(ready[1], "rejected")]) == set()  # already gone
    assert (await outbox.status()).parked == 1
    assert await outbox.retry_parked() == 1
    assert await outbox.held_events(["mine"]) == HeldEvents(waiting=1, parked=0)
    again = [e for e in await outbox.next_ready(10) if e.event_id == mine[1].event_id]
    await outbox.settle([again[0].batch_seq], [(again[0], "still rejected")])
    assert await outbox.held_events(["mine"]) == HeldEvents(waiting=0, parked=1)

    assert await outbox.mark_delivered([other_seq]) == {other_seq}
    assert await outbox.mark_delivered([other_seq]) == set()  # another process was first
    assert await outbox.held_events(["other"]) == HeldEvents(waiting=0, parked=0)
    assert (await outbox.status()).delivered_total == 2 + 2
