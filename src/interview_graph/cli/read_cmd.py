"""`interview-graph interviews | show | export | stats`: read what is in the graph."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import asdict
from typing import Annotated, Any

import typer

from interview_graph import bootstrap
from interview_graph.cli import render
from interview_graph.cli.context import load_settings
from interview_graph.cli.interview_ids import in_graph, interview_id_value, resolve_interview_id
from interview_graph.graph.export import to_jsonl_line
from interview_graph.graph.json_forms import interviews_json
from interview_graph.graph.pages import sentences_page
from interview_graph.graph.port import GraphStoreError

read_app = typer.Typer()


@read_app.command("interviews")
def interviews(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the interviews as a JSON list (full ids).")
    ] = False,
) -> None:
    """List the interviews in the graph."""
    rows = asyncio.run(_with_graph(lambda g: g.list_interviews()))
    if json_output:
        render.print_json(interviews_json(rows))
    else:
        render.print_interviews(rows)


PAGE_SIZE = 100


@read_app.command("show")
def show(
    interview_id: Annotated[
        str,
        typer.Argument(
            help="The interview id, or its first characters (see `interviews`).",
            callback=interview_id_value,
        ),
    ],
    from_order: Annotated[
        int, typer.Option("--from", min=0, help="Start at this sentence number (0 is the first).")
    ] = 0,
    limit: Annotated[
        int, typer.Option(min=1, help="Sentences per page (--all reads page after page).")
    ] = PAGE_SIZE,
    show_all: Annotated[
        bool, typer.Option("--all", help="Every sentence from --from on, read page by page.")
    ] = False,
    json_output: Annotated[
        bool,
        typer.Option(
            "--json",
            help="Print the interview, its sentences and analyses as one JSON document "
            "(with next_from, the start of the next page).",
        ),
    ] = False,
) -> None:
    """Show an interview's sentences with their analyses, a page at a time."""
    asyncio.run(
        _with_graph(
            lambda graph: _show(graph, interview_id, from_order, limit, show_all, json_output)
        )
    )


async def _show(
    graph: Any, typed_id: str, from_order: int, limit: int, show_all: bool, as_json: bool
) -> None:
    """Prints page after page as it is read, so memory stays that of one page."""
    interview_id = await resolve_interview_id(typed_id, in_graph(graph))
    interview = await graph.get_interview(interview_id)
    if interview is None:
        render.err_console.print(
            f"[red]no interview {interview_id}[/] in the graph; "
            "`interview-graph interviews` lists them"
        )
        raise typer.Exit(1)
    from interview_graph.analysis.llm import read_failures

    failures = [asdict(f) for f in read_failures(load_settings().data_dir, interview_id)]
    writer = render.ShowWriter(interview, as_json=as_json)
    next_from: int | None = from_order
    while next_from is not None:
        page = await sentences_page(graph, interview_id, next_from, limit)
        writer.page(page.views)
        next_from = page.next_from
        if not show_all:
            break
    writer.finish(next_from, failures)


@read_app.command("export")
def export(
    interview: Annotated[
        str | None,
        typer.Option(
            help="Only this interview's subgraph (its id, or its first characters).",
            callback=interview_id_value,
        ),
    ] = None,
    output_format: Annotated[str, typer.Option("--format", help="Only jsonl.")] = "jsonl",
) -> None:
    """A canonical, sorted JSONL dump of nodes and relationships (diff two graphs with it)."""
    if output_format != "jsonl":
        render.err_console.print(f"[red]unknown format {output_format!r}[/]: only 'jsonl'")
        raise typer.Exit(2)

    async def dump(graph: Any) -> int:
        only = None if interview is None else await resolve_interview_id(interview, in_graph(graph))
        count = 0
        async for record in graph.export(only):
            sys.stdout.write(to_jsonl_line(record) + "\n")
            count += 1
        return count

    asyncio.run(_with_graph(dump))


@read_app.command("stats")
def stats(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the counts as a JSON object.")
    ] = False,
) -> None:
    """Node and relationship counts."""
    counts = asyncio.run(_with_graph(lambda g: g.stats()))
    if json_output:
        render.print_json(counts)
        return
    for key in sorted(counts):
        render.console.print(f"{key:>28}  {counts[key]}")


async def _with_graph(action: Any) -> Any:
    settings = load_settings()
    bootstrap.ensure_data_dir(settings)
    try:
        async with bootstrap.open_graph_store(settings) as graph:
            return await action(graph)
    except GraphStoreError as exc:
        render.err_console.print(f"[red]graph error:[/] {exc}")
        raise typer.Exit(1) from exc
