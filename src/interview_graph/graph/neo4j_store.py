"""GraphStore on Neo4j through the official async driver.

The statements of one batch run in one managed transaction (retried by the driver on transient
errors), so a batch is all-or-nothing and costs one commit, never one per sentence. A batch
is first written as all new (CREATE statements: no relationship MERGE, no stale deletes); if
a unique constraint refuses that, it is planned again from the ids the graph holds, and
existing rows take the idempotent MERGE statements (see `_write_batch`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
)

from interview_graph.domain.model import Interview, InterviewStatus
from interview_graph.graph import neo4j_cypher as cypher
from interview_graph.graph.batched_writes import PlannedBatchWrites
from interview_graph.graph.port import GraphStoreError, InterviewSummary, SentenceView
from interview_graph.graph.records import (
    BatchPlan,
    RunQuery,
    Statement,
    export_records,
    interview_from_row,
    interview_params,
    interview_summary,
    sentence_views,
)

DELETE_CHUNK = 5000

T = TypeVar("T")


class CreateConflict(GraphStoreError):
    """A CREATE met a node a concurrent writer had just created (unique constraint)."""


class Neo4jGraphStore(PlannedBatchWrites):
    """One database of a Neo4j server; connects in `__aenter__`."""

    _write_cypher = cypher

    backend = "neo4j"

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.uri = uri
        self.database = database
        self._auth = (user, password)
        self._driver: AsyncDriver | None = None

    @property
    def location(self) -> str:
        return f"Neo4j at {self.uri} (database {self.database!r})"

    async def __aenter__(self) -> Self:
        driver = AsyncGraphDatabase.driver(self.uri, auth=self._auth)
        try:
            await driver.verify_connectivity()
        except AuthError as exc:
            await driver.close()
            raise GraphStoreError(
                f"{self.location} refused the credentials of user {self._auth[0]!r}: {exc}. "
                "Set NEO4J_USER / NEO4J_PASSWORD."
            ) from exc
        except (ServiceUnavailable, DriverError, Neo4jError, OSError, ValueError) as exc:
            await driver.close()
            raise GraphStoreError(
                f"{self.location} unreachable: {exc}. Start it or set NEO4J_URI."
            ) from exc
        self._driver = driver
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._driver is not None:
            driver, self._driver = self._driver, None
            await driver.close()

    # -- plumbing --------------------------------------------------------------------------
    async def _transaction(
        self,
        work: Callable[[RunQuery], Awaitable[T]],
        *,
        write: bool,
        operation: str,
        interview_id: str | None = None,
    ) -> T:
        """Run `work` in one managed transaction (retried as a whole on transient errors)."""
        if self._driver is None:
            raise GraphStoreError(f"{self.location}: {operation} before `async with` opened it")

        async def in_transaction(tx: AsyncManagedTransaction) -> T:
            async def run(query: str, params: Mapping[str, Any]) -> list[list[Any]]:
                result = await tx.run(query, dict(params))
                return [list(row) for row in await result.values()]

            return await work(run)

        about = f" for interview {interview_id}" if interview_id else ""
        try:
            async with self._driver.session(database=self.database) as session:
                if write:
                    return await session.execute_write(in_transaction)
                return await session.execute_read(in_transaction)
        except ServiceUnavailable as exc:
            raise GraphStoreError(
                f"{self.location}: {operation}{about} failed, server unreachable: {exc}. "
                "Start it or set NEO4J_URI."
            ) from exc
        except ConstraintError as exc:
            raise CreateConflict(f"{self.location}: {operation}{about} failed: {exc}") from exc
        except (Neo4jError, DriverError) as exc:
            raise GraphStoreError(f"{self.location}: {operation}{about} failed: {exc}") from exc

    async def _statements(
        self,
        statements: Sequence[Statement],
        *,
        write: bool,
        operation: str,
        interview_id: str | None = None,
    ) -> list[list[list[Any]]]:
        """Run statements in one transaction; the rows of each statement."""

        async def work(run: RunQuery) -> list[list[list[Any]]]:
            return [await run(query, params) for query, params in statements]

        return await self._transaction(
            work, write=write, operation=operation, interview_id=interview_id
        )

    async def _write(
        self, query: str, params: Mapping[str, Any], operation: str, interview_id: str | None
    ) -> list[list[Any]]:
        results = await self._statements(
            [(query, params)], write=True, operation=operation, interview_id=interview_id
        )
        return results[0]

    async def _read(
        self, query: str, params: Mapping[str, Any], operation: str = "export"
    ) -> list[list[Any]]:
        interview_id = params.get("interview_id")
        results = await self._statements(
            [(query, params)], write=False, operation=operation, interview_id=interview_id
        )
        return results[0]

    async def _write_batch(
        self,
        label: str,
        ids: list[str],
        plan_for: Callable[[set[str]], BatchPlan],
        operation: str,
        interview_id: str,
    ) -> tuple[int, int]:
        """Run a batch's plan in one transaction; (rows written, stale relationships deleted).

        Optimistic: the batch is first planned as all new (a new file, the common case) with
        no existence check. If a node exists after all (re-processing, or a crashed earlier
        run), the unique constraint refuses the CREATE, the transaction rolls back, and the
        batch is planned again from the ids the graph holds. Should a concurrent writer create
        the same nodes in between, the batch is finally written on the MERGE path.
        """

        def work(known: set[str] | None) -> Callable[[RunQuery], Awaitable[tuple[int, int]]]:
            async def in_transaction(run: RunQuery) -> tuple[int, int]:
                existing = known
                if existing is None:
                    found = await run(cypher.EXISTING_IDS[label], {"ids": ids})
                    existing = {str(row[0]) for row in found}
                plan = plan_for(existing)
                results = [await run(query, params) for query, params in plan.statements]
                return plan.total(results, plan.counted), plan.total(results, plan.stale)

            return in_transaction

        # All new; then as the graph says; then all existing (a concurrent writer won).
        attempts: tuple[set[str] | None, ...] = (set(), None, set(ids))
        for attempt, known in enumerate(attempts, start=1):
            try:
                return await self._transaction(
                    work(known), write=True, operation=operation, interview_id=interview_id
                )
            except CreateConflict:
                if attempt == len(attempts):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- schema ----------------------------------------------------------------------------
    async def ensure_schema(self) -> None:
        for statement in cypher.SCHEMA:
            await self._write(statement, {}, "ensure_schema", None)

    # -- writes ----------------------------------------------------------------------------
    async def write_interview(self, interview: Interview) -> None:
        await self._write(
            cypher.WRITE_INTERVIEW,
            interview_params(interview),
            "write_interview",
            interview.interview_id,
        )

    async def finish_interview(
        self, interview_id: str, sentence_count: int, status: InterviewStatus
    ) -> None:
        await self._delete_from(interview_id, sentence_count, "finish_interview")
        await self._prune_orphans(interview_id)
        found = await self._write(
            cypher.SET_STATUS,
            {"interview_id": interview_id, "status": str(status)},
            "finish_interview",
            interview_id,
        )
        if int(found[0][0]) == 0:
            raise GraphStoreError(
                f"{self.location}: finish_interview: interview {interview_id} is not in the graph"
            )

    async def delete_interview(self, interview_id: str) -> None:
        await self._delete_from(interview_id, 0, "delete_interview")
        await self._write(
            cypher.DELETE_INTERVIEW_NODE,
            {"interview_id": interview_id},
            "delete_interview",
            interview_id,
        )
        await self._prune_orphans(interview_id)

    async def _delete_from(self, interview_id: str, from_order: int, operation: str) -> None:
        """Delete analyses, then sentences, at or after from_order, in bounded transactions."""
        params = {"interview_id": interview_id, "from_order": from_order, "chunk": DELETE_CHUNK}
        for query in (cypher.DELETE_ANALYSES_FROM, cypher.DELETE_SENTENCES_FROM):
            while True:
                deleted = await self._write(query, params, operation, interview_id)
                if int(deleted[0][0]) < DELETE_CHUNK:
                    break

    async def _prune_orphans(self, interview_id: str | None) -> None:
        await self._statements(
            [(query, {}) for query in cypher.PRUNE_ORPHANS],
            write=True,
            operation="prune orphans",
            interview_id=interview_id,
        )

    # -- reads -----------------------------------------------------------------------------
    async def existing_ids(self, label: str, ids: Sequence[str]) -> set[str]:
        if label not in cypher.EXISTING_IDS:
            raise ValueError(f"existing_ids: unknown label {label!r}")
        if not ids:
            return set()
        rows = await self._read(
            cypher.EXISTING_IDS[label], {"ids": list(ids)}, f"existing_ids {label}"
        )
        return {str(row[0]) for row in rows}

    async def list_interviews(self) -> list[InterviewSummary]:
        rows = await self._read(cypher.LIST_INTERVIEWS, {}, "list_interviews")
        summaries = [interview_summary(row) for row in rows]
        # Sorted here, not in Cypher, so unicode names order the same on every backend.
        return sorted(summaries, key=lambda s: (s.project_name, s.title, s.interview_id))

    async def get_interview(self, interview_id: str) -> Interview | None:
        rows = await self._read(
            cypher.GET_INTERVIEW, {"interview_id": interview_id}, "get_interview"
        )
        return interview_from_row(rows[0][0], str(rows[0][1])) if rows else None

    async def get_sentences(self, interview_id: str) -> list[SentenceView]:
        params = {"interview_id": interview_id}
        sentence_rows, analysis_rows, dimension_rows = await self._statements(
            [
                (cypher.GET_SENTENCES, params),
                (cypher.GET_ANALYSES, params),
                (cypher.GET_ANALYSIS_DIMENSIONS, params),
            ],
            write=False,
            operation="get_sentences",
            interview_id=interview_id,
        )
        # Each read is one record whose only value is the list of rows (see the Cypher).
        return sentence_views(sentence_rows[0][0], analysis_rows[0][0], dimension_rows[0][0])

    async def stats(self) -> dict[str, int]:
        names = [*cypher.COUNT_NODES, *cypher.COUNT_RELS]
        queries = [*cypher.COUNT_NODES.values(), *cypher.COUNT_RELS.values()]
        results = await self._statements([(q, {}) for q in queries], write=False, operation="stats")
        return {name: int(rows[0][0]) for name, rows in zip(names, results, strict=True)}

    def export(self, interview_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        return export_records(self._read, cypher.EXPORT_NODES, cypher.EXPORT_RELS, interview_id)
