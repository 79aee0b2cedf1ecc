"""The idle watchdog: a small detached process per embedded server that stops it once nobody
has used it for the idle period, after compacting its log into a snapshot.

Why a process of its own: the server must outlive the command that started it (so the next
command finds it warm), yet stop by itself even when that command was killed with SIGKILL and
could not say goodbye. The watchdog looks once a second (4 times a second for short idle periods):

* a process holding the users lock, or the start lock, uses the server: the idle clock restarts;
* otherwise the idle deadline is the later of the last time it saw a user and the
  modification time of `falkordb.last-used` (touched by every start and stop), plus the
  idle period, so a command that came and went between two looks still counts;
* past the deadline it compacts the log and then, under the start lock, checks both again
  and stops the server: a process that started using it meanwhile keeps it running.

It exits when its server is gone (stopped by anyone, or crashed). Exactly one runs per server:
it holds `falkordb.watchdog.lock` for its whole life, handed over by the process that spawns
it (the lock travels with the inherited descriptor, so there is no window without it).
Standard library only: it sits idle for minutes and should cost next to nothing.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from interview_graph.graph import falkordb_control as control
from interview_graph.graph import falkordb_procfs as procfs
from interview_graph.graph.falkordb_layout import ServerFiles

# How long a starting process waits for the watchdog of a server that just went away to exit.
_HANDOVER_WAIT_S = 3.0


def ensure_watchdog(files: ServerFiles, server_pid: int, idle_seconds: float) -> None:
    """Makes sure a watchdog watches `server_pid`; called under the start lock by every process
    that spawns or joins the server (a watchdog that died is replaced by the next command)."""
    with files.open_lock(files.watchdog_lock_path) as lock:
        if not _take_watchdog_lock(files, lock, server_pid):
            return
        watchdog = subprocess.Popen(
            [
                sys.executable, "-m", __name__,
                "--data-dir", str(files.data_dir),
                "--server-pid", str(server_pid),
                "--idle-seconds", repr(float(idle_seconds)),
                "--lock-fd", str(lock.fileno()),
            ],
            pass_fds=(lock.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=_append(files.watchdog_log_path),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=files.data_dir,
            env=_env_with_this_package(),
        )  # fmt: skip
        files.write_watchdog_state(
            {"pid": watchdog.pid, "server_pid": server_pid, "idle_seconds": float(idle_seconds)}
        )


def _take_watchdog_lock(files: ServerFiles, lock: IO[bytes], server_pid: int) -> bool:
    """True if no watchdog runs (the lock is now ours, to hand over); False if one already
    watches this server. The watchdog of a server that went away exits within a second."""
    deadline = time.monotonic() + _HANDOVER_WAIT_S
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            state = files.read_watchdog_state()
            if state.get("server_pid") == server_pid or time.monotonic() >= deadline:
                return False
            time.sleep(0.05)


def _append(path: Path) -> int:
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)


def _env_with_this_package() -> dict[str, str]:
    """The child imports this very package, wherever the parent found it."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


# -- the watchdog process -----------------------------------------------------------------


class _Watch:
    """One server's idle clock."""

    def __init__(self, files: ServerFiles, server_pid: int, idle_seconds: float) -> None:
        self.files, self.server_pid, self.idle_seconds = files, server_pid, idle_seconds
        self.last_seen = time.time()

    def deadline(self) -> float:
        return max(self.last_seen, self.files.last_used() or 0.0) + self.idle_seconds

    def look(self) -> bool:
        """One look; True once there is nothing left to watch."""
        if not self.files.data_dir.is_dir():
            if str(self.files.socket_path) in procfs.command_line(self.server_pid):
                _log(f"data directory gone: stopping server pid {self.server_pid}")
                with contextlib.suppress(ProcessLookupError):
                    os.kill(self.server_pid, signal.SIGTERM)
            return True
        if control.server_pid(self.files) != self.server_pid:
            return True  # stopped by someone else, or crashed
        if _in_use(self.files):
            self.last_seen = time.time()
            self.files.touch_last_used()  # so `graph status` shows the deadline this one keeps
            return False
        if time.time() < self.deadline():
            return False
        outcome = control.stop_unused_server(
            self.files, compact=True, still_unwanted=lambda: time.time() >= self.deadline()
        )
        if outcome.compaction is not None:
            _log(outcome.compaction.detail)
        _log(f"idle for {self.idle_seconds:g}s: server pid {self.server_pid}: {outcome.reason}")
        self.last_seen = time.time()
        return outcome.reason in ("stopped", "not running")


def watch(files: ServerFiles, server_pid: int, idle_seconds: float) -> None:
    poll_s = min(1.0, max(0.25, idle_seconds / 10))
    clock = _Watch(files, server_pid, idle_seconds)
    while True:
        try:
            if clock.look():
                return
        except Exception as exc:  # keep watching: the server must not be left without us
            _log(f"error: {type(exc).__name__}: {exc}")
            time.sleep(10 * poll_s)
        time.sleep(poll_s)


def _in_use(files: ServerFiles) -> bool:
    with files.start_lock_if_free() as free:
        return not free or files.someone_uses_it()


def _log(message: str) -> None:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"{stamp} watchdog pid {os.getpid()}: {message}", flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--server-pid", type=int, required=True)
    parser.add_argument("--idle-seconds", type=float, required=True)
    parser.add_argument("--lock-fd", type=int, required=True)
    args = parser.parse_args(argv)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    files = ServerFiles(args.data_dir)
    _log(f"watching server pid {args.server_pid}, idle period {args.idle_seconds:g}s")
    try:
        watch(files, args.server_pid, args.idle_seconds)
    finally:
        os.close(args.lock_fd)


if __name__ == "__main__":
    main()
