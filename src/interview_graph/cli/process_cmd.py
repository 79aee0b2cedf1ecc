"""`interview-graph process`: transcripts (files or folders) into the graph, and the summary.

Exit codes: 0 every file done, 1 some file failed, 2 usage error (no files, a bad option).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import typer

from interview_graph import bootstrap
from interview_graph.analysis.port import AnalysisUsage
from interview_graph.cli import render
from interview_graph.cli.context import load_settings
from interview_graph.cli.progress import FileProgress
from interview_graph.dualwrite.outage import StoreOutage
from interview_graph.graph.port import GraphStoreError
from interview_graph.pipeline.discovery import discover_files
from interview_graph.pipeline.errors import TranscriptError
from interview_graph.pipeline.interview_lock import LockHolder, LockWait
from interview_graph.pipeline.service import FileReport, PipelineService
from interview_graph.settings import Settings

process_app = typer.Typer()


@process_app.command("process")
def process(
    paths: Annotated[list[Path], typer.Argument(help="Transcript files or folders.")],
    project: Annotated[
        str | None, typer.Option(help="Project name (default: front matter or 'default').")
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the summary as a JSON object.")
    ] = False,
    events: Annotated[
        bool | None,
        typer.Option(
            "--events/--no-events", help="Dual-write events (overrides ENABLE_EVENT_SOURCING)."
        ),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option(help="Serve Prometheus metrics on this port while running.")
    ] = None,
    delivery_wait: Annotated[
        float, typer.Option(help="Seconds to wait at exit for event delivery.")
    ] = 30.0,
    analyzer: Annotated[
        str | None,
        typer.Option(help="offline (default, or ANALYZER), openai or anthropic."),
    ] = None,
    model: Annotated[
        str | None, typer.Option(help="LLM model name (default: LLM_MODEL or the provider's).")
    ] = None,
    sentences_per_call: Annotated[
        int | None,
        typer.Option(min=1, max=50, help="Consecutive sentences analysed per LLM call."),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, max=256, help="LLM requests in flight at once.")
    ] = None,
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Ask the LLM again even for cached sentences.")
    ] = False,
) -> None:
    """Process transcripts (files or folders) into the graph."""
    settings = _with_analysis_options(
        load_settings(), analyzer, model, sentences_per_call, concurrency, no_cache
    )
    events_on = settings.enable_event_sourcing if events is None else events
    files = discover_files(paths)
    discovery_errors = files.errors
    if not files and not discovery_errors:
        render.err_console.print(
            "[red]no transcript files found[/] in: " + ", ".join(map(str, paths))
        )
        render.print_skipped(files.skipped, to=render.err_console)
        raise typer.Exit(2)
    if metrics_port is not None:
        from interview_graph.metrics import serve_metrics

        serve_metrics(metrics_port)
    reports, totals = asyncio.run(
        _process_files(
            settings, files, project, events_on, delivery_wait, show_progress=not json_output
        )
    )
    reports = [*_discovery_reports(discovery_errors), *reports]
    totals["files_failed"] += len(discovery_errors)
    totals["files_skipped"] = len(files.skipped)
    if json_output:
        render.print_json(
            {
                "files": _with_lock_waits(render.report_rows(reports), reports),
                "skipped": render.skipped_rows(files.skipped),
                "totals": totals,
            }
        )
    else:
        render.print_process_summary(reports, totals, files.skipped)
        _print_lock_waits(reports)
    raise typer.Exit(0 if all(r.ok for r in reports) else 1)


def _with_analysis_options(
    settings: Settings,
    analyzer: str | None,
    model: str | None,
    sentences_per_call: int | None,
    concurrency: int | None,
    no_cache: bool,
) -> Settings:
    """Settings with the command line's analysis options applied; a usage error if unusable."""
    from interview_graph.analysis.llm import llm_config_problem

    kind = analyzer or settings.analyzer
    if kind not in ("offline", "openai", "anthropic"):
        render.err_console.print(
            f"[red]unknown analyzer {kind!r}[/]: use offline, openai or anthropic"
        )
        raise typer.Exit(2)
    update: dict[str, Any] = {"analyzer": kind}
    if model is not None:
        update["llm_model"] = model
    if sentences_per_call is not None:
        update["llm_sentences_per_call"] = sentences_per_call
    if concurrency is not None:
        update["llm_concurrency"] = concurrency
    if no_cache:
        update["llm_cache"] = False
    updated = settings.model_copy(update=update)
    problem = llm_config_problem(updated, kind) if kind != "offline" else None
    if problem is not None:
        render.err_console.print(f"[red]{problem}[/]")
        raise typer.Exit(2)
    return updated


def _discovery_reports(errors: Sequence[TranscriptError]) -> list[FileReport]:
    return [FileReport(path=str(e.path), status="failed", error=str(e)) for e in errors]


async def _process_files(
    settings: Settings,
    files: Sequence[Path],
    project: str | None,
    events_on: bool,
    delivery_wait: float,
    *,
    show_progress: bool,
) -> tuple[list[FileReport], dict[str, Any]]:
    bootstrap.ensure_data_dir(settings)
    started = time.perf_counter()
    try:
        async with bootstrap.open_graph_store(settings) as graph:
            reports, events_summary = await _run_pipeline(
                settings, graph, files, project, events_on, delivery_wait, show_progress
            )
    except GraphStoreError as exc:
        reports = [FileReport(path=str(f), status="failed", error=str(exc)) for f in files]
        events_summary = None
    return reports, _totals(reports, time.perf_counter() - started, events_summary)


async def _run_pipeline(
    settings: Settings,
    graph: Any,
    files: Sequence[Path],
    project: str | None,
    events_on: bool,
    delivery_wait: float,
    show_progress: bool,
) -> tuple[list[FileReport], dict[str, Any] | None]:
    async with bootstrap.open_pipeline(
        settings, graph, events=events_on, on_outage=_print_outage
    ) as pipeline:
        reports = await _run_files(pipeline.service, files, project, show_progress)
        events_summary = None
        if pipeline.dual_writer is not None:
            events_summary = await pipeline.dual_writer.finish(delivery_wait)
            _warn_about_pending(events_summary, delivery_wait)
        return reports, events_summary


def _print_outage(outage: StoreOutage) -> None:
    render.err_console.print(
        f"warning: {outage.describe()}", soft_wrap=True, markup=False, highlight=False
    )


async def _run_files(
    service: PipelineService, files: Sequence[Path], project: str | None, show_progress: bool
) -> list[FileReport]:
    reports: list[FileReport] = []
    with FileProgress(len(files), enabled=show_progress) as progress:
        for path in files:
            progress.start_file(path)
            report = await service.process_file(
                path,
                project,
                on_progress=progress.advance,
                on_read_progress=progress.reading,
                on_lock_wait=_waiting_notice(path),
            )
            progress.finish_file(report)
            reports.append(report)
    return reports


def _waiting_notice(path: Path) -> Callable[[LockHolder], None]:
    def notice(holder: LockHolder) -> None:
        render.err_console.print(
            f"waiting: another run ({holder.describe()}) is processing the same "
            f"interview as {path}; this run goes on with it once that run is done",
            soft_wrap=True,
            markup=False,
            highlight=False,
        )

    return notice


def _lock_wait_row(waited: LockWait) -> dict[str, Any]:
    return {
        "pid": waited.holder.pid,
        "since": waited.holder.since,
        "file": waited.holder.file,
        "seconds": waited.seconds,
    }


def _with_lock_waits(
    rows: list[dict[str, Any]], reports: Sequence[FileReport]
) -> list[dict[str, Any]]:
    """`files[].waited_for`: the run this one waited for (null when it did not wait)."""
    for row, report in zip(rows, reports, strict=True):
        waited = report.waited_for
        row["waited_for"] = _lock_wait_row(waited) if waited is not None else None
    return rows


def _print_lock_waits(reports: Sequence[FileReport]) -> None:
    for report in reports:
        if report.waited_for is not None:
            render.console.print(
                f"waited {report.waited_for.seconds:.1f} s for another run "
                f"({report.waited_for.holder.describe()}) processing the same interview "
                f"as {report.path}, then processed it",
                soft_wrap=True,
                markup=False,
                highlight=False,
            )


def _warn_about_pending(events_summary: dict[str, Any], delivery_wait: float) -> None:
    pending = int(events_summary.get("pending", 0))
    if pending:
        render.err_console.print(
            f"[yellow]warning:[/] {_pending_message(pending, events_summary, delivery_wait)}"
        )
    parked = int(events_summary.get("parked", 0))
    if parked:
        render.err_console.print(
            f"[yellow]warning:[/] the event store ({events_summary.get('store')}) rejects "
            f"{parked} event(s); they are parked in the outbox. See `interview-graph outbox "
            "status` for the error, then `interview-graph outbox retry-parked`."
        )


def _pending_message(pending: int, events_summary: dict[str, Any], delivery_wait: float) -> str:
    """Why this run's events are still in the outbox: the store is down (since when), or it
    answers and delivery was still under way (or failing, with the store's error)."""
    store = events_summary.get("store")
    since = events_summary.get("unreachable_since")
    if since:
        return (
            f"{pending} event(s) of this run not yet delivered: the event store ({store}) is "
            f"unreachable since {since}. They are kept in the outbox; run "
            "`interview-graph outbox flush` once the store is reachable."
        )
    last_error = events_summary.get("last_error")
    why = f"; its last error: {last_error}" if last_error else ", delivery was still under way"
    return (
        f"{pending} event(s) of this run not yet delivered within --delivery-wait "
        f"{delivery_wait:g}s; the event store ({store}) answers{why}. They are kept in the "
        "outbox; the next run or `interview-graph outbox flush` delivers them."
    )


def _totals(
    reports: Sequence[FileReport], seconds: float, events_summary: dict[str, Any] | None
) -> dict[str, Any]:
    sentences = sum(r.sentences for r in reports)
    totals: dict[str, Any] = {
        "files_done": sum(1 for r in reports if r.ok),
        "files_failed": sum(1 for r in reports if not r.ok),
        "sentences": sentences,
        "analyses": sum(r.analyses for r in reports),
        "seconds": round(seconds, 3),
        "sentences_per_second": round(sentences / seconds, 1) if seconds > 0 else 0.0,
    }
    usage = AnalysisUsage()
    for report in reports:
        usage.add(report.usage)
    totals["usage"] = asdict(usage)
    totals["analysis_failures"] = sum(len(r.analysis_failures) for r in reports)
    if events_summary is not None:
        totals["events"] = events_summary
    return totals
