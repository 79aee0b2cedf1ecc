"""The pipeline's events hook with event sourcing on: stage, then release or discard.

Before each graph write the pipeline hands the hook what it is about to write; the hook
builds that write's events and stages them durably in the outbox. After the graph commits,
the staged write is released (deliverable); if the graph write fails, it is discarded. So no
event is delivered for data the graph did not commit, and none is lost for data it did.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from interview_graph.domain.event_drafts import (
    EventDraft,
    analysis_generated_drafts,
    interview_created_draft,
    interview_created_id,
    interview_status_changed_draft,
    sentence_created_drafts,
)
from interview_graph.domain.events import Actor
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.dualwrite.counters import DualWriteCounters
from interview_graph.dualwrite.outbox_port import (
    SUBJECT_ANALYSIS,
    SUBJECT_INTERVIEW,
    SUBJECT_SENTENCE,
    SUBJECT_STATUS,
    NewOutboxEvent,
    Outbox,
)
from interview_graph.events.run_encoder import RunEncoder
from interview_graph.pipeline.events_hook import StagedWrite

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OutboxStaging:
    """Where one process's hooks stage events: its outbox, under its lease (`owner`), with
    its counters; `wake` tells the deliverer that a write was released."""

    outbox: Outbox
    owner: str
    counters: DualWriteCounters
    actor: Actor
    wake: Callable[[], None]


class OutboxEventsHook:
    """Builds one file run's events (one correlation id, the causation chain) and stages them.

    Events of one graph write share one occurred_at: the moment the pipeline wrote them.
    """

    def __init__(self, staging: OutboxStaging, interview: Interview, correlation_id: str) -> None:
        self._staging = staging
        self._interview = interview
        self._encoder = RunEncoder(
            actor=staging.actor, correlation_id=correlation_id, project_id=interview.project_id
        )
        self._created_event_id = interview_created_id(interview.interview_id)

    async def interview_started(self, interview: Interview) -> StagedWrite:
        draft = interview_created_draft(interview)
        return await self._stage([draft], SUBJECT_INTERVIEW, [interview.interview_id])

    async def sentences_written(self, sentences: Sequence[Sentence]) -> StagedWrite:
        drafts = sentence_created_drafts(sentences, self._created_event_id)
        return await self._stage(drafts, SUBJECT_SENTENCE, [s.sentence_id for s in sentences])

    async def analyses_written(self, analyses: Sequence[Analysis]) -> StagedWrite:
        drafts = analysis_generated_drafts(analyses)
        return await self._stage(drafts, SUBJECT_ANALYSIS, [a.analysis_id for a in analyses])

    async def status_changed(
        self, from_status: InterviewStatus, to_status: InterviewStatus, reason: str
    ) -> StagedWrite:
        interview_id = self._interview.interview_id
        draft = interview_status_changed_draft(
            interview_id, from_status, to_status, reason, self._created_event_id
        )
        return await self._stage([draft], SUBJECT_STATUS, [f"{interview_id}:{to_status.value}"])

    async def _stage(
        self, drafts: Sequence[EventDraft], subject_kind: str, subject_ids: Sequence[str]
    ) -> StagedWrite:
        events = self._encoder.encode_all(drafts, datetime.now(UTC))
        entries = [
            NewOutboxEvent(
                stream=draft.stream,
                event_id=event.event_id,
                event_type=event.event_type,
                correlation_id=event.correlation_id,
                metadata_json=event.metadata_json,
                data_json=event.data_json,
                subject_kind=subject_kind,
                subject_id=subject,
            )
            for draft, event, subject in zip(drafts, events, subject_ids, strict=True)
        ]
        batch_id = str(uuid.uuid4())
        try:
            await self._staging.outbox.stage(batch_id, entries, self._staging.owner)
        except Exception as exc:
            self.record_failure("stage", entries, exc)
            return _UnstagedWrite(self, entries)
        return _OutboxStagedWrite(self, batch_id, entries)

    @property
    def outbox(self) -> Outbox:
        return self._staging.outbox

    def record_failure(self, step: str, entries: Sequence[NewOutboxEvent], exc: Exception) -> None:
        self._staging.counters.last_error = f"outbox {step} failed: {exc}"
        log.error(
            "could not record events in the outbox",
            extra={
                "step": step,
                "file": self._interview.source,
                "interview_id": self._interview.interview_id,
                "event_type": entries[0].event_type if entries else "",
                "events": len(entries),
                "error": str(exc),
            },
        )

    def committed(self, batch_id: str | None, count: int) -> None:
        """The graph committed a write whose `count` events were recorded in outbox batch
        `batch_id` (None: they could not be recorded)."""
        counters = self._staging.counters
        counters.graph_writes += 1
        if batch_id is not None:
            counters.recorded_writes += 1
            counters.events_recorded += count
            counters.recorded_batches.append(batch_id)
        else:
            counters.events_unrecorded += count
        counters.update_success_rate()
        self._staging.wake()


class _OutboxStagedWrite:
    def __init__(
        self, hook: OutboxEventsHook, batch_id: str, entries: Sequence[NewOutboxEvent]
    ) -> None:
        self._hook = hook
        self._batch_id = batch_id
        self._entries = entries

    async def commit(self) -> None:
        try:
            await self._hook.outbox.release(self._batch_id)
        except Exception as exc:
            # Still staged under our lease: the next run releases it after checking the graph.
            self._hook.record_failure("release", self._entries, exc)
        self._hook.committed(self._batch_id, len(self._entries))

    async def discard(self, reason: str) -> None:
        try:
            await self._hook.outbox.discard(self._batch_id)
        except Exception as exc:
            # Still staged: the next run checks the graph, finds nothing, and discards it.
            self._hook.record_failure("discard", self._entries, exc)


class _UnstagedWrite:
    """Staging failed (disk full, locked file): try once more once the graph has committed."""

    def __init__(self, hook: OutboxEventsHook, entries: Sequence[NewOutboxEvent]) -> None:
        self._hook = hook
        self._entries = entries

    async def commit(self) -> None:
        try:
            batch_id = await self._hook.outbox.add_ready(self._entries, str(uuid.uuid4()))
        except Exception as exc:
            self._hook.record_failure("record", self._entries, exc)
            self._hook.committed(None, len(self._entries))
            return
        self._hook.committed(batch_id, len(self._entries))

    async def discard(self, reason: str) -> None:
        return None
