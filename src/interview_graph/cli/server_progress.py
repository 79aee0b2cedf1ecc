"""The embedded graph server's start, as the CLI shows it on stderr: nothing for a warm start,
a spinner with what it waits for, the elapsed time and the bytes loaded when it takes longer
(one line per phase when stderr is not a terminal)."""

from __future__ import annotations

import threading
import time

from rich.console import Console
from rich.errors import LiveError
from rich.status import Status
from rich.text import Text

from interview_graph.graph.falkordb_start import StartProgress

# A start quicker than this shows nothing (a running server answers in milliseconds).
_SHOW_AFTER_S = 0.5
# Without a terminal, a line per phase, repeated this often while the phase lasts.
_LINE_EVERY_S = 30.0


class ServerStartStatus:
    """A StartObserver; called from the starting thread."""

    def __init__(self, console: Console, show_after_s: float = _SHOW_AFTER_S) -> None:
        self._console = console
        self._show_after_s = show_after_s
        self._lock = threading.Lock()
        self._status: Status | None = None
        self._phase: str | None = None
        self._began: float | None = None
        self._line_at = 0.0

    def update(self, progress: StartProgress) -> None:
        if progress.elapsed_s < self._show_after_s:
            return
        text = describe(progress)
        with self._lock:
            if self._began is None:
                self._began = time.monotonic() - progress.elapsed_s
            spinning = self._console.is_terminal and self._spin(text)
            if not spinning and (
                progress.phase != self._phase or time.monotonic() >= self._line_at
            ):
                self._console.print(text, markup=False, highlight=False)
                self._line_at = time.monotonic() + _LINE_EVERY_S
            self._phase = progress.phase

    def _spin(self, text: str) -> bool:
        """False if another live display owns the terminal (then lines are printed)."""
        if self._status is None:
            status = self._console.status(Text(text))
            try:
                status.start()
            except LiveError:
                return False
            self._status = status
        else:
            self._status.update(Text(text))
        return True

    def finished(self, ok: bool) -> None:
        with self._lock:
            if self._status is not None:
                self._status.stop()
            if self._began is not None and ok:
                elapsed = _clock(time.monotonic() - self._began)
                self._console.print(
                    f"FalkorDB: graph server ready after {elapsed}", markup=False, highlight=False
                )
            self._status, self._phase, self._began = None, None, None


def describe(progress: StartProgress) -> str:
    elapsed = _clock(progress.elapsed_s)
    pid = f" (pid {progress.pid})" if progress.pid else ""
    if progress.phase == "waiting":
        return (
            "FalkorDB: waiting for another interview-graph process that is starting or "
            f"stopping the graph server · {elapsed}"
        )
    if progress.phase == "stalled":
        return (
            f"FalkorDB: the graph server{pid} has shown no sign of life for "
            f"{progress.stalled_s:.0f}s · {elapsed}"
        )
    if progress.phase == "loading":
        blocked = "" if progress.answering else " · too busy to answer until it is done"
        return f"FalkorDB: loading the graph{pid}: {_amount(progress)}{blocked} · {elapsed}"
    return f"FalkorDB: starting the graph server{pid} · {elapsed}"


def _amount(progress: StartProgress) -> str:
    loaded, total = progress.loaded_bytes, progress.total_bytes
    if not total or loaded is None:
        return "size unknown"
    return f"{human_bytes(loaded)} of {human_bytes(total)} ({100 * loaded / total:.0f}%)"


def human_bytes(size: int) -> str:
    return f"{size / 1e3:.1f} kB" if size < 1_000_000 else f"{size / 1e6:.1f} MB"


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"
