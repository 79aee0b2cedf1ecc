"""Helpers for the embedded FalkorDB's lifecycle tests: waiting for a condition, and a data
directory whose server takes as long to load as a test wants.

Redis's `key-load-delay` (a debug setting) sleeps that many microseconds per key it loads from
a snapshot. Beside the graph we store padding keys of incompressible 1 kB values; with the
server handling its clients after every kB loaded (`loading-process-events-interval-bytes`),
it answers `-LOADING` between two keys. A test can hold a server in its loading state for as
long as it likes and end it with `CONFIG SET key-load-delay 0` (allowed while loading).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from pathlib import Path

from interview_graph.graph import falkordb_control as control
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.falkordb_start import StartProgress

PADDING_VALUE_BYTES = 1000


def wait_until(condition: Callable[[], bool], timeout_s: float = 120.0) -> bool:
    """Polls `condition` until it holds (True) or timeout_s passes (False)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def slow_loading_args(key_delay_us: int, *, answering: bool) -> list[str]:
    """redis-server arguments that make each key cost key_delay_us to load; `answering` False
    keeps the server from handling any client until it is done (as while replaying its log)."""
    interval = 1024 if answering else 1 << 30
    return [
        "--key-load-delay", str(key_delay_us),
        "--loading-process-events-interval-bytes", str(interval),
    ]  # fmt: skip


def add_padding_keys(socket_path: Path, count: int) -> None:
    with control.ServerConnection(socket_path, 30.0) as conn:
        for index in range(count):
            value = secrets.token_hex(PADDING_VALUE_BYTES // 2)
            assert conn.command("SET", f"padding:{index}", value, timeout_s=30.0) == b"OK"


def pad_and_compact(falkordb_dir: Path, count: int) -> None:
    """Adds padding keys to the data dir's graph server; stopping it (the only user, idle
    period 0) folds them into the snapshot, where key-load-delay applies."""
    server = EmbeddedFalkorDB(falkordb_dir)
    with server:
        add_padding_keys(server.socket_path, count)
    assert server.files.snapshot_and_log_bytes()[0] > count * PADDING_VALUE_BYTES


def is_loading(server: EmbeddedFalkorDB) -> bool:
    persistence = control.info(server.socket_path, "persistence", timeout_s=5.0)
    return persistence is not None and persistence.get("loading") == "1"


def end_loading(server: EmbeddedFalkorDB) -> None:
    with control.ServerConnection(server.socket_path, 30.0) as conn:
        assert conn.command("CONFIG", "SET", "key-load-delay", "0", timeout_s=30.0) == b"OK"


class ProgressRecorder:
    """A StartObserver that keeps every update."""

    def __init__(self) -> None:
        self.updates: list[StartProgress] = []
        self.outcomes: list[bool] = []

    def update(self, progress: StartProgress) -> None:
        self.updates.append(progress)

    def finished(self, ok: bool) -> None:
        self.outcomes.append(ok)

    def saw(self, condition: Callable[[StartProgress], bool]) -> bool:
        return any(condition(update) for update in list(self.updates))
