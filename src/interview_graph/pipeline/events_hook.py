"""The pipeline's view of dual-write: called around every graph write.

The pipeline never talks to an event store. It tells this hook what it is about to write
(`stage`), then whether the graph committed it (`commit`) or not (`discard`). With event
sourcing off the pipeline gets `NoEvents`, which does nothing and touches no file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence


class StagedWrite(Protocol):
    """Events staged for one graph write; exactly one of commit/discard follows."""

    async def commit(self) -> None: ...

    async def discard(self, reason: str) -> None: ...


class EventsHook(Protocol):
    """Creates the events for one file run (one correlation id) and stages them durably."""

    async def interview_started(self, interview: Interview) -> StagedWrite: ...

    async def sentences_written(self, sentences: Sequence[Sentence]) -> StagedWrite: ...

    async def analyses_written(self, analyses: Sequence[Analysis]) -> StagedWrite: ...

    async def status_changed(
        self, from_status: InterviewStatus, to_status: InterviewStatus, reason: str
    ) -> StagedWrite: ...


class _NothingStaged:
    async def commit(self) -> None:
        return None

    async def discard(self, reason: str) -> None:
        return None


NOTHING_STAGED = _NothingStaged()


class NoEvents:
    """Event sourcing off: no event is built, no outbox is written."""

    async def interview_started(self, interview: Interview) -> StagedWrite:
        return NOTHING_STAGED

    async def sentences_written(self, sentences: Sequence[Sentence]) -> StagedWrite:
        return NOTHING_STAGED

    async def analyses_written(self, analyses: Sequence[Analysis]) -> StagedWrite:
        return NOTHING_STAGED

    async def status_changed(
        self, from_status: InterviewStatus, to_status: InterviewStatus, reason: str
    ) -> StagedWrite:
        return NOTHING_STAGED


def no_events(_interview: Interview, _correlation_id: str) -> EventsHook:
    """The hook factory with event sourcing off."""
    return NoEvents()
