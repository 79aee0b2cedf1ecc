"""The ProjectionTarget port: what the projection needs from a graph it writes into.

Both graph adapters implement it (graph.cypher_store). Importing this module loads no
database driver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from interview_graph.domain.events import (
    DomainEvent,
    EventType,
    InterviewStatusChangedData,
    analysis_from_event,
    interview_from_event,
    sentence_from_event,
)
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.graph.port import GraphStore


@dataclass(frozen=True, slots=True)
class ProjectionCheckpoint:
    name: str
    position: int


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A batch as a target will write it (its rows), made before the write begins."""

    checkpoint: ProjectionCheckpoint
    params: Mapping[str, Any]


@dataclass(slots=True)
class ProjectionBatch:
    """The graph writes of a run of consecutive events, and the position that covers them."""

    interviews: list[Interview] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)
    analyses: list[Analysis] = field(default_factory=list)
    statuses: dict[str, InterviewStatus] = field(default_factory=dict)
    position: int = 0
    events: int = 0
    skipped: int = 0

    def add(self, event: DomainEvent) -> None:
        """Fold one event in; events this release does not know are counted and skipped."""
        if event.position is not None:
            self.position = max(self.position, event.position)
        self.events += 1
        if not event.is_known:
            self.skipped += 1
            return
        kind = event.event_type
        if kind == EventType.INTERVIEW_CREATED:
            self.interviews.append(interview_from_event(event))
        elif kind == EventType.SENTENCE_CREATED:
            self.sentences.append(sentence_from_event(event))
        elif kind == EventType.ANALYSIS_GENERATED:
            self.analyses.append(analysis_from_event(event))
        elif kind == EventType.INTERVIEW_STATUS_CHANGED:
            data = InterviewStatusChangedData.model_validate(event.data)
            self.statuses[event.aggregate_id] = data.to_status


class ProjectionTarget(Protocol):
    """A graph that takes projected batches, each written all or nothing together with the
    projection's checkpoint, so a projection resumes exactly after the last batch the graph
    committed.

    `prepare_projection_batch` only computes (no I/O), so the projector prepares the next
    batch while the previous one is being written; `apply_projection_batch` is the two steps.
    A batch whose sentences (analyses) find their interview (sentence) neither in the batch
    nor in the graph is refused whole with a GraphStoreError, and the checkpoint stays.
    """

    async def ensure_schema(self) -> None:
        """Constraints and indexes, those of the checkpoint included; safe to call every run."""

    def prepare_projection_batch(
        self, batch: ProjectionBatch, checkpoint: ProjectionCheckpoint
    ) -> PreparedBatch: ...

    async def write_projection_batch(self, batch: PreparedBatch) -> None: ...

    async def apply_projection_batch(
        self, batch: ProjectionBatch, checkpoint: ProjectionCheckpoint
    ) -> None: ...

    async def read_checkpoint(self, name: str) -> int | None:
        """The position of projection `name` in this graph; None if it never wrote a batch."""

    async def wipe(self) -> None:
        """Delete every node and relationship, checkpoints included."""


class ProjectionGraph(GraphStore, ProjectionTarget, Protocol):
    """A graph store that also takes projected batches: what `rebuild`, `project`, `verify`
    and `backfill` open."""
