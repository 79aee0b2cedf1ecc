"""`interview-graph outbox status|flush|retry-parked`: see and deliver what the dual-write left
pending."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Annotated, Any

import typer

from interview_graph import bootstrap
from interview_graph.cli import render
from interview_graph.cli.context import load_settings
from interview_graph.graph.port import GraphStoreError
from interview_graph.settings import Settings

outbox_app = typer.Typer(
    name="outbox", help="The dual-write outbox: events recorded locally, not yet delivered."
)


@outbox_app.command("status")
def status(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the counts as a JSON object.")
    ] = False,
) -> None:
    """Pending (ready), staged and delivered counts, the oldest pending age, the last error."""
    settings = load_settings()
    report = asyncio.run(_status(settings))
    if json_output:
        render.print_json(report)
        return
    for key, value in report.items():
        render.console.print(f"{key:>20}  {value}")


async def _status(settings: Settings) -> dict[str, Any]:
    outbox = bootstrap.build_outbox(settings)
    try:
        status = await outbox.status()
    finally:
        await outbox.close()
    return {
        "outbox": str(settings.data_dir / "outbox.sqlite3"),
        "store": bootstrap.event_store_label(settings),
        "pending": status.ready,
        **asdict(status),
    }


@outbox_app.command("flush")
def flush(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print what was delivered as a JSON object.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Give up after this many seconds.")] = 300.0,
) -> None:
    """Deliver everything pending to the event store now (e.g. after an outage)."""
    settings = load_settings()
    result = asyncio.run(_flush(settings, timeout))
    if json_output:
        render.print_json(result)
    else:
        render.console.print(
            f"delivered {result['delivered']} event(s) to {result['store']}; "
            f"{result['pending']} still pending"
            + (f"; last error: {result['error']}" if result["error"] else "")
        )
    if result["parked"]:
        render.err_console.print(
            f"[yellow]warning:[/] {result['parked']} event(s) are parked: the store rejects "
            "them. `interview-graph outbox status` shows the error; fix its cause, then run "
            "`interview-graph outbox retry-parked`."
        )
    raise typer.Exit(0 if result["pending"] == 0 and result["parked"] == 0 else 1)


@outbox_app.command("retry-parked")
def retry_parked(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the flush that follows as a JSON object.")
    ] = False,
) -> None:
    """Make parked events (ones the store rejected) deliverable again, then flush."""
    settings = load_settings()
    retried = asyncio.run(_retry_parked(settings))
    if not json_output:
        render.console.print(f"{retried} parked event(s) are pending again")
    flush(json_output=json_output)


async def _retry_parked(settings: Settings) -> int:
    outbox = bootstrap.build_outbox(settings)
    try:
        return await outbox.retry_parked()
    finally:
        await outbox.close()


async def _flush(settings: Settings, limit_s: float) -> dict[str, Any]:
    bootstrap.ensure_data_dir(settings)
    writer = bootstrap.build_dual_writer(settings)
    error: str | None = None
    delivered = 0
    try:
        await _recover_with_graph(settings, writer)
        delivered = await asyncio.wait_for(writer.deliver_all(), timeout=limit_s)
    except Exception as exc:
        error = str(exc)
    finally:
        status = await writer.outbox.status()
        await writer.close()
    return {
        "store": bootstrap.event_store_label(settings),
        "delivered": delivered - writer.counters.events_parked,
        "pending": status.ready + status.staged,
        "parked": status.parked,
        "error": error,
    }


async def _recover_with_graph(settings: Settings, writer: Any) -> None:
    try:
        async with bootstrap.open_graph_store(settings) as graph:
            await writer.recover(graph)
    except GraphStoreError as exc:
        render.err_console.print(
            f"[yellow]warning:[/] graph unavailable, events left staged by crashed runs stay "
            f"staged until it is back: {exc}"
        )
