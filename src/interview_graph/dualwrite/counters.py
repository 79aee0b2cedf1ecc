"""What one run's dual-write did, for its summary and the success-rate gauge."""

from __future__ import annotations

from dataclasses import dataclass

from interview_graph.metrics import DUAL_WRITE_SUCCESS_RATE


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
