"""`interview-graph search "QUERY"`: full-text search across every interview's sentences.

The search language is search.query's (words, "phrases", prefix*). The table prints each hit
with its interview (id prefix and title), sentence number, speaker and time, and the sentence
with its matched words emphasised; transcript text is printed as text, never as markup. A
search that cannot be read is a usage error (exit 2, with what to change); a search that
finds nothing prints so and exits 0, as an empty listing does.
"""

from __future__ import annotations

import asyncio
import shlex
import sys
from dataclasses import replace
from typing import Annotated, NoReturn

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from interview_graph import bootstrap
from interview_graph.cli import render
from interview_graph.cli.context import load_settings
from interview_graph.cli.interview_ids import (
    EXIT_USAGE,
    in_graph,
    interview_id_value,
    resolve_interview_id,
)
from interview_graph.graph.port import GraphStore, GraphStoreError, SentenceFilter
from interview_graph.search.json_form import cursor_offset, next_cursor, page_json
from interview_graph.search.port import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    SearchPage,
    SearchQuery,
    SearchSyntaxError,
)
from interview_graph.search.query import parse_query

search_app = typer.Typer()

QUERY_HELP = (
    'Words (every one must be in the sentence), "a phrase" (its words in this order) and '
    "prefixes like pric*; case does not matter, punctuation only separates words."
)


@search_app.command("search")
def search(
    query: Annotated[str, typer.Argument(help=QUERY_HELP)],
    project: Annotated[str | None, typer.Option(help="Only this project (its name).")] = None,
    interview: Annotated[
        str | None,
        typer.Option(
            help="Only this interview: its id or its first characters.",
            callback=interview_id_value,
        ),
    ] = None,
    speaker: Annotated[str | None, typer.Option(help="Only this speaker's sentences.")] = None,
    function: Annotated[
        str | None, typer.Option(help="Only this function type, e.g. interrogative.")
    ] = None,
    purpose: Annotated[str | None, typer.Option(help="Only this purpose, e.g. Objection.")] = None,
    topic: Annotated[
        str | None, typer.Option(help="Only sentences whose own topic this is, e.g. tools.")
    ] = None,
    keyword: Annotated[
        str | None, typer.Option(help="Only sentences with this keyword (overall or domain).")
    ] = None,
    from_ms: Annotated[
        int | None, typer.Option("--from-ms", min=0, help="Only sentences said from this time on.")
    ] = None,
    to_ms: Annotated[
        int | None, typer.Option("--to-ms", min=0, help="Only sentences said up to this time.")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="Hits per page.")] = (
        DEFAULT_LIMIT
    ),
    cursor: Annotated[
        str | None, typer.Option(help="Go on where a page ended (the cursor it printed).")
    ] = None,
    json_output: Annotated[
        bool,
        typer.Option("--json", help="Print the page as one JSON document {hits, next_cursor}."),
    ] = False,
) -> None:
    """Search every interview's sentences; the best matches first, a page at a time."""
    if from_ms is not None and to_ms is not None and from_ms > to_ms:
        _usage_error(f"--from-ms {from_ms} is after --to-ms {to_ms}")
    wanted = SentenceFilter(
        project=project, speaker=speaker, function=function, purpose=purpose, topic=topic,
        keyword=keyword, from_ms=from_ms, to_ms=to_ms,
    )  # fmt: skip
    try:
        parse_query(query)  # a search that cannot be read fails before anything opens
        searched = SearchQuery(query, wanted, limit=limit, offset=cursor_offset(cursor))
    except ValueError as exc:  # SearchSyntaxError too
        _usage_error(str(exc))
    page = asyncio.run(_search(searched, interview))
    if json_output:
        render.print_json(page_json(page))
        return
    if not page.hits:
        render.err_console.print(Text(f"no sentence matches {query!r}"))
    else:
        render.console.print(hits_table(page))
    following = next_cursor(page)
    if following is not None:
        again = _with_cursor(["interview-graph", *sys.argv[1:]], following)
        render.console.print(Text(f"more: {again}", style="dim"))


async def _search(query: SearchQuery, interview: str | None) -> SearchPage:
    settings = load_settings()
    bootstrap.ensure_data_dir(settings)
    try:
        async with bootstrap.open_graph_store(settings) as graph:
            if interview is not None:
                interview_id = await resolve_interview_id(interview, in_graph(graph))
                query = replace(query, filter=replace(query.filter, interview_id=interview_id))
            return await _page(graph, query)
    except GraphStoreError as exc:
        render.err_console.print(f"[red]graph error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


async def _page(graph: GraphStore, query: SearchQuery) -> SearchPage:
    try:
        return await bootstrap.sentence_search(graph).search(query)
    except SearchSyntaxError as exc:
        _usage_error(str(exc))


def _usage_error(message: str) -> NoReturn:
    render.err_console.print(f"[red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(EXIT_USAGE)


def _with_cursor(args: list[str], cursor: str) -> str:
    """The command line that prints the next page: these arguments with this cursor."""
    kept: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--cursor":
            skip = True
        elif not arg.startswith("--cursor="):
            kept.append(arg)
    return shlex.join([*kept, "--cursor", cursor])


def hits_table(page: SearchPage) -> Table:
    """A row per hit: interview (id prefix and title), sentence number, speaker and time, and
    the sentence with its matched words emphasised."""
    length = render.unique_prefix_length([hit.interview_id for hit in page.hits])
    table = Table()
    table.add_column("interview", ratio=1)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("speaker", ratio=1)
    table.add_column("sentence", ratio=4)
    for hit in page.hits:
        where = Text(hit.interview_id[:length], style="dim")
        where.append(f"\n{hit.interview_title}")
        who = Text(hit.speaker or "")
        clock = render.clock_of(hit.start_ms)
        if clock:
            who.append(("\n" if hit.speaker else "") + clock, style="dim")
        sentence = Text(hit.text)
        for start, end in hit.highlights:
            sentence.stylize("bold yellow", start, end)
        table.add_row(where, str(hit.sequence_order), who, sentence)
    return table
