"""The embedded FalkorDB's files in its data directory, and the locks that coordinate processes.

* `falkordb.start.lock` (exclusive, held briefly) serialises joining, spawning and stopping the
  server, so no process ever starts using a server that another is about to stop;
* `falkordb.users.lock` is held *shared* by every process using the server, from before it
  spawns or joins the server until it is done with it;
* `falkordb.watchdog.lock` is held by the server's idle watchdog for its whole life;
* `falkordb.last-used`'s modification time is when a process last started or stopped using
  the server: the idle period counts from there;
* `appendonlydir/` holds Redis's multi-part append-only file: a snapshot (the base, an RDB
  image) and the log of writes since (the incr files), listed in load order by its manifest.

Only the standard library is used here: the watchdog process imports this module.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

# Unix socket paths are limited to 108 bytes (including the NUL) on Linux.
_MAX_SOCKET_PATH = 100


@dataclass(frozen=True, slots=True)
class LogFile:
    path: Path
    kind: str  # "b" (base: the snapshot) or "i" (incr: writes since the snapshot)
    size: int


@dataclass(frozen=True, slots=True)
class ServerFiles:
    data_dir: Path

    # -- paths -----------------------------------------------------------------------------
    @property
    def socket_path(self) -> Path:
        """Inside the data dir, unless that path is too long for a unix socket; then a
        per-data-dir name in the temp dir (every process derives the same one)."""
        inside = self.data_dir / "falkordb.sock"
        if len(str(inside)) <= _MAX_SOCKET_PATH:
            return inside
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:16]
        return Path(tempfile.gettempdir()) / f"falkordb-{digest}.sock"

    @property
    def pid_path(self) -> Path:
        return self.data_dir / "falkordb.pid"

    @property
    def log_path(self) -> Path:
        return self.data_dir / "falkordb.log"

    @property
    def users_lock_path(self) -> Path:
        return self.data_dir / "falkordb.users.lock"

    @property
    def watchdog_lock_path(self) -> Path:
        return self.data_dir / "falkordb.watchdog.lock"

    @property
    def watchdog_state_path(self) -> Path:
        return self.data_dir / "falkordb.watchdog.json"

    @property
    def watchdog_log_path(self) -> Path:
        return self.data_dir / "falkordb.watchdog.log"

    @property
    def last_used_path(self) -> Path:
        return self.data_dir / "falkordb.last-used"

    @property
    def aof_dir(self) -> Path:
        return self.data_dir / "appendonlydir"

    @property
    def manifest_path(self) -> Path:
        return self.aof_dir / "appendonly.aof.manifest"

    # -- locks -----------------------------------------------------------------------------
    def open_lock(self, path: Path) -> IO[bytes]:
        return open(path, "a+b")

    @contextlib.contextmanager
    def start_lock(self, while_waiting: Callable[[], None] | None = None) -> Iterator[None]:
        """Held exclusively; `while_waiting` is called about every 20 ms while another process
        holds it (it may raise to give up)."""
        with self.open_lock(self.data_dir / "falkordb.start.lock") as lock:
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if while_waiting is not None:
                        while_waiting()
                    time.sleep(0.02)
            yield

    @contextlib.contextmanager
    def start_lock_if_free(self) -> Iterator[bool]:
        """The start lock if nobody holds it (True), else nothing (False)."""
        with self.open_lock(self.data_dir / "falkordb.start.lock") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            yield True

    def open_users_lock(self) -> IO[bytes]:
        return self.open_lock(self.users_lock_path)

    def someone_uses_it(self) -> bool:
        """True while any process holds the users lock. Callers hold the start lock, so the
        brief exclusive probe never makes a starting process wait."""
        with self.open_users_lock() as users:
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False

    # -- pid and runtime files --------------------------------------------------------------
    def read_pid(self) -> int | None:
        try:
            return int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return None

    def write_pid(self, pid: int) -> None:
        """Written by the spawning process at once (the server writes the same pid itself a
        moment later), so every later process finds the server it must join."""
        temporary = self.pid_path.with_suffix(".pid.tmp")
        temporary.write_text(f"{pid}\n")
        temporary.replace(self.pid_path)

    def clear_runtime_files(self) -> None:
        """The socket and pid file of a server that is gone (a killed server leaves them)."""
        self.socket_path.unlink(missing_ok=True)
        self.pid_path.unlink(missing_ok=True)

    def touch_last_used(self) -> None:
        self.last_used_path.touch()

    def last_used(self) -> float | None:
        try:
            return self.last_used_path.stat().st_mtime
        except OSError:
            return None

    def read_watchdog_state(self) -> dict[str, Any]:
        try:
            state = json.loads(self.watchdog_state_path.read_text())
        except (OSError, ValueError):
            return {}
        return state if isinstance(state, dict) else {}

    def write_watchdog_state(self, state: dict[str, Any]) -> None:
        temporary = self.watchdog_state_path.with_suffix(".json.tmp")
        temporary.write_text(json.dumps(state))
        temporary.replace(self.watchdog_state_path)

    # -- the append-only file --------------------------------------------------------------
    def log_files(self) -> list[LogFile]:
        """The snapshot and log files the server loads at start, in load order."""
        try:
            manifest = self.manifest_path.read_text(errors="replace")
        except OSError:
            return []
        files = []
        for line in manifest.splitlines():
            fields = line.split()
            entry = dict(zip(fields[0::2], fields[1::2], strict=False))
            if "file" not in entry or entry.get("type") not in ("b", "i"):
                continue  # history files ("h") wait for deletion and are not loaded
            path = self.aof_dir / entry["file"]
            with contextlib.suppress(OSError):
                files.append(LogFile(path, entry["type"], path.stat().st_size))
        return files

    def snapshot_and_log_bytes(self) -> tuple[int, int]:
        files = self.log_files()
        snapshot = sum(f.size for f in files if f.kind == "b")
        return snapshot, sum(f.size for f in files if f.kind == "i")

    def loaded_bytes(self, reading: Path, position: int) -> tuple[int, int]:
        """(bytes loaded, bytes to load) when the server reads `reading` at `position`."""
        files = self.log_files()
        total = sum(f.size for f in files)
        before = 0
        for log_file in files:
            if log_file.path.name == reading.name:
                return before + min(position, log_file.size), total
            before += log_file.size
        return 0, total

    def log_tail(self, lines: int = 8) -> list[str]:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(0, os.SEEK_END)
                log.seek(max(0, log.tell() - 16_384))
                text = log.read().decode(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if line.strip()][-lines:]
