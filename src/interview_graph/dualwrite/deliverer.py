"""The deliverer: moves released outbox batches to the event store, never blocking the graph.

Guarantees:
- Order: batches go out in outbox order, whole graph writes at a time, so each stream keeps
  the order the pipeline wrote it in. One request per event, so an event the store already
  holds (a delivery retried after a crash; ids are deterministic) is a no-op on its own and
  never makes a batch fail.
- Duplicates: the outbox may hold one event twice (two runs of one file recorded the same
  deterministic ids); each append sends every event id once, at its first place in outbox
  order, and the duplicates leave the outbox with it. The store never sees a batch that
  repeats an id.
- Outages (unreachable, timed out) are retried forever, with exponential backoff and jitter;
  the events wait in the outbox meanwhile. Each outage is told once, when it begins
  (`on_outage`, a StoreOutage); its failed attempts are DEBUG details.
- A batch the store keeps *rejecting* (it answers, and says no) is delivered event by event;
  the events it still rejects are parked in the outbox with the store's error, so one
  poison event never holds back the events behind it. An outage is never a reason to park.
- Woken by a release, it lingers a moment to gather several graph writes into one append:
  one large append costs far less CPU per event than many small ones, and the pipeline
  competes for the same CPU.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence

from interview_graph.dualwrite.counters import DualWriteCounters
from interview_graph.dualwrite.outage import OutageNotice, StoreOutage
from interview_graph.dualwrite.outbox_port import Outbox, OutboxEntry
from interview_graph.events.port import (
    AppendRequest,
    ConcurrencyError,
    EncodedEvent,
    EventStore,
    EventStoreUnavailableError,
)
from interview_graph.metrics import (
    EVENT_EMISSION_DURATION,
    EVENT_EMISSION_FAILURES,
    EVENT_VERSION_CONFLICTS,
    EVENTS_EMITTED,
    OUTBOX_PENDING,
)

log = logging.getLogger(__name__)

StoreOpener = Callable[[], Awaitable[EventStore]]

# A batch the store rejects this many times while answering is delivered event by event,
# and the events it still rejects are parked.
REJECTIONS_BEFORE_ISOLATING = 3


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
        store_label: str = "event store",
        on_outage: OutageNotice | None = None,
    ) -> None:
        self._outbox = outbox
        self._store_label = store_label
        self._on_outage = on_outage
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
        self._outage: StoreOutage | None = None

    @property
    def outage(self) -> StoreOutage | None:
        """The outage under way: the store has not answered since `outage.since`."""
        return self._outage

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-delivery")

    def wake(self) -> None:
        self._wake.set()

    async def drain(self, timeout_s: float) -> bool:
        """True when everything released so far was delivered within timeout_s: this run's
        events and any recorded before them, not what other runs release after this call."""
        deadline = time.monotonic() + timeout_s
        up_to_seq = await self._outbox.last_seq()
        while True:
            if await self._outbox.pending_count(up_to_seq) == 0:
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
        self._counters.delivery_retries += 1
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
        self._answered()
        removed = await self._outbox.mark_delivered(_batch_seqs(entries))
        self._record_delivered(_of_batches(entries, removed), time.perf_counter() - started)
        return len(entries)

    async def _deliver_one_by_one(self, entries: Sequence[OutboxEntry]) -> int:
        """The store keeps rejecting this batch while it answers: find the events it rejects
        and park them, so that one bad event does not hold back every event behind it."""
        store = await self._connected_store()
        started = time.perf_counter()
        accepted: list[OutboxEntry] = []
        rejected: list[tuple[OutboxEntry, Exception]] = []
        for entry in _first_of_each_event(entries):
            try:
                await store.append_batch(_single_event_requests([entry]))
            except Exception as exc:
                if _is_outage(exc):
                    await self._note_outage(exc)
                    raise
                rejected.append((entry, exc))
                continue
            accepted.append(entry)
        self._answered()
        if not accepted and len(entries) > 1:
            raise rejected[0][1]  # every event fails alike: the store's problem, not theirs
        reasons = [(entry, f"{_failure_reason(exc)}: {exc}") for entry, exc in rejected]
        removed = await self._outbox.settle(_batch_seqs(entries), reasons)
        rejected_ids = {entry.event_id for entry, _ in rejected}
        delivered = [e for e in _of_batches(entries, removed) if e.event_id not in rejected_ids]
        self._record_delivered(delivered, time.perf_counter() - started)
        for entry, reason in reasons:
            if entry.batch_seq not in removed:
                continue  # another process settled this batch first
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

    async def _note_outage(self, exc: Exception) -> None:
        """The first failed attempt of an outage tells `on_outage`; the others add nothing."""
        if self._outage is not None:
            return
        pending = await self._outbox.pending_count()
        self._outage = StoreOutage(self._store_label, time.time(), pending, str(exc))
        if self._on_outage is not None:
            self._on_outage(self._outage)

    def _answered(self) -> None:
        """The store answered: an outage under way is over."""
        if self._outage is not None:
            log.info(
                "the event store is reachable again; delivery goes on",
                extra={"store": self._store_label, "unreachable_since": self._outage.since_text},
            )
            self._outage = None

    async def _record_failed_batch(self, entries: Sequence[OutboxEntry], exc: Exception) -> None:
        if _is_outage(exc):
            await self._note_outage(exc)
        reason = _failure_reason(exc)
        if isinstance(exc, ConcurrencyError):
            EVENT_VERSION_CONFLICTS.inc()
        for event_type, count in _count_types(entries).items():
            EVENT_EMISSION_FAILURES.labels(event_type=event_type, reason=reason).inc(count)
        log.log(
            logging.DEBUG if _is_outage(exc) else logging.WARNING,
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
        """`entries`: those this process removed from the outbox as delivered."""
        self._counters.events_emitted += len(entries)
        for event_type, count in _count_types(entries).items():
            EVENTS_EMITTED.labels(event_type=event_type).inc(count)
            EVENT_EMISSION_DURATION.labels(event_type=event_type).observe(seconds)


def _single_event_requests(entries: Sequence[OutboxEntry]) -> list[AppendRequest]:
    """One request per event id: an event already in the store is then a no-op on its own, and
    an event the outbox holds twice is sent once."""
    return [
        AppendRequest(
            e.stream,
            (
                EncodedEvent(
                    e.event_id, e.event_type, e.correlation_id, e.metadata_json, e.data_json
                ),
            ),
        )
        for e in _first_of_each_event(entries)
    ]


def _first_of_each_event(entries: Sequence[OutboxEntry]) -> list[OutboxEntry]:
    """Each event id once, at its first place in outbox order (which keeps stream order)."""
    seen: set[str] = set()
    first: list[OutboxEntry] = []
    for entry in entries:
        if entry.event_id not in seen:
            seen.add(entry.event_id)
            first.append(entry)
    return first


def _of_batches(entries: Sequence[OutboxEntry], batch_seqs: set[int]) -> list[OutboxEntry]:
    return [e for e in entries if e.batch_seq in batch_seqs]


def _batch_seqs(entries: Sequence[OutboxEntry]) -> list[int]:
    return list(dict.fromkeys(e.batch_seq for e in entries))


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
