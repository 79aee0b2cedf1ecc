"""The event store as the API reads it: opened on first use and closed with the app, so an
event store that is down makes the event routes answer 503 while the graph's routes go on."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from interview_graph import bootstrap
from interview_graph.settings import Settings

if TYPE_CHECKING:
    from interview_graph.events.port import EventStore


class EventLog:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._store: EventStore | None = None
        self._opening = asyncio.Lock()

    async def store(self) -> EventStore:
        """The opened store (EventStoreError when it cannot be reached; the next call tries
        again)."""
        async with self._opening:
            if self._store is None:
                self._store = await bootstrap.open_event_store(self._settings)
            return self._store

    async def close(self) -> None:
        if self._store is not None:
            await self._store.close()
            self._store = None
