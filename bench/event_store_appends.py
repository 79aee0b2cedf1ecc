"""Appends per second for each event store backend (a script, not a test).

    python bench/event_store_appends.py [--events 5000]

SQLite: a temp file. PostgreSQL: EVENT_STORE_URL=postgresql://... if set, else a private
cluster started here (scripts/services/postgres_server.py). KurrentDB: only when
ESDB_CONNECTION_STRING is set. Three shapes, each writing N SentenceCreated events:
one event per append (a fresh stream each), 100 events per append (one stream per append),
and append_batch of 100 single-event streams (the dual-write outbox's delivery shape).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from bench.common import machine  # noqa: E402

from interview_graph.domain.event_drafts import sentence_created  # noqa: E402
from interview_graph.domain.events import DomainEvent  # noqa: E402
from interview_graph.domain.ids import sentence_id_for  # noqa: E402
from interview_graph.domain.model import Sentence  # noqa: E402
from interview_graph.events.kurrentdb_store import KurrentDBEventStore  # noqa: E402
from interview_graph.events.port import AppendRequest, EventStore  # noqa: E402
from interview_graph.events.postgres_store import PostgresEventStore  # noqa: E402
from interview_graph.events.sqlite_store import SQLiteEventStore  # noqa: E402

BATCH = 100


def make_events(count: int) -> list[DomainEvent]:
    interview_id = str(uuid.uuid4())
    project_id = str(uuid.uuid4())
    correlation_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    events = []
    for index in range(count):
        text = f"Sentence number {index} says something about tools and processes."
        sentence = Sentence(
            sentence_id=sentence_id_for(interview_id, index),
            interview_id=interview_id,
            sequence_order=index,
            text=text,
            speaker="Ana",
            start_ms=None,
            end_ms=None,
            start_char=index * 80,
            end_char=index * 80 + len(text),
        )
        events.append(
            sentence_created(
                sentence, project_id=project_id, correlation_id=correlation_id, occurred_at=now
            )
        )
    return events


async def single_appends(store: EventStore, events: list[DomainEvent]) -> None:
    for event in events:
        await store.append(event.stream, [event])


async def batched_appends(store: EventStore, events: list[DomainEvent]) -> None:
    for start in range(0, len(events), BATCH):
        stream = f"Interview-{uuid.uuid4()}"
        await store.append(stream, events[start : start + BATCH])


async def multi_stream_batches(store: EventStore, events: list[DomainEvent]) -> None:
    for start in range(0, len(events), BATCH):
        chunk = events[start : start + BATCH]
        await store.append_batch([AppendRequest(e.stream, [e]) for e in chunk])


SHAPES: list[tuple[str, Callable[[EventStore, list[DomainEvent]], Awaitable[None]]]] = [
    ("1 event / append", single_appends),
    (f"{BATCH} events / append", batched_appends),
    (f"append_batch {BATCH} streams", multi_stream_batches),
]


@asynccontextmanager
async def postgres_url(work_dir: Path) -> AsyncIterator[str]:
    url = os.environ.get("EVENT_STORE_URL", "")
    if url.startswith("postgresql://"):
        yield url
        return
    from services.postgres_server import start_postgres

    server = start_postgres(work_dir / "pg")
    try:
        yield server.url
    finally:
        server.stop()


async def measure(store: EventStore, count: int) -> list[float]:
    rates = []
    for _, shape in SHAPES:
        events = make_events(count)
        started = time.perf_counter()
        await shape(store, events)
        rates.append(count / (time.perf_counter() - started))
    return rates


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=5000)
    args = parser.parse_args()
    results: dict[str, list[float] | str] = {}
    with tempfile.TemporaryDirectory(prefix="ig-bench-") as tmp:
        work = Path(tmp)
        async with SQLiteEventStore(work / "events.sqlite3") as sqlite_store:
            results["SQLite (WAL, synchronous=NORMAL)"] = await measure(sqlite_store, args.events)
        try:
            async with (
                postgres_url(work) as url,
                PostgresEventStore(url, schema=f"bench_{uuid.uuid4().hex[:8]}") as pg_store,
            ):
                results["PostgreSQL 127.0.0.1"] = await measure(pg_store, args.events)
        except Exception as exc:  # the benchmark reports, it does not stop
            results["PostgreSQL"] = f"not measured: {type(exc).__name__}: {exc}"
        esdb = os.environ.get("ESDB_CONNECTION_STRING")
        if esdb:
            async with KurrentDBEventStore(esdb) as kdb_store:
                results["KurrentDB"] = await measure(kdb_store, args.events)
        else:
            results["KurrentDB"] = "not measured: set ESDB_CONNECTION_STRING"

    print(f"machine: {machine()}")
    print(f"{args.events} SentenceCreated events per shape; figures are events/s")
    header = f"{'backend':<34}" + "".join(f"{name:>26}" for name, _ in SHAPES)
    print(header)
    print("-" * len(header))
    for backend, rates in results.items():
        if isinstance(rates, str):
            print(f"{backend:<34}  {rates}")
        else:
            print(f"{backend:<34}" + "".join(f"{rate:>26,.0f}" for rate in rates))


if __name__ == "__main__":
    asyncio.run(main())
