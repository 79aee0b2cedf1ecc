"""Dual-write: every committed graph write also becomes events, never blocking the graph.

Design (the README's "Dual-write guarantees" section says the same for operators):
- Before each graph write the pipeline's hook *stages* that write's events in the durable
  local outbox (SQLite, synchronous=FULL). After the graph commits, the hook *releases* them;
  if the graph write fails, it *discards* them. So no event is ever delivered for data the
  graph did not commit, and none is lost for data it did.
- A crash between the graph commit and the release leaves the events staged under the dead
  process's lease. The next run (or `outbox flush`) resolves them against the graph: entries
  whose subject (interview, sentence, analysis id or status) the graph holds are released,
  the others discarded. That closes the crash window without trusting timing.
- A background task delivers released events to the event store in outbox order, in large
  batches (one `append_batch` per batch, one single-event request per event so a re-emitted
  event already in the store is a no-op and never makes a batch fail), with exponential
  backoff and jitter while the store is down, slow or failing. Event ids are deterministic,
  so a delivery retried after a crash is idempotent. The pipeline only ever waits for the
  local outbox, never for the store. Woken by a commit, the deliverer lingers a moment to
  gather several graph writes into one append: per event, that is most of its CPU saved.
- A batch the store keeps *rejecting* (it answers, and says no) is delivered event by event;
  the events it still rejects are parked in the outbox with the error, so one poison event
  never holds back the events behind it. An outage is never a reason to park.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from interview_graph.domain.events import (
    Actor,
    EventType,
    event_id_for,
    interview_stream,
    sentence_stream,
)
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.events import encoded
from interview_graph.events.outbox_port import NewOutboxEvent, Outbox, OutboxEntry
from interview_graph.events.port import (
    AppendRequest,
    ConcurrencyError,
    EncodedEvent,
    EventStore,
    EventStoreUnavailableError,
)
from interview_graph.graph.port import GraphStore
from interview_graph.metrics import (
    DUAL_WRITE_SUCCESS_RATE,
    EVENT_EMISSION_DURATION,
    EVENT_EMISSION_FAILURES,
    EVENT_VERSION_CONFLICTS,
    EVENTS_EMITTED,
    OUTBOX_PENDING,
)
from interview_graph.pipeline.events_hook import EventsHook, StagedWrite

log = logging.getLogger(__name__)

StoreOpener = Callable[[], Awaitable[EventStore]]

SUBJECT_INTERVIEW = "Interview"
SUBJECT_SENTENCE = "Sentence"
SUBJECT_ANALYSIS = "Analysis"
SUBJECT_STATUS = "Status"

# A batch the store rejects this many times while answering is delivered event by event,
# and the events it still rejects are parked.
REJECTIONS_BEFORE_ISOLATING = 3


@dataclass(slots=True)
class DualWriteCounters:
    graph_writes: int = 0
    recorded_writes: int = 0
    events_recorded: int = 0
    events_delivered: int = 0
    events_parked: int = 0
    delivery_failures: int = 0
    record_failures: int = 0
    last_error: str | None = None

    def update_success_rate(self) -> None:
        if self.graph_writes:
            DUAL_WRITE_SUCCESS_RATE.set(self.recorded_writes / self.graph_writes)


class OwnerLease:
    """A lock file held for the life of a process; a lease that can be locked is dead.

    Staged outbox entries carry their owner's lease name, so recovery never touches the
    staged entries of another process that is still running on the same data directory.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._directory = directory
        self._file: TextIO | None = (directory / f"{self.name}.lock").open("w")
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def live_owners(self) -> set[str]:
        live = {self.name}
        for lock_path in self._directory.glob("*.lock"):
            name = lock_path.stem
            if name == self.name:
                continue
            if _is_held(lock_path):
                live.add(name)
            else:
                lock_path.unlink(missing_ok=True)
        return live

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            (self._directory / f"{self.name}.lock").unlink(missing_ok=True)


def _is_held(lock_path: Path) -> bool:
    try:
        with lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


class DualWriter:
    """Owns the outbox, the lease and the delivery task for one CLI run."""

    def __init__(
        self,
        outbox: Outbox,
        open_store: StoreOpener,
        lease_dir: Path,
        *,
        store_label: str,
        batch_size: int = 2000,
        backoff_initial_s: float = 0.2,
        backoff_max_s: float = 30.0,
        linger_s: float = 0.2,
    ) -> None:
        self.outbox = outbox
        self.counters = DualWriteCounters()
        self._lease = OwnerLease(lease_dir)
        self._store_label = store_label
        self._deliverer = OutboxDeliverer(
            outbox,
            open_store,
            self.counters,
            batch_size=batch_size,
            backoff_initial_s=backoff_initial_s,
            backoff_max_s=backoff_max_s,
            linger_s=linger_s,
        )
        self._actor = Actor.pipeline()

    async def start(self, graph: GraphStore | None = None) -> None:
        """Resolve what crashed runs left staged (needs the graph), then start delivering."""
        if graph is not None:
            await self.recover(graph)
        self._deliverer.start()

    async def recover(self, graph: GraphStore) -> int:
        return await recover_orphans(self.outbox, graph, self._lease.live_owners())

    async def deliver_all(self) -> int:
        return await self._deliverer.deliver_all()

    def hook_for(self, interview: Interview, correlation_id: str) -> EventsHook:
        return OutboxEventsHook(self, interview, correlation_id)

    def wake(self) -> None:
        self._deliverer.wake()

    @property
    def owner(self) -> str:
        return self._lease.name

    @property
    def actor(self) -> Actor:
        return self._actor

    async def finish(self, wait_s: float) -> dict[str, Any]:
        """Wait up to wait_s for the outbox to empty; what remains stays for `outbox flush`."""
        await self._deliverer.drain(wait_s)
        await self._deliverer.stop()
        return await self.summary()

    async def summary(self) -> dict[str, Any]:
        status = await self.outbox.status()
        OUTBOX_PENDING.set(status.ready + status.staged)
        c = self.counters
        return {
            "store": self._store_label,
            "recorded": c.events_recorded,
            "emitted": c.events_delivered,
            "failed": c.delivery_failures + c.record_failures,
            "pending": status.ready + status.staged,
            "parked": status.parked,
            "last_error": c.last_error,
        }

    async def close(self) -> None:
        await self._deliverer.stop()
        await self._deliverer.close_store()
        await self.outbox.close()
        self._lease.release()


async def recover_orphans(outbox: Outbox, graph: GraphStore, live_owners: set[str]) -> int:
    """Release staged entries of dead processes whose graph write committed; drop the rest."""
    orphans = await outbox.orphaned_staged(live_owners)
    if not orphans:
        return 0
    present: set[str] = set()
    by_kind: dict[str, list[str]] = {}
    for orphan in orphans:
        by_kind.setdefault(orphan.subject_kind, []).append(orphan.subject_id)
    for kind, subject_ids in by_kind.items():
        present |= await _present_subjects(graph, kind, subject_ids)
    batch_ids = sorted({orphan.batch_id for orphan in orphans})
    await outbox.resolve_orphans(batch_ids, present)
    log.warning(
        "resolved events left staged by a crashed run",
        extra={"batches": len(batch_ids), "released_subjects": len(present)},
    )
    return len(batch_ids)


async def _present_subjects(graph: GraphStore, kind: str, subject_ids: list[str]) -> set[str]:
    if kind != SUBJECT_STATUS:
        return await graph.existing_ids(kind, subject_ids)
    present: set[str] = set()
    for subject in set(subject_ids):
        interview_id, _, status = subject.partition(":")
        interview = await graph.get_interview(interview_id)
        if interview is not None and interview.status == status:
            present.add(subject)
    return present


class OutboxEventsHook:
    """Builds one file run's events (one correlation id, the causation chain) and stages them.

    Events of one graph write share one occurred_at: the moment the pipeline wrote them.
    """

    def __init__(self, writer: DualWriter, interview: Interview, correlation_id: str) -> None:
        self._writer = writer
        self._interview = interview
        self._ctx = encoded.EnvelopeContext(
            actor=writer.actor, correlation_id=correlation_id, project_id=interview.project_id
        )
        self._created_event_id = event_id_for(interview.interview_id, EventType.INTERVIEW_CREATED)

    async def interview_started(self, interview: Interview) -> StagedWrite:
        event = encoded.interview_created(self._ctx, interview, _now())
        return await self._stage(
            [event], [interview_stream(interview.interview_id)], SUBJECT_INTERVIEW,
            [interview.interview_id],
        )  # fmt: skip

    async def sentences_written(self, sentences: Sequence[Sentence]) -> StagedWrite:
        events = encoded.sentences_created(
            self._ctx, sentences, causation_id=self._created_event_id, occurred_at=_now()
        )
        ids = [s.sentence_id for s in sentences]
        return await self._stage(events, [sentence_stream(i) for i in ids], SUBJECT_SENTENCE, ids)

    async def analyses_written(self, analyses: Sequence[Analysis]) -> StagedWrite:
        events = encoded.analyses_generated(self._ctx, analyses, occurred_at=_now())
        streams = [sentence_stream(a.sentence_id) for a in analyses]
        return await self._stage(
            events, streams, SUBJECT_ANALYSIS, [a.analysis_id for a in analyses]
        )

    async def status_changed(
        self, from_status: InterviewStatus, to_status: InterviewStatus, reason: str
    ) -> StagedWrite:
        interview_id = self._interview.interview_id
        event = encoded.interview_status_changed(
            self._ctx,
            interview_id,
            from_status,
            to_status,
            reason,
            causation_id=self._created_event_id,
            occurred_at=_now(),
        )
        subject = f"{interview_id}:{to_status.value}"
        return await self._stage(
            [event], [interview_stream(interview_id)], SUBJECT_STATUS, [subject]
        )

    async def _stage(
        self,
        events: Sequence[EncodedEvent],
        streams: Sequence[str],
        subject_kind: str,
        subject_ids: Sequence[str],
    ) -> StagedWrite:
        entries = [
            NewOutboxEvent(
                stream=stream,
                event_id=event.event_id,
                event_type=event.event_type,
                correlation_id=event.correlation_id,
                metadata_json=event.metadata_json,
                data_json=event.data_json,
                subject_kind=subject_kind,
                subject_id=subject,
            )
            for event, stream, subject in zip(events, streams, subject_ids, strict=True)
        ]
        batch_id = str(uuid.uuid4())
        try:
            await self._writer.outbox.stage(batch_id, entries, self._writer.owner)
        except Exception as exc:
            self._record_failure("stage", entries, exc)
            return _UnstagedWrite(self, entries)
        return _OutboxStagedWrite(self, batch_id, entries)

    def _record_failure(self, step: str, entries: Sequence[NewOutboxEvent], exc: Exception) -> None:
        counters = self._writer.counters
        counters.last_error = f"outbox {step} failed: {exc}"
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

    def _committed(self, recorded: bool, count: int) -> None:
        counters = self._writer.counters
        counters.graph_writes += 1
        if recorded:
            counters.recorded_writes += 1
            counters.events_recorded += count
        else:
            counters.record_failures += count
        counters.update_success_rate()
        self._writer.wake()


class _OutboxStagedWrite:
    def __init__(
        self, hook: OutboxEventsHook, batch_id: str, entries: Sequence[NewOutboxEvent]
    ) -> None:
        self._hook = hook
        self._batch_id = batch_id
        self._entries = entries

    async def commit(self) -> None:
        try:
            await self._hook._writer.outbox.release(self._batch_id)
        except Exception as exc:
            # Still staged under our lease: the next run releases it after checking the graph.
            self._hook._record_failure("release", self._entries, exc)
        self._hook._committed(True, len(self._entries))

    async def discard(self, reason: str) -> None:
        try:
            await self._hook._writer.outbox.discard(self._batch_id)
        except Exception as exc:
            # Still staged: the next run checks the graph, finds nothing, and discards it.
            self._hook._record_failure("discard", self._entries, exc)


class _UnstagedWrite:
    """Staging failed (disk full, locked file): try once more once the graph has committed."""

    def __init__(self, hook: OutboxEventsHook, entries: Sequence[NewOutboxEvent]) -> None:
        self._hook = hook
        self._entries = entries

    async def commit(self) -> None:
        try:
            await self._hook._writer.outbox.add_ready(self._entries)
        except Exception as exc:
            self._hook._record_failure("record", self._entries, exc)
            self._hook._committed(False, len(self._entries))
            return
        self._hook._committed(True, len(self._entries))

    async def discard(self, reason: str) -> None:
        return None


class OutboxDeliverer:
    """Moves released outbox entries to the event store, in order, retrying with backoff."""

    def __init__(
        self,
        outbox: Outbox,
        open_store: StoreOpener,
        counters: DualWriteCounters,
        *,
        batch_size: int,
        backoff_initial_s: float,
        backoff_max_s: float,
        linger_s: float,
    ) -> None:
        self._outbox = outbox
        self._open_store = open_store
        self._counters = counters
        self._batch_size = batch_size
        self._backoff_initial_s = backoff_initial_s
        self._backoff_max_s = backoff_max_s
        self._linger_s = linger_s
        self._store: EventStore | None = None
        self._wake = asyncio.Event()
        self._hurry = asyncio.Event()
        self._idle = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._failures_in_row = 0

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    def wake(self) -> None:
        self._wake.set()

    async def drain(self, timeout_s: float) -> bool:
        """True when everything released so far was delivered within timeout_s."""
        deadline = time.monotonic() + timeout_s
        while True:
            if await self._outbox.pending_count() == 0:
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._task is None or self._task.done():
                return False
            self._idle.clear()
            self._hurry.set()
            self.wake()
            try:
                await asyncio.wait_for(self._idle.wait(), timeout=min(remaining, 1.0))
            except TimeoutError:
                continue

    async def stop(self) -> None:
        self._stopping = True
        self._hurry.set()
        self.wake()
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def close_store(self) -> None:
        if self._store is not None:
            store, self._store = self._store, None
            try:
                await store.close()
            except Exception as exc:
                log.warning("closing the event store failed", extra={"error": str(exc)})

    async def deliver_all(self) -> int:
        """Deliver until the outbox is empty (used by `outbox flush`); an outage raises. A
        batch the store rejects is retried at once, until it is delivered event by event."""
        total = 0
        failures_in_row = 0
        while True:
            try:
                delivered = await self.deliver_once()
            except Exception as exc:
                failures_in_row += 1
                if _is_outage(exc) or failures_in_row > REJECTIONS_BEFORE_ISOLATING:
                    raise
                continue
            failures_in_row = 0
            if not delivered:
                return total
            total += delivered

    async def _run(self) -> None:
        while not self._stopping:
            try:
                delivered = await self.deliver_once()
            except Exception as exc:
                self._note_failure(exc)
                await self._sleep(self._backoff())
                continue
            self._failures_in_row = 0
            if delivered == 0:
                self._idle.set()
                await self._sleep(1.0)
                await self._linger()

    async def _linger(self) -> None:
        """Let a woken deliverer gather a few graph writes' events before it appends: one
        append of thousands of events costs far less CPU per event than many small ones,
        and the CPU is what the pipeline competes for. `drain` and `stop` cut it short."""
        if self._linger_s > 0 and not self._hurry.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._hurry.wait(), timeout=self._linger_s)

    async def _sleep(self, seconds: float) -> None:
        self._wake.clear()
        if self._stopping:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)

    def _backoff(self) -> float:
        self._failures_in_row += 1
        ceiling = min(self._backoff_max_s, self._backoff_initial_s * 2**self._failures_in_row)
        return random.uniform(ceiling / 2, ceiling)

    def _note_failure(self, exc: Exception) -> None:
        self._counters.delivery_failures += 1
        self._counters.last_error = str(exc)
        if _is_outage(exc):
            return  # expected while the store is down; _record_failed_batch logged it
        log.warning("event delivery failed; will retry", extra={"error": str(exc)})

    async def deliver_once(self) -> int:
        entries = await self._outbox.next_ready(self._batch_size)
        if not entries:
            OUTBOX_PENDING.set(0)
            return 0
        started = time.perf_counter()
        try:
            store = await self._connected_store()
            await store.append_batch(_single_event_requests(entries))
        except Exception as exc:
            await self._record_failed_batch(entries, exc)
            if _is_outage(exc) or entries[0].attempts + 1 < REJECTIONS_BEFORE_ISOLATING:
                raise
            return await self._deliver_one_by_one(entries)
        await self._outbox.mark_delivered(_batch_seqs(entries))
        self._record_delivered(entries, time.perf_counter() - started)
        return len(entries)

    async def _deliver_one_by_one(self, entries: Sequence[OutboxEntry]) -> int:
        """The store keeps rejecting this batch while it answers: find the events it rejects
        and park them, so that one bad event does not hold back every event behind it."""
        store = await self._connected_store()
        accepted: list[OutboxEntry] = []
        rejected: list[tuple[OutboxEntry, Exception]] = []
        for entry in entries:
            started = time.perf_counter()
            try:
                await store.append_batch(_single_event_requests([entry]))
            except Exception as exc:
                if _is_outage(exc):
                    raise
                rejected.append((entry, exc))
                continue
            accepted.append(entry)
            self._record_delivered([entry], time.perf_counter() - started)
        if not accepted and len(entries) > 1:
            raise rejected[0][1]  # every event fails alike: the store's problem, not theirs
        reasons = [(entry, f"{_failure_reason(exc)}: {exc}") for entry, exc in rejected]
        await self._outbox.settle(_batch_seqs(entries), reasons)
        for entry, reason in reasons:
            self._counters.events_parked += 1
            EVENT_EMISSION_FAILURES.labels(event_type=entry.event_type, reason="parked").inc()
            log.error(
                "the event store rejects an event; it is parked in the outbox (see `outbox "
                "status`; `outbox retry-parked` after fixing the cause)",
                extra={
                    "event_id": entry.event_id,
                    "stream": entry.stream,
                    "event_type": entry.event_type,
                    "error": reason,
                },
            )
        return len(entries)

    async def _connected_store(self) -> EventStore:
        if self._store is None:
            self._store = await self._open_store()
        return self._store

    async def _record_failed_batch(self, entries: Sequence[OutboxEntry], exc: Exception) -> None:
        reason = _failure_reason(exc)
        if isinstance(exc, ConcurrencyError):
            EVENT_VERSION_CONFLICTS.inc()
        for event_type, count in _count_types(entries).items():
            EVENT_EMISSION_FAILURES.labels(event_type=event_type, reason=reason).inc(count)
        log.warning(
            "event delivery failed; events stay in the outbox and will be retried",
            extra={
                "events": len(entries),
                "first_stream": entries[0].stream,
                "event_type": entries[0].event_type,
                "reason": reason,
                "error": str(exc),
            },
        )
        if isinstance(exc, EventStoreUnavailableError):
            await self.close_store()
        await self._outbox.mark_failed(_batch_seqs(entries), f"{reason}: {exc}")

    def _record_delivered(self, entries: Sequence[OutboxEntry], seconds: float) -> None:
        self._counters.events_delivered += len(entries)
        for event_type, count in _count_types(entries).items():
            EVENTS_EMITTED.labels(event_type=event_type).inc(count)
            EVENT_EMISSION_DURATION.labels(event_type=event_type).observe(seconds)


def _single_event_requests(entries: Sequence[OutboxEntry]) -> list[AppendRequest]:
    """One request per event: an event already in the store is then a no-op on its own."""
    return [
        AppendRequest(
            e.stream,
            (
                EncodedEvent(
                    e.event_id, e.event_type, e.correlation_id, e.metadata_json, e.data_json
                ),
            ),
        )
        for e in entries
    ]


def _batch_seqs(entries: Sequence[OutboxEntry]) -> list[int]:
    return list(dict.fromkeys(e.batch_seq for e in entries))


def _now() -> str:
    return encoded.iso(datetime.now(UTC))


def _count_types(entries: Sequence[OutboxEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.event_type] = counts.get(entry.event_type, 0) + 1
    return counts


def _is_outage(exc: Exception) -> bool:
    """The store could not be reached or did not answer in time: retry everything later."""
    return isinstance(exc, EventStoreUnavailableError | OSError | TimeoutError)


def _failure_reason(exc: Exception) -> str:
    if isinstance(exc, ConcurrencyError):
        return "version_conflict"
    if isinstance(exc, EventStoreUnavailableError | OSError):
        return "unavailable"
    if isinstance(exc, TimeoutError):
        return "timeout"
    return type(exc).__name__


__all__ = ["DualWriter", "OutboxDeliverer", "OwnerLease", "recover_orphans"]
