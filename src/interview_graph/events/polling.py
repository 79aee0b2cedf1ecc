"""Subscriptions by polling, for the backends whose positions are gap-free in commit order."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from interview_graph.domain.events import DomainEvent


class _ReadAll(Protocol):
    async def __call__(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        limit: int | None = None,
    ) -> list[DomainEvent]: ...


async def poll_subscription(
    read_all: _ReadAll,
    from_position: int,
    event_types: Sequence[str] | None,
    stream_prefix: str | None,
    poll_interval: float,
    page_size: int = 500,
) -> AsyncIterator[DomainEvent]:
    """Catch up page by page, then poll; safe because positions are gap-free in commit order."""
    last = from_position
    while True:
        page = await read_all(last, event_types, stream_prefix, page_size)
        for event in page:
            assert event.position is not None
            last = event.position
            yield event
        if len(page) < page_size:
            await asyncio.sleep(poll_interval)
