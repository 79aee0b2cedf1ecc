"""GraphStore and ProjectionTarget on Neo4j 5 through the official async driver.

Everything but running statements is shared (graph.cypher_store). A unit of work runs in one
managed transaction, retried by the driver on transient errors, so a batch is all-or-nothing
and costs one commit, never one per sentence. Unique constraints hold from the moment
ensure_schema returns, so new rows are written optimistically with CREATE and a refused
CREATE (ConstraintError) becomes NodeExistsError.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from neo4j import AsyncDriver, AsyncGraphDatabase, AsyncManagedTransaction
from neo4j.exceptions import (
    AuthError,
    ConstraintError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
)

from interview_graph.graph.cypher import CypherStatements
from interview_graph.graph.cypher.dialect import NEO4J
from interview_graph.graph.cypher_connection import Work
from interview_graph.graph.cypher_store import CypherGraphStore
from interview_graph.graph.port import GraphStoreError, NodeExistsError

T = TypeVar("T")


class Neo4jGraphStore(CypherGraphStore):
    """One database of a Neo4j server; connects in `__aenter__`."""

    backend = "neo4j"
    _cypher = CypherStatements(NEO4J)
    multi_statement_transactions = True
    unique_constraints_at_once = True

    def __init__(self, uri: str, user: str, password: str, database: str = "neo4j") -> None:
        self.uri = uri
        self.database = database
        self._auth = (user, password)
        self._driver: AsyncDriver | None = None

    @property
    def location(self) -> str:
        return f"Neo4j at {self.uri} (database {self.database!r})"

    async def _open(self) -> None:
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

    async def _close(self) -> None:
        if self._driver is not None:
            driver, self._driver = self._driver, None
            await driver.close()

    async def ensure_schema(self) -> None:
        """Each schema statement in its own transaction; IF NOT EXISTS makes them idempotent."""
        for statement in self._cypher.dialect.schema:
            await self._run_one(statement, {}, write=True, operation="ensure_schema")

    @property
    def _is_open(self) -> bool:
        return self._driver is not None

    def _index_refused(self, error: GraphStoreError) -> bool:
        """Lucene's query parser refused the query string of a full-text query."""
        cause = error.__cause__
        return isinstance(cause, Neo4jError) and "ParseException" in str(cause)

    async def _in_unit(self, work: Work[T], write: bool, doing: str) -> T:
        """Run `work` in one managed transaction (retried as a whole on transient errors)."""

        async def in_transaction(tx: AsyncManagedTransaction) -> T:
            async def run(query: str, params: Mapping[str, Any]) -> list[list[Any]]:
                result = await tx.run(query, dict(params))
                return [list(row) for row in await result.values()]

            return await work(run)

        assert self._driver is not None, "checked by _execute"
        try:
            async with self._driver.session(database=self.database) as session:
                if write:
                    return await session.execute_write(in_transaction)
                return await session.execute_read(in_transaction)
        except ServiceUnavailable as exc:
            raise GraphStoreError(
                f"{doing} failed, server unreachable: {exc}. Start it or set NEO4J_URI."
            ) from exc
        except ConstraintError as exc:
            raise NodeExistsError(f"{doing} failed: {exc}") from exc
        except (Neo4jError, DriverError) as exc:
            raise GraphStoreError(f"{doing} failed: {exc}") from exc
