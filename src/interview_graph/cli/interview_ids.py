"""Interview ids as users type them: the full id, or any prefix that names one interview.

`process` and the tables print the first characters of an id; every command that takes an
interview id accepts them, and resolves them here, against the store the command reads:

* a value that cannot start an interview id (not hex digits and '-') is a usage error, exit
  code 2, reported by Typer before anything is opened (`interview_id_value`);
* a prefix that no interview has is "not found", exit code 1, naming where it looked and the
  command that lists what is there;
* a prefix that several interviews share is a usage error, exit code 2, listing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NoReturn

import typer
from rich.markup import escape

from interview_graph.cli import render

if TYPE_CHECKING:  # a read command resolves ids in the graph without loading the event side
    from interview_graph.events.port import EventStore
    from interview_graph.graph.port import GraphStore

EXIT_NOT_FOUND = 1
EXIT_USAGE = 2
MAX_CANDIDATES = 10  # an ambiguous prefix lists at most this many interviews
UUID_LENGTH = 36
_ID_CHARACTERS = frozenset("0123456789abcdef-")
_LOG_PAGE = 1000

LIST_GRAPH_INTERVIEWS = "`interview-graph interviews`"
LIST_LOG_INTERVIEWS = "`interview-graph events list --type InterviewCreated`"


@dataclass(frozen=True, slots=True)
class IdSource:
    """Where ids are looked up: a name for messages, the lookup, and the command that lists
    the interviews there."""

    where: str
    lookup: Callable[[str, int], Awaitable[list[str]]]
    lister: str


def interview_id_value(value: str | None) -> str | None:
    """Typer callback for an interview id option or argument: the value in lower case, or a
    usage error (exit code 2) when it cannot be an interview id or the start of one."""
    if value is None:
        return None
    prefix = value.strip().lower()
    if not prefix or len(prefix) > UUID_LENGTH or not set(prefix) <= _ID_CHARACTERS:
        raise typer.BadParameter(
            f"{value!r} is not an interview id or the start of one (hex digits and '-'); "
            f"{LIST_GRAPH_INTERVIEWS} lists them"
        )
    return prefix


def in_graph(graph: GraphStore) -> IdSource:
    return IdSource("the graph", graph.interview_ids_with_prefix, LIST_GRAPH_INTERVIEWS)


def in_event_log(store: EventStore) -> IdSource:
    async def lookup(prefix: str, limit: int) -> list[str]:
        return await interview_ids_in_log(store, prefix, limit)

    return IdSource("the event log", lookup, LIST_LOG_INTERVIEWS)


async def interview_ids_in_log(store: EventStore, prefix: str, limit: int) -> list[str]:
    """The ids of the interviews whose stream (`Interview-{id}`) the log holds and whose id
    starts with `prefix`, sorted, at most `limit` (read page by page, stopping once found)."""
    from interview_graph.domain.events import interview_stream

    found: set[str] = set()
    position = 0
    while True:
        page = await store.read_all(position, None, interview_stream(prefix), _LOG_PAGE)
        found.update(event.aggregate_id for event in page)
        if len(found) >= limit or len(page) < _LOG_PAGE:
            return sorted(found)[:limit]
        position = page[-1].position or 0


async def resolve_interview_id(value: str, *sources: IdSource) -> str:
    """The one interview id starting with `value` in any of the sources; otherwise a message
    on stderr and typer.Exit: 1 when none has it, 2 when several interviews share it."""
    found: set[str] = set()
    for source in sources:
        found.update(await source.lookup(value, MAX_CANDIDATES + 1))
    if len(found) == 1:
        return found.pop()
    where = " or ".join(source.where for source in sources)
    if not found:
        listers = " and ".join(source.lister for source in sources)
        verb = "lists" if len(sources) == 1 else "list"
        _fail(f"{_nothing_found(value)} in {where}; {listers} {verb} them", EXIT_NOT_FOUND)
    candidates = sorted(found)
    count = (
        f"more than {MAX_CANDIDATES}" if len(candidates) > MAX_CANDIDATES else str(len(candidates))
    )
    more = ", ..." if len(candidates) > MAX_CANDIDATES else ""
    _fail(
        f"interview id {value!r} is ambiguous: {count} interviews in {where} start with it: "
        f"{', '.join(candidates[:MAX_CANDIDATES])}{more}; give more of the id",
        EXIT_USAGE,
    )


def _nothing_found(value: str) -> str:
    if len(value) == UUID_LENGTH:
        return f"no interview {value}"
    return f"no interview id starts with {value!r}"


def _fail(message: str, code: int) -> NoReturn:
    render.err_console.print(f"[red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)
