"""Graph stores that can take projected batches: the adapters plus three projection methods.

`apply_projection_batch` writes interviews, sentences (HAS_SENTENCE, PART_OF_FILE to the
interview's file, FOLLOWS), analyses and the last status of each interview, plus the
`ProjectionCheckpoint {name, position}` node, all or nothing: on FalkorDB as one GRAPH.QUERY
(which the server runs atomically and logs to its AOF as one command), on Neo4j in one
transaction. The statements are the pipeline's, so the graph is the same; those of the
projection itself are in each backend's Cypher module (the checkpoint label is not in
records.NODE_KEYS, so `export` and `stats` never show it). On Neo4j the batch runs the
pipeline's own write plans (records.sentence_plan / analysis_plan): rows whose nodes are new
(a rebuild) are CREATEd with their relationships and each distinct dimension value is MERGEd
once per batch, not once per row.

Before writing, a batch's sentences must find their interview (and analyses their sentence)
in the batch or in the graph; otherwise the batch is refused and the checkpoint stays, rather
than moving past facts that could not be written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from neo4j import AsyncManagedTransaction
from neo4j.exceptions import ConstraintError, DriverError, Neo4jError, ServiceUnavailable

from interview_graph.graph import falkordb_cypher, neo4j_cypher
from interview_graph.graph.falkordb_store import FalkorDBGraphStore
from interview_graph.graph.neo4j_store import Neo4jGraphStore
from interview_graph.graph.port import GraphStoreError
from interview_graph.graph.records import (
    BatchPlan,
    Statement,
    analysis_plan,
    analysis_write_row,
    follows_links,
    interview_params,
    sentence_plan,
    sentence_row,
)
from interview_graph.projection.projector import (
    PreparedBatch,
    ProjectionBatch,
    ProjectionCheckpoint,
)

WIPE_CHUNK = 10_000


def projection_params(batch: ProjectionBatch, checkpoint: ProjectionCheckpoint) -> dict[str, Any]:
    """The batch as rows: the pipeline's row builders, so the graph gets the same values."""
    sentence_rows = [sentence_row(s) for s in batch.sentences]
    pairs, heads, tails = follows_links(sentence_rows)
    return {
        "interviews": [interview_params(i) for i in batch.interviews],
        "sentences": sentence_rows,
        "pairs": pairs,
        "heads": heads,
        "tails": tails,
        "analyses": [analysis_write_row(a) for a in batch.analyses],
        "statuses": [{"interview_id": k, "status": str(v)} for k, v in batch.statuses.items()],
        "name": checkpoint.name,
        "position": checkpoint.position,
    }


def parents_to_check(params: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(interview ids, sentence ids) the batch refers to without writing them itself."""
    in_batch = {row["interview_id"] for row in params["interviews"]}
    interviews = sorted({row["interview_id"] for row in params["sentences"]} - in_batch)
    sentences_in_batch = {row["sentence_id"] for row in params["sentences"]}
    sentences = sorted({row["sentence_id"] for row in params["analyses"]} - sentences_in_batch)
    return interviews, sentences


def refuse_missing(
    location: str,
    checkpoint: ProjectionCheckpoint,
    missing_interviews: Sequence[str],
    missing_sentences: Sequence[str],
) -> None:
    if not missing_interviews and not missing_sentences:
        return
    raise GraphStoreError(
        f"{location}: projection {checkpoint.name!r} batch up to position "
        f"{checkpoint.position} refers to interviews {list(missing_interviews)[:5]} and "
        f"sentences {list(missing_sentences)[:5]} that are neither in the batch nor in the "
        "graph (their InterviewCreated/SentenceCreated events are missing or later in the "
        "log); nothing was written. Run `interview-graph verify` on the source."
    )


class ProjectedNodeExists(GraphStoreError):
    """A CREATE met a node that exists (unique constraint): the batch is planned again."""


def _checkpoint_position(rows: list[list[Any]]) -> int | None:
    if not rows:
        return None
    position = rows[0][0].get("position")
    return None if position is None else int(position)


def neo4j_plans(
    params: Mapping[str, Any],
    filenames: Mapping[str, str],
    existing_sentences: set[str],
    existing_analyses: set[str],
) -> list[tuple[BatchPlan, int]]:
    """The pipeline's write plans for a batch, each with the rows it must write: one sentence
    plan per interview (a plan writes one file's sentences), then one analysis plan.
    `filenames`: interview id -> file, for the interviews of the batch's sentences."""
    by_interview: dict[str, list[dict[str, Any]]] = {}
    for row in params["sentences"]:
        by_interview.setdefault(row["interview_id"], []).append(row)
    plans = [
        (sentence_plan(neo4j_cypher, rows, filenames[interview_id], existing_sentences), len(rows))
        for interview_id, rows in by_interview.items()
    ]
    if params["analyses"]:
        analyses = params["analyses"]
        plans.append((analysis_plan(neo4j_cypher, analyses, existing_analyses), len(analyses)))
    return plans


class _PreparedBatches:
    """prepare (rows only, no I/O) and apply, the same for both backends."""

    def prepare_projection_batch(
        self, batch: ProjectionBatch, checkpoint: ProjectionCheckpoint
    ) -> PreparedBatch:
        return PreparedBatch(checkpoint, projection_params(batch, checkpoint))

    async def write_projection_batch(self, batch: PreparedBatch) -> None:
        raise NotImplementedError

    async def apply_projection_batch(
        self, batch: ProjectionBatch, checkpoint: ProjectionCheckpoint
    ) -> None:
        await self.write_projection_batch(self.prepare_projection_batch(batch, checkpoint))


class FalkorDBProjectionTarget(_PreparedBatches, FalkorDBGraphStore):
    """The FalkorDB adapter, able to take projected batches."""

    async def write_projection_batch(self, batch: PreparedBatch) -> None:
        params, checkpoint = batch.params, batch.checkpoint
        interview_ids, sentence_ids = parents_to_check(params)
        found_interviews = await self.existing_ids("Interview", interview_ids)
        found_sentences = await self.existing_ids("Sentence", sentence_ids)
        refuse_missing(
            self.location,
            checkpoint,
            [i for i in interview_ids if i not in found_interviews],
            [s for s in sentence_ids if s not in found_sentences],
        )
        await self._run(falkordb_cypher.PROJECT_BATCH, params, operation="apply_projection_batch")

    async def read_checkpoint(self, name: str) -> int | None:
        rows = await self._run(
            falkordb_cypher.READ_CHECKPOINT, {"name": name}, operation="read_checkpoint"
        )
        return _checkpoint_position(rows)

    async def wipe(self) -> None:
        while True:
            rows = await self._run(falkordb_cypher.WIPE, {"chunk": WIPE_CHUNK}, operation="wipe")
            if int(rows[0][0]) < WIPE_CHUNK:
                return


class Neo4jProjectionTarget(_PreparedBatches, Neo4jGraphStore):
    """The Neo4j adapter, able to take projected batches."""

    async def ensure_schema(self) -> None:
        await super().ensure_schema()

        async def work(tx: AsyncManagedTransaction) -> None:
            await (await tx.run(neo4j_cypher.CHECKPOINT_CONSTRAINT)).consume()

        await self._in_transaction(work, "ensure_schema", write=True)

    async def write_projection_batch(self, batch: PreparedBatch) -> None:
        """One transaction: look up the parents, then run the write plans.

        Optimistic, like the pipeline's Neo4j writes: the batch is first planned as all new
        (a rebuild, the common case) without asking which ids exist. Should a node exist
        after all, its unique constraint refuses the CREATE, the transaction is undone, and
        the batch is planned again from the ids the graph holds (MERGE for those).
        """
        params, checkpoint = batch.params, batch.checkpoint
        interview_ids, sentence_ids = parents_to_check(params)
        batch_files = {row["interview_id"]: row["filename"] for row in params["interviews"]}
        batch_ids = {
            "Sentence": [row["sentence_id"] for row in params["sentences"]],
            "Analysis": [row["analysis_id"] for row in params["analyses"]],
        }

        async def rows_of(tx: AsyncManagedTransaction, query: str, ids: list[str]) -> list[Any]:
            if not ids:
                return []
            return list(await (await tx.run(query, {"ids": ids})).values())

        def work(all_new: bool) -> Any:
            async def in_transaction(tx: AsyncManagedTransaction) -> None:
                found = await rows_of(tx, neo4j_cypher.INTERVIEW_FILENAMES, interview_ids)
                filenames = {**{str(i): str(f) for i, f in found}, **batch_files}
                known = await rows_of(tx, neo4j_cypher.EXISTING_IDS["Sentence"], sentence_ids)
                found_sentences = {str(row[0]) for row in known}
                refuse_missing(
                    self.location,
                    checkpoint,
                    [i for i in interview_ids if i not in filenames],
                    [s for s in sentence_ids if s not in found_sentences],
                )
                existing: dict[str, set[str]] = {label: set() for label in batch_ids}
                if not all_new:
                    for label, ids in batch_ids.items():
                        query = neo4j_cypher.EXISTING_IDS[label]
                        existing[label] = {str(row[0]) for row in await rows_of(tx, query, ids)}
                await self._run_projection(tx, params, filenames, existing, checkpoint)

            return in_transaction

        try:
            await self._in_transaction(work(True), "apply_projection_batch", write=True)
        except ProjectedNodeExists:
            await self._in_transaction(work(False), "apply_projection_batch", write=True)

    async def _run_projection(
        self,
        tx: AsyncManagedTransaction,
        params: Mapping[str, Any],
        filenames: Mapping[str, str],
        existing: Mapping[str, set[str]],
        checkpoint: ProjectionCheckpoint,
    ) -> None:
        async def run(statement: Statement) -> list[list[Any]]:
            query, values = statement
            return [list(row) for row in await (await tx.run(query, dict(values))).values()]

        if params["interviews"]:
            await run((neo4j_cypher.PROJECT_INTERVIEWS, {"interviews": params["interviews"]}))
        plans = neo4j_plans(params, filenames, existing["Sentence"], existing["Analysis"])
        stale = 0
        for plan, rows in plans:
            results = [await run(statement) for statement in plan.statements]
            stale += plan.total(results, plan.stale)
            written = plan.total(results, plan.counted)
            if written != rows:  # parents were checked: a bug, so the transaction is undone
                raise GraphStoreError(
                    f"{self.location}: projection {checkpoint.name!r} batch up to position "
                    f"{checkpoint.position} wrote {written} of {rows} rows; nothing was kept"
                )
        if stale:
            for query in neo4j_cypher.PRUNE_ORPHANS:
                await run((query, {}))
        if params["statuses"]:
            await run((neo4j_cypher.PROJECT_STATUSES, {"statuses": params["statuses"]}))
        await run(
            (
                neo4j_cypher.SAVE_CHECKPOINT,
                {"name": checkpoint.name, "position": checkpoint.position},
            )
        )

    async def read_checkpoint(self, name: str) -> int | None:
        async def work(tx: AsyncManagedTransaction) -> list[list[Any]]:
            result = await tx.run(neo4j_cypher.READ_CHECKPOINT, {"name": name})
            return [list(row) for row in await result.values()]

        rows: list[list[Any]] = await self._in_transaction(work, "read_checkpoint", write=False)
        return _checkpoint_position(rows)

    async def wipe(self) -> None:
        async def work(tx: AsyncManagedTransaction) -> int:
            result = await tx.run(neo4j_cypher.WIPE, {"chunk": WIPE_CHUNK})
            return int((await result.values())[0][0])

        while await self._in_transaction(work, "wipe", write=True) >= WIPE_CHUNK:
            pass

    async def _in_transaction(self, work: Any, operation: str, *, write: bool) -> Any:
        if self._driver is None:
            raise GraphStoreError(f"{self.location}: {operation} before `async with` opened it")
        try:
            async with self._driver.session(database=self.database) as session:
                if write:
                    return await session.execute_write(work)
                return await session.execute_read(work)
        except ServiceUnavailable as exc:
            raise GraphStoreError(
                f"{self.location}: {operation} failed, server unreachable: {exc}. "
                "Start it or set NEO4J_URI."
            ) from exc
        except ConstraintError as exc:
            raise ProjectedNodeExists(f"{self.location}: {operation} failed: {exc}") from exc
        except (Neo4jError, DriverError) as exc:
            raise GraphStoreError(f"{self.location}: {operation} failed: {exc}") from exc


ProjectionGraph = FalkorDBProjectionTarget | Neo4jProjectionTarget
