"""What `graph status` shows of the embedded server: state, pid, memory, files, users, idle
deadline; read without starting the server or counting as one of its users."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from interview_graph.graph import falkordb_procfs as procfs


@dataclass(frozen=True, slots=True)
class ServerUser:
    pid: int
    command: str


@dataclass(frozen=True, slots=True)
class ServerStatus:
    data_dir: str
    socket: str
    running: bool
    state: str  # "stopped", "ready", "loading", "not answering"
    pid: int | None
    memory_used_bytes: int | None
    snapshot_bytes: int
    log_bytes: int
    users: list[ServerUser]
    watchdog_pid: int | None
    idle_seconds: float | None
    idle_deadline: float | None  # epoch seconds; None while in use or without a watchdog
    loaded_bytes: int | None
    total_bytes: int | None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def server_state(pid: int | None, persistence: dict[str, str]) -> str:
    if pid is None:
        return "stopped"
    if not persistence:
        return "not answering"
    return "loading" if persistence.get("loading") == "1" else "ready"


def memory_used(pid: int | None, memory: dict[str, str] | None) -> int | None:
    if memory is not None and "used_memory" in memory:
        return int(memory["used_memory"])
    return procfs.resident_bytes(pid) if pid is not None else None
