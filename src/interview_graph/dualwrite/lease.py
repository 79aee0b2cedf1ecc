"""The owner lease: which process staged an outbox batch, and whether it still runs."""

from __future__ import annotations

import fcntl
import os
import uuid
from pathlib import Path
from typing import TextIO


class OwnerLease:
    """A lock file held for the life of a process; a lease that can be locked is dead.

    Staged outbox entries carry their owner's lease name, so recovery never touches the
    staged entries of another process that is still running on the same data directory.
    The kernel drops the lock when the process dies, however it dies, so a killed process
    never looks alive.
    """

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
        self._directory = directory
        self._file: TextIO | None = (directory / f"{self.name}.lock").open("w")
        fcntl.flock(self._file, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def live_owners(self) -> set[str]:
        """This lease and every other one still held; dead leases' files are removed."""
        live = {self.name}
        for lock_path in self._directory.glob("*.lock"):
            name = lock_path.stem
            if name == self.name:
                continue
            if _is_held(lock_path):
                live.add(name)
            else:
                lock_path.unlink(missing_ok=True)
        return live

    def release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            (self._directory / f"{self.name}.lock").unlink(missing_ok=True)


def _is_held(lock_path: Path) -> bool:
    try:
        with lock_path.open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False
