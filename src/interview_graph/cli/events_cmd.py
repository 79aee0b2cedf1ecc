"""`interview-graph events list|stats|tail`: look into the event log.

`make_events_app` builds the commands over any source of an event store (a callable returning
it, opened or not, or a coroutine giving it), so they run as well on a store a test made;
`events_app` is them over the configured store.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import sys
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.table import Table

from interview_graph import bootstrap
from interview_graph.cli.context import load_settings
from interview_graph.cli.interview_ids import (
    in_event_log,
    interview_id_value,
    resolve_interview_id,
)
from interview_graph.cli.render import (
    console,
    err_console,
    event_line,
    events_table,
    print_json,
)
from interview_graph.domain.events import DomainEvent
from interview_graph.events.log_reads import EventFilter, read_events, scan
from interview_graph.events.port import EventStore, EventStoreError

EventStoreSource = Callable[[], EventStore | Awaitable[EventStore]]
_T = TypeVar("_T")


def make_events_app(open_store: EventStoreSource) -> typer.Typer:
    app = typer.Typer(
        name="events", help="The event log: every fact the pipeline recorded, in order."
    )

    @app.command("list")
    def list_events(
        interview: Annotated[
            str | None,
            typer.Option(
                help="Only this interview: its own stream and its sentences' streams. Its id "
                "or its first characters, looked up among the log's interview streams (the "
                "log may hold interviews the graph does not).",
                callback=interview_id_value,
            ),
        ] = None,
        event_type: Annotated[
            list[str] | None, typer.Option("--type", help="Only these event types (repeatable).")
        ] = None,
        limit: Annotated[int | None, typer.Option(min=1, help="At most this many events.")] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the events as a JSON list.")
        ] = False,
    ) -> None:
        """Events in commit order (all, or one interview's)."""
        interview, events = _run(_list(open_store, interview, event_type or None, limit))
        if json_output:
            print_json([e.model_dump(mode="json") for e in events])
        elif not events:
            err_console.print("no events" + (f" for interview {interview}" if interview else ""))
        else:
            console.print(events_table(events))

    @app.command("stats")
    def stats(
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the counts as a JSON object.")
        ] = False,
    ) -> None:
        """Counts by event type, number of streams, last position."""
        report = _run(_stats(open_store))
        if json_output:
            print_json(report)
            return
        table = Table("event type", "count")
        for name, count in report["by_type"].items():
            table.add_row(name, str(count))
        console.print(table)
        console.print(
            f"{report['total']} events in {report['streams']} streams, "
            f"last position {report['last_position']} ({report['backend']})"
        )

    @app.command("tail")
    def tail(
        from_start: Annotated[
            bool, typer.Option("--from-start", help="Replay the whole log first.")
        ] = False,
        event_type: Annotated[list[str] | None, typer.Option("--type")] = None,
        limit: Annotated[
            int | None, typer.Option(min=1, help="Stop after this many events.")
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="One JSON object per event and line.")
        ] = False,
    ) -> None:
        """Follow new events as they are committed (Ctrl-C stops)."""
        try:
            _run(_tail(open_store, from_start, event_type or None, limit, json_output))
        except KeyboardInterrupt:
            raise typer.Exit(0) from None

    return app


async def _open_configured_store() -> EventStore:
    settings = load_settings()
    bootstrap.ensure_data_dir(settings)
    return await bootstrap.open_event_store(settings)


events_app = make_events_app(_open_configured_store)


# ---------------------------------------------------------------- async bodies


@asynccontextmanager
async def _opened(open_store: EventStoreSource) -> AsyncIterator[EventStore]:
    opened = open_store()
    store = await opened if inspect.isawaitable(opened) else opened
    try:
        await store.open()
        yield store
    finally:
        await store.close()


async def _list(
    open_store: EventStoreSource, interview: str | None, types: list[str] | None, limit: int | None
) -> tuple[str | None, list[DomainEvent]]:
    """The interview's full id (when one was asked for) and the events."""
    async with _opened(open_store) as store:
        if interview is None:
            return None, await store.read_all(0, types, None, limit)
        interview = await resolve_interview_id(interview, in_event_log(store))
        wanted = EventFilter(event_types=tuple(types or ()), interview_id=interview)
        return interview, (await read_events(store, wanted, limit=limit)).events


async def _stats(open_store: EventStoreSource) -> dict[str, Any]:
    async with _opened(open_store) as store:
        by_type: Counter[str] = Counter()
        streams: set[str] = set()
        async for event in scan(store):
            by_type[event.event_type] += 1
            streams.add(event.stream)
        return {
            "backend": store.backend,
            "total": sum(by_type.values()),
            "streams": len(streams),
            "by_type": dict(sorted(by_type.items())),
            "last_position": await store.last_position(),
        }


async def _tail(
    open_store: EventStoreSource,
    from_start: bool,
    types: list[str] | None,
    limit: int | None,
    json_output: bool,
) -> None:
    async with _opened(open_store) as store:
        start = 0 if from_start else await store.last_position()
        if not json_output:
            err_console.print(f"following {store.backend} event log after position {start}")
        seen = 0
        async for event in store.subscribe(start, types):
            if json_output:
                sys.stdout.write(json.dumps(event.model_dump(mode="json"), ensure_ascii=False))
                sys.stdout.write("\n")
                sys.stdout.flush()
            else:
                console.print(event_line(event))
            seen += 1
            if limit is not None and seen >= limit:
                return


# ---------------------------------------------------------------- output helpers


def _run(coro: Coroutine[Any, Any, _T]) -> _T:
    try:
        return asyncio.run(coro)
    except EventStoreError as exc:
        _fail(str(exc))


def _fail(message: str) -> NoReturn:
    err_console.print(f"[red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)
