"""`interview-graph graph status|stop`: the data directory's embedded FalkorDB server.

The server outlives the command that started it for FALKORDB_IDLE_SECONDS, so the next command
finds it warm; `status` shows it without starting it or counting as a user, `stop` compacts
its log into a snapshot and stops it now.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

import typer

from interview_graph import bootstrap
from interview_graph.cli import render
from interview_graph.cli.context import load_settings
from interview_graph.cli.server_progress import ServerStartStatus, human_bytes
from interview_graph.graph.falkordb_control import StopOutcome
from interview_graph.graph.falkordb_procfs import command_line
from interview_graph.graph.falkordb_start import set_default_start_observer
from interview_graph.graph.falkordb_status import ServerStatus
from interview_graph.settings import Settings

graph_app = typer.Typer(name="graph", help="The embedded FalkorDB server of the data directory.")


def show_server_starts() -> None:
    """Every command shows a slow start of the embedded server (loading a big graph) on stderr."""
    set_default_start_observer(ServerStartStatus(render.err_console))


@graph_app.command("status")
def status(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the report as a JSON object.")
    ] = False,
) -> None:
    """Running or not, pid, socket, memory, snapshot and log sizes, users, idle deadline."""
    settings = load_settings()
    report = status_report(bootstrap.embedded_falkordb(settings).status(), settings)
    if json_output:
        render.print_json(report)
        return
    if settings.graph_backend != "falkordb":
        render.console.print("GRAPH_BACKEND is not falkordb: commands do not use this server.")
    for key, value in _human_lines(report):
        render.console.print(f"{key:>16}  {value}", markup=False, highlight=False)


def status_report(server: ServerStatus, settings: Settings) -> dict[str, Any]:
    report = {"backend": settings.graph_backend, **server.as_json()}
    deadline = server.idle_deadline
    report["idle_seconds_left"] = max(0.0, round(deadline - time.time(), 1)) if deadline else None
    return report


def _human_lines(report: dict[str, Any]) -> list[tuple[str, str]]:
    users = report["users"]
    lines = [
        ("data dir", report["data_dir"]),
        ("state", report["state"] + (f" (pid {report['pid']})" if report["pid"] else "")),
        ("socket", report["socket"]),
        ("memory used", _mb(report["memory_used_bytes"])),
        ("snapshot", _mb(report["snapshot_bytes"])),
        ("log", _mb(report["log_bytes"]) + " (replayed write by write at the next start)"),
        ("users", "; ".join(f"pid {u['pid']}: {_short(u['command'])}" for u in users) or "none"),
    ]
    if report["loaded_bytes"] is not None:
        loaded = f"{_mb(report['loaded_bytes'])} of {_mb(report['total_bytes'])}"
        lines.append(("loaded", loaded))
    if report["watchdog_pid"] is not None:
        lines.append(
            ("idle watchdog", f"pid {report['watchdog_pid']}, {report['idle_seconds']:g}s idle")
        )
    if report["idle_seconds_left"] is not None:
        stamp = time.strftime("%H:%M:%S", time.localtime(report["idle_deadline"]))
        lines.append(("stops at", f"{stamp} (in {report['idle_seconds_left']:.0f}s if unused)"))
    return lines


@graph_app.command("stop")
def stop(
    wait: Annotated[
        bool, typer.Option("--wait", help="Wait for the processes using it to finish.")
    ] = False,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the outcome as a JSON object.")
    ] = False,
) -> None:
    """Compact the server's log into a snapshot and stop it now (refused while in use)."""
    settings = load_settings()
    server = bootstrap.embedded_falkordb(settings)
    with render.err_console.status(f"FalkorDB: stopping the graph server for {server.data_dir}"):
        outcome = server.stop_server(wait=wait, while_waiting=_show_waiting)
    if json_output:
        render.print_json(_outcome_json(outcome, str(server.data_dir)))
    else:
        _print_outcome(outcome, str(server.data_dir))
    raise typer.Exit(1 if outcome.reason == "in use" else 0)


_last_waiting: list[int] = []


def _show_waiting(users: list[int]) -> None:
    if users != _last_waiting:
        _last_waiting[:] = users
        render.err_console.print(
            f"FalkorDB: waiting for {_describe_users(users)} to finish using the graph server",
            markup=False,
            highlight=False,
        )


def _print_outcome(outcome: StopOutcome, data_dir: str) -> None:
    if outcome.reason == "in use":
        render.err_console.print(
            f"refused: the graph server for {data_dir} is in use by "
            f"{_describe_users(outcome.users)}. Run `interview-graph graph stop` again once "
            "it is done, or `interview-graph graph stop --wait` to wait for it.",
            markup=False,
            highlight=False,
        )
        return
    if outcome.reason == "not running":
        render.console.print(f"the graph server for {data_dir} is not running", markup=False)
        return
    detail = f"; {outcome.compaction.detail}" if outcome.compaction else ""
    render.console.print(f"stopped the graph server for {data_dir}{detail}", markup=False)


def _outcome_json(outcome: StopOutcome, data_dir: str) -> dict[str, Any]:
    return {
        "data_dir": data_dir,
        "stopped": outcome.stopped,
        "reason": outcome.reason,
        "users": [{"pid": pid, "command": command_line(pid)} for pid in outcome.users],
        "compacted": outcome.compaction.done if outcome.compaction else False,
        "compaction": outcome.compaction.detail if outcome.compaction else None,
    }


def _describe_users(users: list[int]) -> str:
    if not users:
        return "another process"
    return ", ".join(f"pid {pid} ({_short(command_line(pid))})" for pid in users)


def _short(command: str, width: int = 90) -> str:
    return command if len(command) <= width else command[: width - 1] + "…"


def _mb(size: int | None) -> str:
    return "unknown" if size is None else human_bytes(size)
