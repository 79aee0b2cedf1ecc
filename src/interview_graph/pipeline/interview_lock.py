"""One run at a time per interview: a lock file per interview id in the data directory.

A run that reaches an interview another run is processing (the same file, or the same bytes
under another name, in the same project) waits until that run is done with it, then
processes it itself: the graph it writes is the same, and its own options (another analyzer,
say) still apply. Without the lock both runs would write the same graph nodes and record the
same events at once, each slowing the other down.

The lock is an flock on `<data dir>/locks/interviews/<interview id>.lock`. The kernel drops
it when its holder dies, however it dies, so a killed run never blocks the next one: its
lock file stays behind, naming a dead pid, and the next run takes it over. The file names
its holder (pid, since when, which file), so a waiting run can say whom it waits for.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TextIO

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.2


@dataclass(frozen=True, slots=True)
class LockHolder:
    """The run holding an interview's lock, as its lock file names it (None: not yet said)."""

    pid: int | None
    since: str | None
    file: str | None

    def describe(self) -> str:
        """`pid 1234, since ..., file ...`, with what the lock file says."""
        parts = [f"pid {self.pid}" if self.pid is not None else "pid unknown"]
        if self.since:
            parts.append(f"since {self.since}")
        if self.file:
            parts.append(f"file {self.file}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class LockWait:
    """This run waited `seconds` for `holder` to finish with the interview."""

    holder: LockHolder
    seconds: float


LockWaitNotice = Callable[[LockHolder], None]


class InterviewLock:
    """A held interview lock; `release` (or the process's death) frees it."""

    def __init__(self, path: Path, handle: TextIO, waited: LockWait | None) -> None:
        self._path = path
        self._handle: TextIO | None = handle
        self.waited = waited

    def release(self) -> None:
        """Removes the file while still holding it, then unlocks: a run that opened the old
        file meanwhile finds it gone once it gets the lock, and locks a new one."""
        if self._handle is not None:
            self._path.unlink(missing_ok=True)
            self._handle.close()
            self._handle = None


class InterviewLocks:
    """The interview locks of one data directory."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def acquire(
        self, interview_id: str, source: Path, on_wait: LockWaitNotice | None = None
    ) -> InterviewLock:
        """Lock the interview for this run; while another live run holds it, tell `on_wait`
        once (whom this run waits for) and wait."""
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{interview_id}.lock"
        first_seen: tuple[LockHolder, float] | None = None
        while True:
            handle = _try_lock(path)
            if handle is not None:
                _take_over(path, handle, source)
                waited = None
                if first_seen is not None:
                    holder, started = first_seen
                    waited = LockWait(holder, round(time.monotonic() - started, 3))
                return InterviewLock(path, handle, waited)
            if first_seen is None:
                first_seen = (read_holder(path), time.monotonic())
                if on_wait is not None:
                    on_wait(first_seen[0])
            await asyncio.sleep(POLL_INTERVAL_S)


def read_holder(path: Path) -> LockHolder:
    try:
        fields = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        fields = {}
    if not isinstance(fields, dict):
        fields = {}
    pid = fields.get("pid")
    return LockHolder(
        pid=pid if isinstance(pid, int) else None,
        since=str(fields["since"]) if "since" in fields else None,
        file=str(fields["file"]) if "file" in fields else None,
    )


def _try_lock(path: Path) -> TextIO | None:
    """The locked file, or None while another process holds it."""
    while True:
        handle = path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return None
        if _is_current_file(path, handle):
            return handle
        handle.close()  # its holder removed it as we opened it: lock the file there now


def _is_current_file(path: Path, handle: TextIO) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino
    except FileNotFoundError:
        return False


def _take_over(path: Path, handle: TextIO, source: Path) -> None:
    """Name this run as the holder; a name left by a run that died is replaced."""
    left_behind = read_holder(path)
    if left_behind.pid is not None:
        log.info(
            "took over an interview lock left by a run that is no longer running",
            extra={"lock": str(path), "dead_pid": left_behind.pid, "file": left_behind.file},
        )
    handle.seek(0)
    handle.truncate()
    since = datetime.now().astimezone().isoformat(timespec="seconds")
    handle.write(json.dumps({"pid": os.getpid(), "since": since, "file": str(source)}))
    handle.flush()
