"""`interview-graph rebuild | project | verify | backfill`: the event log as source of truth.

Targets (`--target`):
  falkordb:NAME                 another graph of this data directory's FalkorDB
  neo4j://host:7687[/db]        a Neo4j database (also bolt://, neo4j+s://, bolt+s://);
                                user and password from the URL or NEO4J_USER/NEO4J_PASSWORD,
                                database from the path or NEO4J_DATABASE
  (none)                        the configured graph itself; it holds the dual-written data,
                                so `rebuild` needs `--wipe --yes` to replace it

A target keeps its projection's position in a `ProjectionCheckpoint` node written in the same
transaction as the data, so an interrupted `rebuild` or `project` simply resumes when run again.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape

from interview_graph import bootstrap
from interview_graph.cli import render
from interview_graph.cli.context import load_settings
from interview_graph.cli.interview_ids import (
    IdSource,
    in_event_log,
    in_graph,
    interview_id_value,
    resolve_interview_id,
)
from interview_graph.events.port import EventStore, EventStoreError
from interview_graph.graph.port import GraphStore, GraphStoreError
from interview_graph.projection.backfill import BackfillReport
from interview_graph.projection.backfill import backfill as run_backfill
from interview_graph.projection.port import ProjectionGraph
from interview_graph.projection.projector import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_PROJECTION,
    ProjectionReport,
    Projector,
)
from interview_graph.projection.verify import VerifyReport, count_by_kind
from interview_graph.projection.verify import verify as run_verify
from interview_graph.settings import Settings

PROGRESS_EVERY_S = 2.0
_T = TypeVar("_T")

TargetOption = Annotated[
    str | None,
    typer.Option(
        "--target",
        # Typer renders help as Rich markup: the brackets must be literal, not a closing tag.
        help=escape(
            "falkordb:NAME, neo4j://host:port[/database] or bolt://...; "
            "default: the configured graph."
        ),
    ),
]
NameOption = Annotated[
    str, typer.Option("--name", help="Projection name (one checkpoint per name and target).")
]
BatchOption = Annotated[
    int, typer.Option("--batch-size", min=1, max=20_000, help="Events per atomic graph write.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the report as a JSON object.")]
VerifyInterviewOption = Annotated[
    str | None,
    typer.Option(
        "--interview",
        help="Only this interview: its id or its first characters, looked up in the graph "
        "and the event log.",
        callback=interview_id_value,
    ),
]
BackfillInterviewOption = Annotated[
    str | None,
    typer.Option(
        "--interview",
        help="Only this interview: its id or its first characters, looked up in the graph.",
        callback=interview_id_value,
    ),
]


class UsageError(Exception):
    """A bad argument: reported and exit code 2."""


# ---------------------------------------------------------------- targets


@asynccontextmanager
async def _opened_graph(graph: ProjectionGraph) -> AsyncIterator[ProjectionGraph]:
    async with graph:
        await graph.ensure_schema()
        yield graph


@asynccontextmanager
async def _opened_store(settings: Settings) -> AsyncIterator[EventStore]:
    bootstrap.ensure_data_dir(settings)
    store = await bootstrap.open_event_store(settings)
    try:
        yield store
    finally:
        await store.close()


def _run(work: Coroutine[Any, Any, _T]) -> _T:
    """Run an async body; store errors and bad arguments become messages and exit codes."""
    try:
        return asyncio.run(work)
    except (UsageError, bootstrap.TargetError) as exc:
        render.err_console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except GraphStoreError as exc:
        render.err_console.print(f"[red]graph error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None
    except EventStoreError as exc:
        render.err_console.print(f"[red]event store error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from None


async def _interview_id(value: str | None, *sources: IdSource) -> str | None:
    return None if value is None else await resolve_interview_id(value, *sources)


# ---------------------------------------------------------------- rebuild / project


async def _node_count(graph: GraphStore) -> int:
    from interview_graph.graph.schema import NODE_KEYS

    counts = await graph.stats()
    return sum(counts.get(label, 0) for label in NODE_KEYS)


class _ProgressPrinter:
    """A line on stderr every couple of seconds: where the projection is, and how fast."""

    def __init__(self, label: str, last_position: int, enabled: bool) -> None:
        self._label = label
        self._last_position = last_position
        self._enabled = enabled
        self._started = time.perf_counter()
        self._next = self._started + PROGRESS_EVERY_S

    def __call__(self, report: ProjectionReport) -> None:
        now = time.perf_counter()
        if not self._enabled or now < self._next:
            return
        self._next = now + PROGRESS_EVERY_S
        rate = report.events / (now - self._started) if now > self._started else 0.0
        of = f" of {self._last_position}" if self._last_position else ""
        render.err_console.print(
            f"{self._label}: {report.events} events projected, position {report.position}{of} "
            f"({rate:,.0f} events/s)",
            markup=False,
            soft_wrap=True,
        )


async def _prepare_target(graph: ProjectionGraph, label: str, name: str, wipe: bool) -> int | None:
    """Wipe when asked; refuse a target that holds data this projection did not write."""
    if wipe:
        await graph.wipe()
        return None
    checkpoint = await graph.read_checkpoint(name)
    if checkpoint is None:
        nodes = await _node_count(graph)
        if nodes:
            raise UsageError(
                f"{label} already holds {nodes} node(s) and no checkpoint of projection "
                f"{name!r}: projecting into it would mix two sources. Choose an empty target, "
                "or pass --wipe --yes to delete everything in it first."
            )
    return checkpoint


async def _rebuild(
    settings: Settings,
    target: str | None,
    name: str,
    batch_size: int,
    wipe: bool,
    quiet: bool,
    follow: bool,
) -> tuple[ProjectionReport, str]:
    graph, label = bootstrap.graph_for_target(settings, target)
    async with _opened_store(settings) as store, _opened_graph(graph):
        checkpoint = await _prepare_target(graph, label, name, wipe)
        if checkpoint and not quiet:
            render.err_console.print(
                f"{label}: resuming projection {name!r} after {checkpoint}",
                markup=False,
                soft_wrap=True,
            )
        progress = _ProgressPrinter(label, await store.last_position(), not quiet)
        projector = Projector(store, graph, name=name, batch_size=batch_size, on_progress=progress)
        if not follow:
            return await projector.catch_up(), label
        stop = asyncio.Event()
        _stop_on_signals(stop)
        if not quiet:
            render.err_console.print(
                f"{label}: following the event log (Ctrl-C stops)", soft_wrap=True
            )
        return await projector.follow(stop), label


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)


def _print_projection(report: ProjectionReport, label: str, json_output: bool) -> None:
    if json_output:
        render.print_json({"target": label, **report.as_dict()})
        return
    render.console.print(
        f"projected {report.events} events into {label}: {report.interviews} interviews, "
        f"{report.sentences} sentences, {report.analyses} analyses, {report.statuses} status "
        f"changes in {report.seconds:.2f} s ({report.events_per_second:,.0f} events/s); "
        f"checkpoint {report.name!r} at position {report.position}"
        + (f" ({report.skipped} events of unknown types skipped)" if report.skipped else ""),
        markup=False,
        soft_wrap=True,
    )


def rebuild(
    target: TargetOption = None,
    wipe: Annotated[
        bool, typer.Option("--wipe", help="Delete everything in the target first.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm --wipe without asking.")] = False,
    name: NameOption = DEFAULT_PROJECTION,
    batch_size: BatchOption = DEFAULT_BATCH_SIZE,
    json_output: JsonOption = False,
) -> None:
    """Build a graph from the full event log (resumes an interrupted rebuild)."""
    settings = load_settings()
    if wipe and not yes:
        label = (
            bootstrap.graph_for_target(settings, target)[1]
            if _valid_target(settings, target)
            else target
        )
        if not sys.stdin.isatty() or not typer.confirm(f"Delete everything in {label}?"):
            render.err_console.print(
                "[red]error:[/] --wipe deletes every node of the target; confirm with --yes"
            )
            raise typer.Exit(2)
    report, label = _run(
        _rebuild(settings, target, name, batch_size, wipe, json_output, follow=False)
    )
    _print_projection(report, label, json_output)


def _valid_target(settings: Settings, target: str | None) -> bool:
    try:
        bootstrap.graph_for_target(settings, target)
    except bootstrap.TargetError:
        return False
    return True


def project(
    target: TargetOption = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep applying new events until Ctrl-C/SIGTERM.")
    ] = False,
    name: NameOption = DEFAULT_PROJECTION,
    batch_size: BatchOption = DEFAULT_BATCH_SIZE,
    json_output: JsonOption = False,
) -> None:
    """Bring a target up to date from its checkpoint; with --follow, keep it up to date."""
    settings = load_settings()
    report, label = _run(
        _rebuild(settings, target, name, batch_size, False, json_output, follow=follow)
    )
    _print_projection(report, label, json_output)


# ---------------------------------------------------------------- verify / backfill


async def _with_store_and_graph(
    settings: Settings,
    target: str | None,
    action: Callable[[EventStore, GraphStore], Awaitable[_T]],
) -> _T:
    graph, _label = bootstrap.graph_for_target(settings, target)
    async with _opened_store(settings) as store, _opened_graph(graph):
        return await action(store, graph)


def verify(
    interview: VerifyInterviewOption = None,
    target: TargetOption = None,
    json_output: JsonOption = False,
) -> None:
    """Compare the graph with the event log; exit 0 when they agree, 1 when they differ."""
    settings = load_settings()

    async def compare(store: EventStore, graph: GraphStore) -> VerifyReport:
        # Either side may be the one missing the interview: that is a difference to report.
        only = await _interview_id(interview, in_graph(graph), in_event_log(store))
        return await run_verify(store, graph, only)

    report: VerifyReport = _run(_with_store_and_graph(settings, target, compare))
    if json_output:
        render.print_json(report.as_dict())
    else:
        _print_verify(report)
    raise typer.Exit(0 if report.ok else 1)


def _print_verify(report: VerifyReport) -> None:
    checked = (
        f"{report.interviews} interview(s), {report.sentences} sentence(s), "
        f"{report.analyses} analysis(es), {report.events} event(s) in {report.seconds:.2f} s"
    )
    if report.ok:
        render.console.print(f"[green]graph and event log agree[/]: {checked}", soft_wrap=True)
        return
    for difference in report.differences:
        render.console.print(difference.describe(), markup=False, highlight=False, soft_wrap=True)
    kinds = ", ".join(
        f"{count} {kind}" for kind, count in sorted(count_by_kind(report.differences).items())
    )
    render.console.print(
        f"[red]{len(report.differences)} difference(s)[/] ({kinds}) after checking {checked}. "
        "`interview-graph backfill` records facts missing in the log; a graph missing facts "
        "can be rebuilt with `interview-graph rebuild`.",
        soft_wrap=True,
    )


def backfill(
    interview: BackfillInterviewOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Count the missing events, append nothing.")
    ] = False,
    json_output: JsonOption = False,
) -> None:
    """Emit the events missing for graph data (e.g. processed with events off)."""
    settings = load_settings()

    async def emit(store: EventStore, graph: GraphStore) -> BackfillReport:
        only = await _interview_id(interview, in_graph(graph))
        return await run_backfill(store, graph, only, dry_run=dry_run)

    report = _run(_with_store_and_graph(settings, None, emit))
    if json_output:
        render.print_json(report.as_dict())
        return
    verb = "would append" if dry_run else "appended"
    types = ", ".join(f"{count} {kind}" for kind, count in sorted(report.by_type.items()))
    render.console.print(
        f"{verb} {report.events} event(s) for {report.interviews} interview(s)"
        + (f": {types}" if types else "")
        + f" in {report.seconds:.2f} s",
        soft_wrap=True,
    )


projection_app = typer.Typer()
projection_app.command("rebuild")(rebuild)
projection_app.command("project")(project)
projection_app.command("verify")(verify)
projection_app.command("backfill")(backfill)
