"""The EventStore contract on a real PostgreSQL (the session cluster from tests/conftest.py,
or EVENT_STORE_URL=postgresql://...). Every test gets its own schema."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest

from interview_graph.events.port import EventStore, EventStoreUnavailableError
from interview_graph.events.postgres_store import PostgresEventStore
from interview_graph.settings import redact_url
from tests.integration.event_store_contract import EventStoreContract, make_event, new_stream
from tests.integration.event_store_contract import without_store_fields as _fields

pytestmark = pytest.mark.postgres


class TestPostgresEventStore(EventStoreContract):
    @pytest.fixture(autouse=True)
    def _server(self, postgres_url: str) -> None:
        self.url = postgres_url
        self.schema = f"es_{uuid.uuid4().hex[:12]}"

    async def open_isolated_store(self) -> EventStore:
        return await PostgresEventStore(self.url, schema=self.schema).open()

    async def open_same_store(self, store: EventStore) -> EventStore:
        return await PostgresEventStore(self.url, schema=self.schema).open()

    def unreachable_store(self) -> EventStore:
        # Port 1 on loopback: nothing listens there; the password must never be shown.
        return PostgresEventStore(
            "postgresql://postgres:secret@127.0.0.1:1/postgres", connect_timeout_s=2
        )

    async def test_two_stores_on_one_schema_create_it_once(self) -> None:
        stores = await asyncio.gather(*(self.open_isolated_store() for _ in range(4)))
        stream, aggregate_id = new_stream()
        event = make_event(aggregate_id)
        await stores[0].append(stream, [event])
        for store in stores:
            assert [_fields(e) for e in await store.read_stream(stream)] == [_fields(event)]
            await store.close()


def test_redacted_repr_hides_password() -> None:
    store = PostgresEventStore("postgresql://u:hunter2@127.0.0.1:5/db")
    assert "hunter2" not in repr(store)
    assert redact_url(store.url) in repr(store)


async def test_store_recovers_after_server_restart(request: pytest.FixtureRequest) -> None:
    """Server down -> clear EventStoreUnavailableError within seconds; back up -> works again."""
    if os_url := os.environ.get("EVENT_STORE_URL", ""):
        pytest.skip(f"uses the cluster started by the tests, not EVENT_STORE_URL={os_url[:13]}...")
    server = request.getfixturevalue("postgres_server")
    store = await PostgresEventStore(
        server.url, schema=f"es_{uuid.uuid4().hex[:12]}", connect_timeout_s=2
    ).open()
    stream, aggregate_id = new_stream()
    try:
        await store.append(stream, [make_event(aggregate_id)])
        server.stop_server()
        try:
            started = asyncio.get_running_loop().time()
            with pytest.raises(EventStoreUnavailableError, match="not reachable"):
                await store.append(stream, [make_event(aggregate_id)])
            assert asyncio.get_running_loop().time() - started < 15
        finally:
            server.start_server()
        await store.append(stream, [make_event(aggregate_id)])
        assert await store.current_version(stream) == 1
    finally:
        await store.close()
