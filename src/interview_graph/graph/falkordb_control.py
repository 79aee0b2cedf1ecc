"""Talking to the embedded server beneath the graph client: is it loading, compact its log,
stop it.

A minimal RESP2 client over the unix socket, standard library only (the watchdog process
imports this module; the graph itself is queried through the `falkordb` package).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from interview_graph.graph import falkordb_procfs as procfs
from interview_graph.graph.falkordb_layout import ServerFiles

Reply = bytes | int | list["Reply"] | None

# A log (writes since the snapshot) smaller than this is cheaper to replay than to fold into a
# new snapshot; every command appends its schema statements (a few hundred bytes).
COMPACT_MIN_LOG_BYTES = 64 * 1024
# A server stopped while still loading gets this long to act on SIGTERM; one replaying its
# log only notices signals when it is done, and is killed instead (loading only reads files).
_LOADING_STOP_GRACE_S = 2.0
_SHUTDOWN_GRACE_S = 60.0


class ServerReplyError(Exception):
    """The server answered with an error (e.g. `LOADING ...`)."""


class ServerConnection:
    """One connection; `send` and `read_reply` may be used separately, so a question can wait
    for a server that answers late without being asked again."""

    def __init__(self, socket_path: Path, timeout_s: float) -> None:
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._buffer = bytearray()
        try:
            self._sock.settimeout(timeout_s)
            self._sock.connect(str(socket_path))
        except OSError:
            self._sock.close()
            raise

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> ServerConnection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def send(self, *args: str) -> None:
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self._sock.sendall(b"".join(parts))

    def read_reply(self, timeout_s: float) -> Reply:
        """The next reply; TimeoutError if none arrives in time (the question stays asked)."""
        deadline = time.monotonic() + timeout_s
        while True:
            parsed = _parse(self._buffer, 0)
            if parsed is not None:
                value, end = parsed
                del self._buffer[:end]
                if isinstance(value, ServerReplyError):
                    raise value
                return value
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no reply")
            self._sock.settimeout(remaining)
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionResetError("the server closed the connection")
            self._buffer += chunk

    def command(self, *args: str, timeout_s: float = 5.0) -> Reply:
        self.send(*args)
        return self.read_reply(timeout_s)


def _parse(buffer: bytearray, start: int) -> tuple[Reply | ServerReplyError, int] | None:
    """One RESP2 value from `buffer[start:]` and where it ends, or None if incomplete."""
    line_end = buffer.find(b"\r\n", start)
    if line_end < 0:
        return None
    kind, head, after = buffer[start : start + 1], bytes(buffer[start + 1 : line_end]), line_end + 2
    if kind == b"+":
        return head, after
    if kind == b"-":
        return ServerReplyError(head.decode(errors="replace")), after
    if kind == b":":
        return int(head), after
    if kind == b"$":
        length = int(head)
        if length < 0:
            return None, after
        if len(buffer) < after + length + 2:
            return None
        return bytes(buffer[after : after + length]), after + length + 2
    if kind == b"*":
        items: list[Reply] = []
        for _ in range(max(int(head), 0)):
            parsed = _parse(buffer, after)
            if parsed is None:
                return None
            item, after = parsed
            items.append(item if not isinstance(item, ServerReplyError) else None)
        return items, after
    raise ServerReplyError(f"unexpected reply from the server: {bytes(buffer[start:])[:80]!r}")


def parse_info(reply: Reply) -> dict[str, str]:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else ""
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key: value.strip() for key, value in pairs}


def info(socket_path: Path, section: str, timeout_s: float = 2.0) -> dict[str, str] | None:
    """`INFO section` (answered while loading too), or None if the server does not answer."""
    try:
        with ServerConnection(socket_path, timeout_s) as conn:
            return parse_info(conn.command("INFO", section, timeout_s=timeout_s))
    except (OSError, ServerReplyError):
        return None


class InfoProbe:
    """Asks a starting server for `INFO persistence`, one question outstanding at a time: a
    server that answers only when its log is replayed finds one question waiting, not one per
    attempt."""

    def __init__(self, socket_path: Path) -> None:
        self._socket_path = socket_path
        self._conn: ServerConnection | None = None
        self._asked = False

    def poll(self, timeout_s: float) -> dict[str, str] | None:
        """The server's persistence info, or None if it did not answer within timeout_s."""
        try:
            if self._conn is None:
                self._conn = ServerConnection(self._socket_path, timeout_s)
            if not self._asked:
                self._conn.send("INFO", "persistence")
                self._asked = True
            reply = self._conn.read_reply(timeout_s)
        except TimeoutError:
            return None
        except (OSError, ServerReplyError):
            self.close()
            return None
        self._asked = False
        return parse_info(reply)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
        self._conn, self._asked = None, False


# -- compaction ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Compaction:
    done: bool
    detail: str  # what happened, for logs and `graph stop`


def compact_log(files: ServerFiles, min_log_bytes: int = COMPACT_MIN_LOG_BYTES) -> Compaction:
    """Fold the log into a new snapshot (BGREWRITEAOF: the server writes a new RDB base in a
    child process and switches its manifest to it atomically once it is on disk), so the next
    start loads a snapshot instead of replaying every write. Writes keep being accepted and
    fsynced meanwhile; a crash at any point leaves the old snapshot and log in force."""
    snapshot, log = files.snapshot_and_log_bytes()
    if log < min_log_bytes:
        return Compaction(False, f"its {_size(log)} log was kept: replaying it is cheap")
    try:
        with ServerConnection(files.socket_path, 5.0) as conn:
            if parse_info(conn.command("INFO", "persistence")).get("loading") == "1":
                return Compaction(False, "not compacted: the server is still loading")
            _wait_for_rewrite(conn)
            with contextlib.suppress(ServerReplyError):  # one already running is as good
                conn.command("BGREWRITEAOF")
            status = _wait_for_rewrite(conn)
    except (OSError, ServerReplyError) as exc:
        return Compaction(False, f"not compacted: {exc}")
    if status != "ok":
        return Compaction(False, f"not compacted: the rewrite failed ({status}); see the log")
    new_snapshot, new_log = files.snapshot_and_log_bytes()
    return Compaction(
        True,
        f"snapshot {_size(snapshot)} + log {_size(log)} compacted into a snapshot of "
        f"{_size(new_snapshot)}" + (f" + log {_size(new_log)}" if new_log else ""),
    )


def _size(size: int) -> str:
    return f"{size / 1e3:.0f} kB" if size < 1_000_000 else f"{size / 1e6:.1f} MB"


def _wait_for_rewrite(conn: ServerConnection) -> str:
    """Waits while a rewrite runs or is scheduled; the last rewrite's status."""
    while True:
        persistence = parse_info(conn.command("INFO", "persistence", timeout_s=30.0))
        if persistence.get("aof_rewrite_in_progress") != "1" and (
            persistence.get("aof_rewrite_scheduled") != "1"
        ):
            return persistence.get("aof_last_bgrewrite_status", "unknown")
        time.sleep(0.05)


# -- stopping -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StopOutcome:
    stopped: bool
    reason: str  # "stopped", "not running", "in use", "wanted again"
    users: list[int] = field(default_factory=list)
    compaction: Compaction | None = None


def server_pid(files: ServerFiles) -> int | None:
    """The pid in the pid file, if that process is alive and is this data dir's server."""
    pid = files.read_pid()
    if pid is None or not procfs.is_alive(pid):
        return None
    command = procfs.command_line(pid)
    return pid if "redis-server" in command and str(files.socket_path) in command else None


def stop_unused_server(
    files: ServerFiles,
    *,
    compact: bool,
    still_unwanted: Callable[[], bool] = lambda: True,
) -> StopOutcome:
    """Stops the server if no process uses it: the log compacted first (if asked), then, under
    the start lock (so nobody can start using it meanwhile), SHUTDOWN once the check is
    repeated. `still_unwanted` is asked under that lock too (the watchdog's idle deadline)."""
    if server_pid(files) is None:
        return StopOutcome(False, "not running")
    in_use = procfs.lock_holders(files.users_lock_path)  # a look that takes no lock
    compaction = compact_log(files) if compact and not in_use else None
    with files.start_lock():
        pid = server_pid(files)
        if pid is None:
            return StopOutcome(False, "not running", compaction=compaction)
        if files.someone_uses_it():
            users = procfs.lock_holders(files.users_lock_path)
            return StopOutcome(False, "in use", users, compaction)
        if not still_unwanted():
            return StopOutcome(False, "wanted again", compaction=compaction)
        terminate(files, pid)
    return StopOutcome(True, "stopped", compaction=compaction)


def terminate(files: ServerFiles, pid: int) -> None:
    """SHUTDOWN (the log is fsynced and the server exits) if it answers; SIGTERM, then SIGKILL,
    if it is still loading (nothing to lose: loading only reads). Callers hold the start lock."""
    answering = info(files.socket_path, "persistence", timeout_s=1.0)
    if answering is not None and answering.get("loading") == "0":
        with (
            contextlib.suppress(OSError, ServerReplyError),
            ServerConnection(files.socket_path, 5.0) as conn,
        ):
            conn.command("SHUTDOWN", timeout_s=_SHUTDOWN_GRACE_S)
        grace = _SHUTDOWN_GRACE_S
    else:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
        grace = _LOADING_STOP_GRACE_S
    if not wait_for_exit(pid, grace):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        wait_for_exit(pid, 10.0)
    files.clear_runtime_files()


def wait_for_exit(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while procfs.is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True
