"""What Linux's /proc tells about another process: alive or not, busy or not, which file it is
reading and where, which processes hold a lock.

A server that replays its append-only log does not answer at all until it is done, so these
are how a starting client tells a busy server from a dead or frozen one. Standard library only
(the watchdog process imports it).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def _stat_fields(pid: int) -> list[str] | None:
    """/proc/<pid>/stat after the command name: state, ppid, ..., utime (11), stime (12)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()


def state(pid: int) -> str | None:
    """The process state letter (R running, S sleeping, D disk, T stopped, Z zombie), or None
    if there is no such process."""
    fields = _stat_fields(pid)
    return fields[0] if fields else None


def is_alive(pid: int) -> bool:
    """A zombie (exited, not yet reaped by its parent) counts as gone."""
    current = state(pid)
    return current is not None and current not in ("Z", "X")


def activity(pid: int) -> tuple[int, int]:
    """CPU ticks used and bytes read so far: if either moves, the process is working."""
    fields = _stat_fields(pid)
    cpu = int(fields[11]) + int(fields[12]) if fields and len(fields) > 12 else 0
    read = 0
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/io").read_text().splitlines():
            if line.startswith("rchar:"):
                read = int(line.split()[1])
    return cpu, read


def command_line(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def resident_bytes(pid: int) -> int | None:
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def reading_position(pid: int, directory: Path) -> tuple[Path, int] | None:
    """The file under `directory` that the process has open, and its offset in that file."""
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        descriptors = list(fd_dir.iterdir())
    except OSError:
        return None
    prefix = str(directory.resolve()) + os.sep
    for descriptor in descriptors:
        try:
            target = os.readlink(descriptor)
            if not target.startswith(prefix):
                continue
            info = Path(f"/proc/{pid}/fdinfo/{descriptor.name}").read_text()
        except OSError:
            continue
        for line in info.splitlines():
            if line.startswith("pos:"):
                return Path(target), int(line.split()[1])
    return None


def lock_holders(path: Path) -> list[int]:
    """The pids holding a flock on `path` (from /proc/locks, each confirmed by an open
    descriptor on that file), without taking the lock."""
    try:
        inode = path.stat().st_ino
        table = Path("/proc/locks").read_text()
    except OSError:
        return []
    holders: set[int] = set()
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] != "FLOCK" or "->" in fields:
            continue
        if fields[5].rsplit(":", 1)[-1] == str(inode) and _has_open(int(fields[4]), path):
            holders.add(int(fields[4]))
    return sorted(holders)


def _has_open(pid: int, path: Path) -> bool:
    wanted = str(path.resolve())
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return False
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            if os.readlink(descriptor) == wanted:
                return True
    return False
