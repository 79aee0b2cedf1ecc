"""How a start of the embedded server is watched: what it waits for (`StartProgress`), who is
told (`StartObserver`; the CLI's spinner is the default observer), when it is cancelled
(Ctrl-C) and when the server counts as stalled (no answer, no CPU time, no bytes read)."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from interview_graph.graph import falkordb_procfs as procfs
from interview_graph.graph.port import GraphStoreError


@dataclass(frozen=True, slots=True)
class StartProgress:
    """What a start waits for. `phase`: "waiting" (another process is starting or stopping
    the server), "starting" (spawned, not loading yet), "loading" (a snapshot or the log;
    `answering` False while the log is replayed, which blocks the server), "stalled"
    (no sign of life for `stalled_s` seconds)."""

    data_dir: Path
    phase: str
    elapsed_s: float
    pid: int | None = None
    loaded_bytes: int | None = None
    total_bytes: int | None = None
    answering: bool = False
    stalled_s: float = 0.0


class StartObserver(Protocol):
    def update(self, progress: StartProgress) -> None:
        """Called about every 0.1-0.5 s while a start waits, from the starting thread."""

    def finished(self, ok: bool) -> None:
        """Called once when the start is over (also after an update-less quick start)."""


class Unobserved:
    def update(self, progress: StartProgress) -> None:
        pass

    def finished(self, ok: bool) -> None:
        pass


_default_observer: StartObserver = Unobserved()


def default_start_observer() -> StartObserver:
    return _default_observer


def set_default_start_observer(observer: StartObserver | None) -> None:
    """The observer of every server started without one of its own (the CLI installs its
    spinner here, so every command shows a slow start)."""
    global _default_observer
    _default_observer = observer if observer is not None else Unobserved()


class StartCancelled(GraphStoreError):
    """The start was cancelled (Ctrl-C); the server was stopped if this process spawned it
    and nobody else uses it."""


class ServerDied(Exception):
    pass


class ServerStalled(Exception):
    def __init__(self, pid: int, stalled_s: float) -> None:
        super().__init__(pid, stalled_s)
        self.pid, self.stalled_s = pid, stalled_s


class StartWatch:
    """Elapsed time, cancellation and progress reports of one start."""

    def __init__(
        self, data_dir: Path, observer: StartObserver, cancel: threading.Event | None
    ) -> None:
        self.data_dir, self.observer, self.cancel = data_dir, observer, cancel
        self.started = time.monotonic()
        self.spawned = False  # this start spawned the server it waits for

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def check_cancel(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise StartCancelled(f"FalkorDB: start of the server for {self.data_dir} cancelled")

    def report(self, phase: str, **fields: Any) -> None:
        self.observer.update(StartProgress(self.data_dir, phase, self.elapsed(), **fields))

    def waiting_for_lock(self) -> None:
        self.check_cancel()
        self.report("waiting")


class StallClock:
    """Seconds since the server last showed a sign of life: an answer, CPU time, bytes read."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.activity = procfs.activity(pid)
        self.since = time.monotonic()

    def stalled_s(self, answered: bool) -> float:
        activity = procfs.activity(self.pid)
        if answered or activity != self.activity:
            self.activity, self.since = activity, time.monotonic()
        return time.monotonic() - self.since
