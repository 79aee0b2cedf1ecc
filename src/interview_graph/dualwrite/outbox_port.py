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
class HeldEvents:
    """Of some batches' events, how many are still in the outbox: waiting (staged or ready)
    and parked. The others have left it for the store."""

    waiting: int
    parked: int


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

    async def add_ready(self, events: Sequence[NewOutboxEvent], batch_id: str = "") -> str:
        """Record events whose graph data is already committed (used after a staging failure);
        returns the batch's id (`batch_id`, or a new one)."""

    async def next_ready(self, limit: int) -> list[OutboxEntry]:
        """The events of the oldest deliverable batches, in the order they were recorded:
        whole batches, as many as fit in `limit` events (at least one, however large)."""

    async def mark_delivered(self, batch_seqs: Sequence[int]) -> set[int]:
        """The store holds these batches' events: remove them. Returns the batches this call
        removed; one another process delivered and removed first is not among them."""

    async def mark_failed(self, batch_seqs: Sequence[int], error: str) -> None: ...

    async def settle(
        self, batch_seqs: Sequence[int], rejected: Sequence[tuple[OutboxEntry, str]]
    ) -> set[int]:
        """These batches were delivered event by event: park each rejected event with its
        error, count the others delivered, and remove the batches, all at once. A parked
        event keeps the id of the batch it came from (`held_events` finds it by that id)."""

    async def retry_parked(self) -> int:
        """Make every parked event deliverable again; returns how many."""

    async def orphaned_staged(self, live_owners: set[str]) -> list[StagedSubject]:
        """Staged entries whose owner is no longer running (a crash between stage and commit)."""

    async def resolve_orphans(self, batch_ids: Sequence[str], present: set[str]) -> None:
        """In these orphaned batches, release entries whose subject the graph holds (`present`)
        and discard the others: the graph write they announced never committed."""

    async def status(self) -> OutboxStatus: ...

    async def pending_count(self, up_to_seq: int | None = None) -> int:
        """Events ready for delivery; with `up_to_seq`, only those of batches recorded up to
        that batch (`last_seq`)."""

    async def last_seq(self) -> int:
        """The newest batch's sequence number (0 for an empty outbox)."""

    async def held_events(self, batch_ids: Sequence[str]) -> HeldEvents:
        """Of the events recorded in these batches, how many are still in the outbox."""

    async def close(self) -> None: ...
