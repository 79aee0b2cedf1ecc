"""PostgresEventStore: psycopg 3 (async) with a psycopg_pool.AsyncConnectionPool.

* One table `events` in a chosen schema (default `public`), created idempotently under an
  advisory lock so several processes can start at once.
* Gap-safe global order: every append takes `LOCK TABLE events IN EXCLUSIVE MODE` (as the
  eventsourcing library's PostgreSQL recorder does). Writers are serialised, so positions
  (an identity column) become visible in commit order and a subscriber reading
  `position > last` never skips an event committed later with a lower position. Readers are
  not blocked by the lock.
* A whole append_batch is one transaction of five statements (lock, find ids, stream
  versions, one INSERT ... SELECT FROM unnest, NOTIFY), however many streams. The arrays go
  in binary (`%b`): as text, psycopg would escape every quote of every JSON document in
  Python, the dearest part of an append by far.
* Subscriptions poll (default every 100 ms); PostgreSQL's NOTIFY is also sent on each commit
  (channel `<schema>_events`) for consumers that prefer LISTEN.
* Connecting is bounded by `connect_timeout_s`; an unreachable server raises
  EventStoreUnavailableError with the password redacted from the address.
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg import sql
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from interview_graph.domain.events import DomainEvent
from interview_graph.events import codec
from interview_graph.events.append_rules import (
    plan_append_batch,
    prepare_requests,
)
from interview_graph.events.polling import poll_subscription
from interview_graph.events.port import (
    ANY,
    AppendRequest,
    EventStoreClosedError,
    EventStoreError,
    EventStoreUnavailableError,
    Expected,
    StorableEvent,
)
from interview_graph.settings import redact_url

_SCHEMA_LOCK_KEY = 0x1E5E7E  # advisory lock id for concurrent CREATE ... IF NOT EXISTS

_DDL = (
    "CREATE SCHEMA IF NOT EXISTS {schema}",
    """
    CREATE TABLE IF NOT EXISTS {table} (
        position BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        event_id TEXT NOT NULL UNIQUE,
        stream TEXT NOT NULL,
        version INTEGER NOT NULL,
        event_type TEXT NOT NULL,
        correlation_id TEXT NOT NULL,
        recorded_at TIMESTAMPTZ NOT NULL DEFAULT now(),
        metadata TEXT NOT NULL,
        data TEXT NOT NULL,
        UNIQUE (stream, version)
    )
    """,
    "CREATE INDEX IF NOT EXISTS events_by_type ON {table} (event_type, position)",
    "CREATE INDEX IF NOT EXISTS events_by_correlation ON {table} (correlation_id)",
)

_INSERT = """
    INSERT INTO {table} (event_id, stream, version, event_type, correlation_id, metadata, data)
    SELECT a, b, c, d, e, f, g FROM unnest(
        %b::text[], %b::text[], %b::int[], %b::text[], %b::text[], %b::text[], %b::text[]
    ) WITH ORDINALITY AS r(a, b, c, d, e, f, g, n)
    ORDER BY n
    RETURNING event_id, position
"""
_READ_ALL = """
    SELECT metadata, data, version, position FROM {table}
    WHERE position > %s
      AND (%s::text IS NULL OR starts_with(stream, %s::text))
      AND (%s::text[] IS NULL OR event_type = ANY(%s::text[]))
    ORDER BY position LIMIT %s
"""


class PostgresEventStore:
    backend = "postgresql"

    def __init__(
        self,
        url: str,
        *,
        schema: str = "public",
        pool_max_size: int = 4,
        connect_timeout_s: float = 5.0,
        poll_interval_s: float = 0.1,
    ) -> None:
        self.url = url
        self.schema = schema
        self._table = sql.Identifier(schema, "events")
        self._channel = f"{schema}_events"
        self._connect_timeout_s = connect_timeout_s
        self._poll_interval_s = poll_interval_s
        self._pool = AsyncConnectionPool(
            url,
            min_size=1,
            max_size=pool_max_size,
            open=False,
            timeout=connect_timeout_s,
            reconnect_timeout=connect_timeout_s * 6,
            check=AsyncConnectionPool.check_connection,
            kwargs={"autocommit": True, "connect_timeout": max(1, math.ceil(connect_timeout_s))},
            name="event-store",
        )
        self._opened = False
        self._closed = False

    def __repr__(self) -> str:
        return f"PostgresEventStore({redact_url(self.url)!r}, schema={self.schema!r})"

    async def open(self) -> Self:
        if self._closed:
            raise self._closed_error()
        if self._opened:
            return self
        try:
            await self._pool.open(wait=True, timeout=self._connect_timeout_s)
        except PoolTimeout as exc:
            await self._pool.close()
            self._closed = True
            raise self._unavailable(exc) from None
        self._opened = True
        await self._ensure_schema()
        return self

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if not self._closed:
            self._closed = True
            await self._pool.close()

    # ------------------------------------------------------------ port

    async def append(
        self, stream: str, events: Sequence[StorableEvent], expected: Expected = ANY
    ) -> int:
        (position,) = await self.append_batch([AppendRequest(stream, events, expected)])
        return position

    async def append_batch(self, requests: Sequence[AppendRequest]) -> list[int]:
        prepared = prepare_requests(requests)
        if not prepared:
            return []
        encoded = {e.event_id: codec.encode(e) for r in prepared for e in r.events}
        async with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute(self._q("LOCK TABLE {table} IN EXCLUSIVE MODE"))
            await cur.execute(
                self._q("SELECT event_id, stream, position FROM {table} WHERE event_id = ANY(%b)"),
                (list(encoded),),
            )
            found = {event_id: (stream, pos) for event_id, stream, pos in await cur.fetchall()}
            await cur.execute(
                # One index probe per stream on (stream, version), whatever the table's stats.
                self._q(
                    "SELECT s, (SELECT max(version) FROM {table} WHERE stream = s) "
                    "FROM unnest(%b::text[]) AS s"
                ),
                (sorted({r.stream for r in prepared}),),
            )
            versions = {s: v for s, v in await cur.fetchall() if v is not None}
            plan = plan_append_batch(prepared, found, versions)
            new_positions: dict[str, int] = {}
            if plan.rows:
                columns: list[list[Any]] = [[] for _ in range(7)]
                for row in plan.rows:
                    metadata, data = encoded[row.event.event_id]
                    values = (
                        row.event.event_id,
                        row.stream,
                        row.version,
                        row.event.event_type,
                        row.event.correlation_id,
                        metadata,
                        data,
                    )
                    for column, value in zip(columns, values, strict=True):
                        column.append(value)
                await cur.execute(self._q(_INSERT), columns)
                new_positions = dict(await cur.fetchall())
                await cur.execute(
                    "SELECT pg_notify(%s, %s)", (self._channel, str(max(new_positions.values())))
                )
        return [
            plan.noop_positions[i]
            if i in plan.noop_positions
            else new_positions[plan.last_event_ids[i]]
            for i in range(len(prepared))
        ]

    async def read_stream(self, stream: str, from_version: int = 0) -> list[DomainEvent]:
        rows = await self._fetch(
            "SELECT metadata, data, version, position FROM {table} "
            "WHERE stream = %s AND version >= %s ORDER BY version",
            (stream, from_version),
        )
        return [codec.decode(m, d, version=v, position=p) for m, d, v, p in rows]

    async def current_version(self, stream: str) -> int | None:
        rows = await self._fetch("SELECT max(version) FROM {table} WHERE stream = %s", (stream,))
        value = rows[0][0]
        return None if value is None else int(value)

    async def read_all(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
        limit: int | None = None,
    ) -> list[DomainEvent]:
        types = None if event_types is None else list(event_types)
        params = (from_position, stream_prefix, stream_prefix, types, types, limit)
        rows = await self._fetch(_READ_ALL, params)
        return [codec.decode(m, d, version=v, position=p) for m, d, v, p in rows]

    async def last_position(self) -> int:
        rows = await self._fetch("SELECT coalesce(max(position), 0) FROM {table}", ())
        return int(rows[0][0])

    def subscribe(
        self,
        from_position: int = 0,
        event_types: Sequence[str] | None = None,
        stream_prefix: str | None = None,
    ) -> AsyncIterator[DomainEvent]:
        return poll_subscription(
            self.read_all, from_position, event_types, stream_prefix, self._poll_interval_s
        )

    # ------------------------------------------------------------ helpers

    def _q(self, template: str) -> sql.Composed:
        return sql.SQL(template).format(table=self._table, schema=sql.Identifier(self.schema))

    def _connection(self) -> Any:
        if self._closed:
            raise self._closed_error()
        if not self._opened:
            raise EventStoreError(f"{self!r} is not open; use `async with` or `await open()`")
        return _GuardedConnection(self)

    async def _fetch(self, template: str, params: Sequence[Any]) -> list[Any]:
        async with self._connection() as conn, conn.cursor() as cur:
            await cur.execute(self._q(template), params)
            return list(await cur.fetchall())

    async def _ensure_schema(self) -> None:
        async with self._connection() as conn, conn.transaction(), conn.cursor() as cur:
            await cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK_KEY,))
            for statement in _DDL:
                await cur.execute(self._q(statement))

    def _closed_error(self) -> EventStoreClosedError:
        return EventStoreClosedError(f"{self!r} is closed; open a new one")

    def _unavailable(self, exc: BaseException) -> EventStoreUnavailableError:
        return EventStoreUnavailableError(
            f"PostgreSQL event store at {redact_url(self.url)} is not reachable within "
            f"{self._connect_timeout_s}s ({type(exc).__name__}: {exc}); check that the server "
            "runs and EVENT_STORE_URL is right"
        )


class _GuardedConnection:
    """A pool connection whose connection failures surface as EventStoreUnavailableError."""

    def __init__(self, store: PostgresEventStore) -> None:
        self._store = store
        self._context: Any = None

    async def __aenter__(self) -> psycopg.AsyncConnection[Any]:
        self._context = self._store._pool.connection()
        try:
            conn: psycopg.AsyncConnection[Any] = await self._context.__aenter__()
        except PoolTimeout as exc:
            raise self._store._unavailable(exc) from None
        return conn

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._context.__aexit__(exc_type, exc, tb)
        if isinstance(exc, psycopg.OperationalError):
            raise self._store._unavailable(exc) from exc
