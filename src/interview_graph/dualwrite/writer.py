"""DualWriter: one process's dual-write, wired together.

It holds the owner lease, hands the pipeline an events hook per file run (staging into the
outbox), resolves what crashed runs left staged before anything new is staged, and runs the
deliverer in the background until the run finishes. The README's "Dual-write guarantees"
section describes the whole design for operators.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from interview_graph.domain.events import Actor
from interview_graph.domain.model import Interview
from interview_graph.dualwrite.counters import DualWriteCounters
from interview_graph.dualwrite.deliverer import OutboxDeliverer, StoreOpener
from interview_graph.dualwrite.hook import OutboxEventsHook, OutboxStaging
from interview_graph.dualwrite.lease import OwnerLease
from interview_graph.dualwrite.outage import OutageNotice
from interview_graph.dualwrite.outbox_port import Outbox
from interview_graph.dualwrite.recovery import recover_orphans
from interview_graph.graph.port import GraphStore
from interview_graph.metrics import OUTBOX_PENDING
from interview_graph.pipeline.events_hook import EventsHook


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
        on_outage: OutageNotice | None = None,
    ) -> None:
        """`on_outage` hears once of each event-store outage, when it begins."""
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
            store_label=store_label,
            on_outage=on_outage,
        )
        self._actor = Actor.pipeline()
        self._staging = OutboxStaging(
            outbox, self._lease.name, self.counters, self._actor, self._deliverer.wake
        )

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
        return OutboxEventsHook(self._staging, interview, correlation_id)

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
        """This run's dual-write in numbers, each meaning one thing (`DualWriteCounters`):
        recorded = delivered + pending + parked, all four about this run's own events;
        emitted counts what this process delivered, whichever run recorded it."""
        status = await self.outbox.status()
        OUTBOX_PENDING.set(status.ready + status.staged)
        c = self.counters
        held = await self.outbox.held_events(c.recorded_batches)
        outage = self._deliverer.outage
        return {
            "store": self._store_label,
            "recorded": c.events_recorded,
            "delivered": c.events_recorded - held.waiting - held.parked,
            "pending": held.waiting,
            "parked": held.parked,
            "emitted": c.events_emitted,
            "failed": c.events_unrecorded,
            "retries": c.delivery_retries,
            "unreachable_since": None if outage is None else outage.since_text,
            "last_error": c.last_error,
        }

    async def close(self) -> None:
        await self._deliverer.stop()
        await self._deliverer.close_store()
        await self.outbox.close()
        self._lease.release()
