"""An event-store outage as the user hears of it: once, when it starts, in one line.

While the store is unreachable the deliverer keeps retrying with backoff and the events wait
in the outbox; every failed attempt is a DEBUG detail. What the user needs is said once per
outage: which store, since when, how many events wait, and that nothing needs doing unless
the run ends before the store is back (then `outbox flush` delivers them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class StoreOutage:
    store: str  # the store's label, password redacted
    since: float  # epoch seconds of the first failed attempt
    pending: int  # events waiting in the outbox when the outage began
    error: str  # the store's error, for --json and DEBUG logs

    @property
    def since_text(self) -> str:
        return local_time(self.since)

    def describe(self) -> str:
        return (
            f"the event store ({self.store}) is unreachable since {self.since_text}; "
            f"{self.pending} event(s) wait in the outbox and are delivered when it is back. "
            "If this run ends first, run `interview-graph outbox flush` once it is reachable "
            "(details: LOG_LEVEL=DEBUG)."
        )


OutageNotice = Callable[[StoreOutage], None]


def local_time(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s).astimezone().isoformat(timespec="seconds")
