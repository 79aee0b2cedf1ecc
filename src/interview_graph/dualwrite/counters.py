"""What one run's dual-write did, for its summary and the success-rate gauge."""

from __future__ import annotations

from dataclasses import dataclass, field

from interview_graph.metrics import DUAL_WRITE_SUCCESS_RATE


@dataclass(slots=True)
class DualWriteCounters:
    """Each count means one thing. The outbox is shared by every run on a data directory, so
    what this run *recorded* and what this process *emitted* are counted apart:

    graph_writes: graph writes this run committed; recorded_writes: those whose events it
        recorded in the outbox.
    events_recorded: events this run recorded in the outbox (for graph writes that committed);
        recorded_batches: the outbox batches holding them, to find out later which of them
        have reached the store (by this process or another one).
    events_emitted: outbox entries this process delivered to the store and removed from the
        outbox, whichever run recorded them; an entry another process removed first is not
        counted, so the runs on one outbox together emit each entry once.
    events_parked: events this process parked (the store answered and rejected them).
    events_unrecorded: events of committed graph writes that could not be recorded in the
        outbox at all (the graph holds their data; re-processing the file records them).
    delivery_retries: delivery attempts that failed and were retried (outage or rejection).
    """

    graph_writes: int = 0
    recorded_writes: int = 0
    events_recorded: int = 0
    recorded_batches: list[str] = field(default_factory=list)
    events_emitted: int = 0
    events_parked: int = 0
    events_unrecorded: int = 0
    delivery_retries: int = 0
    last_error: str | None = None

    def update_success_rate(self) -> None:
        if self.graph_writes:
            DUAL_WRITE_SUCCESS_RATE.set(self.recorded_writes / self.graph_writes)
