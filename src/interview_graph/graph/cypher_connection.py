"""One open connection to a graph, as the shared store code sees it: units of work that run
Cypher statements, whatever the backend's way of running them.

A backend supplies how it connects (`_open` / `_close`, `location`) and how it runs a unit of
work (`_in_unit`: one transaction on Neo4j, one GRAPH.QUERY per statement on FalkorDB), which
also turns its errors into GraphStoreError and a CREATE refused by a unique constraint into
NodeExistsError. Everything else is written once, on top (graph.cypher_store).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypeAlias, TypeVar

from interview_graph.graph.port import GraphStoreError, NodeExistsError
from interview_graph.graph.write_plans import RunQuery, Statement

T = TypeVar("T")
K = TypeVar("K")
Rows = list[list[Any]]
# What a unit of work does with the `run` it is given.
Work: TypeAlias = Callable[[RunQuery], Awaitable[T]]


class CypherConnection(ABC):
    """Runs units of work on one graph. Open it with `async with`."""

    @property
    @abstractmethod
    def location(self) -> str:
        """Which server and graph, for messages."""

    async def __aenter__(self) -> Self:
        await self._open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._close()

    @abstractmethod
    async def _open(self) -> None:
        """Connect (starting what the store owns); a GraphStoreError says what to do if not."""

    @abstractmethod
    async def _close(self) -> None:
        """Release what `_open` took; safe to call more than once."""

    @property
    @abstractmethod
    def _is_open(self) -> bool:
        """Between `__aenter__` and `__aexit__`."""

    @abstractmethod
    async def _in_unit(self, work: Work[T], write: bool, doing: str) -> T:
        """Run `work`, giving it a `run` for statements, as one unit (see the module).
        `doing` names the store, the operation and its interview: error messages begin
        with it."""

    # -- running statements ----------------------------------------------------------------
    async def _execute(
        self,
        work: Work[T],
        *,
        write: bool,
        operation: str,
        interview_id: str | None,
    ) -> T:
        if not self._is_open:
            raise GraphStoreError(f"{self.location}: {operation} before `async with` opened it")
        about = f" for interview {interview_id}" if interview_id else ""
        return await self._in_unit(work, write, f"{self.location}: {operation}{about}")

    async def _run(
        self,
        statements: Sequence[Statement],
        *,
        write: bool,
        operation: str,
        interview_id: str | None = None,
    ) -> list[Rows]:
        """Run statements in one unit of work; the rows of each statement."""

        async def work(run: RunQuery) -> list[Rows]:
            return [await run(query, params) for query, params in statements]

        return await self._execute(
            work, write=write, operation=operation, interview_id=interview_id
        )

    async def _run_one(
        self,
        query: str,
        params: Mapping[str, Any],
        *,
        write: bool,
        operation: str,
        interview_id: str | None = None,
    ) -> Rows:
        results = await self._run(
            [(query, params)], write=write, operation=operation, interview_id=interview_id
        )
        return results[0]

    async def _until_no_conflict(
        self,
        attempts: Sequence[K],
        work_for: Callable[[K], Work[T]],
        operation: str,
        interview_id: str | None = None,
    ) -> T:
        """Write the work of each attempt in turn until one meets no existing node; the last
        attempt's NodeExistsError is raised."""
        for number, attempt in enumerate(attempts, start=1):
            try:
                return await self._execute(
                    work_for(attempt), write=True, operation=operation, interview_id=interview_id
                )
            except NodeExistsError:
                if number == len(attempts):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _delete_in_chunks(
        self,
        query: str,
        params: Mapping[str, Any],
        chunk: int,
        operation: str,
        interview_id: str | None = None,
    ) -> None:
        """Run a delete that removes at most $chunk items and returns how many, until one
        removes fewer: each chunk is its own bounded write."""
        while True:
            deleted = await self._run_one(
                query,
                {**params, "chunk": chunk},
                write=True,
                operation=operation,
                interview_id=interview_id,
            )
            if int(deleted[0][0]) < chunk:
                return
