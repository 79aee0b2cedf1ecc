"""The Outbox port: a durable local record of events between the graph commit and the store.

The outbox keeps *batches*: the events of one graph write. Life of a batch:
  staged  -> written *before* the graph write, each event with the graph id it describes
             (`subject`);
  ready   -> the graph write committed: the batch may now be delivered;
  (gone)  -> delivered to the event store as a whole (deleted; a counter keeps the total),
             or discarded because the graph write failed;
  parked  -> an event the store keeps rejecting (not an outage: the store answers, and says
             no) is set aside on its own, so it cannot hold back every event behind it.
             `retry_parked` makes parked events deliverable again.
Batches a crashed process left `staged` are resolved against the graph on the next run:
events whose subject the graph holds are released, the others discarded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, NamedTuple, Protocol

# What the graph must hold for a staged event to be released after a crash (`subject_kind`).
SUBJECT_INTERVIEW: Final = "Interview"
SUBJECT_SENTENCE: Final = "Sentence"
SUBJECT_ANALYSIS: Final = "Analysis"
SUBJECT_STATUS: Final = "Status"  # its subject id is "<interview_id>:<to_status>"


class OutboxEntry(NamedTuple):
    """One event as the outbox keeps it: the envelope as JSON plus delivery bookkeeping."""

    batch_seq: int  # the outbox batch it belongs to; batches are delivered whole
    stream: str
    event_id: str
    event_type: str
    correlation_id: str
    metadata_json: str
    data_json: str
    attempts: int = 0


class NewOutboxEvent(NamedTuple):
    stream: str
    event_id: str
    event_type: str
    correlation_id: str
    metadata_json: str
    data_json: str
    subject_kind: str  # what the graph must hold: Interview | Sentence | Analysis | Status
    subject_id: str  # its id (for Status: "<interview_id>:<to_status>")


@dataclass(frozen=True, slots=True)
class StagedSubject:
    batch_id: str
    subject_kind: str
    subject_id: str


@dataclass(frozen=True, slots=True)
class OutboxStatus:
    staged: int
    ready: int
    parked: int
    delivered_total: int
    failing: int  # ready entries whose last delivery attempt failed
    oldest_ready_age_s: float | None
    last_error: str | None
    by_type: dict[str, int]


class Outbox(Protocol):
    async def stage(self, batch_id: str, events: Sequence[NewOutboxEvent], owner: str) -> None:
        """Durably record events for a graph write that is about to happen."""

    async def release(self, batch_id: str) -> None:
        """The graph write committed: the batch becomes deliverable."""

    async def discard(self, batch_id: str) -> None:
        """The graph write failed: its events must never be delivered."""

    async def add_ready(self, events: Sequence[NewOutboxEvent]) -> None:
        """Record events whose graph data is already committed (used after a staging failure)."""

    async def next_ready(self, limit: int) -> list[OutboxEntry]:
        """The events of the oldest deliverable batches, in the order they were recorded:
        whole batches, as many as fit in `limit` events (at least one, however large)."""

    async def mark_delivered(self, batch_seqs: Sequence[int]) -> None: ...

    async def mark_failed(self, batch_seqs: Sequence[int], error: str) -> None: ...

    async def settle(
        self, batch_seqs: Sequence[int], rejected: Sequence[tuple[OutboxEntry, str]]
    ) -> None:
        """These batches were delivered event by event: park each rejected event with its
        error, count the others delivered, and remove the batches, all at once."""

    async def retry_parked(self) -> int:
        """Make every parked event deliverable again; returns how many."""

    async def orphaned_staged(self, live_owners: set[str]) -> list[StagedSubject]:
        """Staged entries whose owner is no longer running (a crash between stage and commit)."""

    async def resolve_orphans(self, batch_ids: Sequence[str], present: set[str]) -> None:
        """In these orphaned batches, release entries whose subject the graph holds (`present`)
        and discard the others: the graph write they announced never committed."""

    async def status(self) -> OutboxStatus: ...

    async def pending_count(self) -> int: ...

    async def close(self) -> None: ...
