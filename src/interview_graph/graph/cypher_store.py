"""The graph store both backends are: every GraphStore and ProjectionTarget operation, written
once over the shared Cypher (graph.cypher) and the units of work of graph.cypher_connection.

Besides those, a backend supplies its schema procedure, its statements (`_cypher`, from its
dialect) and two facts about its database:

* `multi_statement_transactions`: a unit of work runs in one transaction, all or nothing
  (Neo4j); otherwise only each statement is atomic (FalkorDB, where a projected batch is
  therefore written as one statement).
* `unique_constraints_at_once`: a unique constraint refuses a duplicate CREATE as soon as
  ensure_schema returns (Neo4j), so a batch can be written as all new without asking first;
  FalkorDB builds constraints in the background, so the graph is asked which rows exist.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from functools import partial
from typing import Any, ClassVar

from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.graph.cypher import CypherStatements
from interview_graph.graph.cypher.sentence_filter import facet_statements, filter_params
from interview_graph.graph.cypher_connection import CypherConnection, Rows, Work
from interview_graph.graph.export import export_records
from interview_graph.graph.port import (
    FACET_DIMENSIONS,
    FacetCount,
    Facets,
    GraphStoreError,
    InterviewSummary,
    ProjectSummary,
    SentenceFilter,
    SentencePlace,
    SentenceView,
)
from interview_graph.graph.projection_writes import (
    checkpoint_position,
    parents_to_check,
    projection_params,
    refuse_missing_parents,
    write_projected_rows,
)
from interview_graph.graph.read_rows import interview_from_row, interview_summary, sentence_views
from interview_graph.graph.search_reads import search_page
from interview_graph.graph.write_plans import BatchPlan, RunQuery, analysis_plan, sentence_plan
from interview_graph.graph.write_rows import analysis_write_row, interview_params, sentence_row
from interview_graph.projection.port import (
    PreparedBatch,
    ProjectionBatch,
    ProjectionCheckpoint,
)
from interview_graph.search.port import SearchPage, SearchQuery
from interview_graph.search.words import index_text

# Deletes and wipes run in bounded chunks, each its own write.
DELETE_CHUNK = 5000
WIPE_CHUNK = 10_000
# Sentences given their index text per write when an existing graph gains its full-text index.
INDEX_TEXT_CHUNK = 1000
# The LIMIT of an unpaged read: more rows than any interview holds, and within 32 bits
# (FalkorDB returns no row at all for a LIMIT of 2**62).
ALL_ROWS = 2**31 - 1


class CypherGraphStore(CypherConnection):
    """A GraphStore, ProjectionTarget and SentenceSearch over Cypher. Open it with
    `async with`."""

    backend: str  # "neo4j" | "falkordb"
    _cypher: ClassVar[CypherStatements]
    multi_statement_transactions: ClassVar[bool]
    unique_constraints_at_once: ClassVar[bool]

    @abstractmethod
    async def ensure_schema(self) -> None:
        """Create uniqueness constraints / indexes on every id and the sentences' full-text
        index; safe to call every run."""

    @property
    def _writes_index_text(self) -> bool:
        """Sentences are written with the text their full-text index reads."""
        return self._cypher.search.index.reads_index_text

    # -- writes ----------------------------------------------------------------------------
    async def write_interview(self, interview: Interview) -> None:
        await self._run_one(
            self._cypher.writes.write_interview,
            interview_params(interview),
            write=True,
            operation="write_interview",
            interview_id=interview.interview_id,
        )

    async def write_sentences(self, sentences: Sequence[Sentence], filename: str) -> None:
        if not sentences:
            return
        rows = [sentence_row(s, index_text=self._writes_index_text) for s in sentences]
        interview_id = sentences[0].interview_id
        cypher = self._cypher.writes
        written, _ = await self._write_batch(
            "Sentence",
            [row["sentence_id"] for row in rows],
            lambda existing: sentence_plan(cypher, rows, filename, existing),
            "write_sentences",
            interview_id,
        )
        if written != len(rows):
            raise GraphStoreError(
                f"{self.location}: write_sentences for interview {interview_id}: "
                f"{len(rows) - written} sentence(s) belong to an interview that is not "
                "in the graph; write_interview must come first."
            )

    async def write_analyses(self, analyses: Sequence[Analysis]) -> None:
        if not analyses:
            return
        rows = [analysis_write_row(a) for a in analyses]
        interview_id = analyses[0].interview_id
        cypher = self._cypher.writes
        written, stale = await self._write_batch(
            "Analysis",
            [row["analysis_id"] for row in rows],
            lambda existing: analysis_plan(cypher, rows, existing),
            "write_analyses",
            interview_id,
        )
        if written != len(rows):
            raise await self._missing_sentences(rows, interview_id)
        if stale > 0:
            await self._prune_orphans(interview_id)

    async def _write_batch(
        self,
        label: str,
        ids: list[str],
        plan_for: Callable[[set[str]], BatchPlan],
        operation: str,
        interview_id: str,
    ) -> tuple[int, int]:
        """Run a batch's plan for the ids that exist; (rows written, stale relationships
        deleted).

        With `unique_constraints_at_once` the batch is first planned as all new (a new file,
        the common case) with no existence check: if a node exists after all (re-processing,
        or a crashed earlier run), its constraint refuses the CREATE, the transaction rolls
        back, and the batch is planned again from the ids the graph holds. Otherwise the graph
        is asked first; where only each statement is atomic, a run that stopped between two
        statements left nodes that exist, so its retry takes the MERGE path for them and
        completes the batch. Should a concurrent writer create the same nodes in between, the
        batch is finally written on the MERGE path (all ids existing).
        """
        cypher = self._cypher.writes

        def work_for(known: set[str] | None) -> Work[tuple[int, int]]:
            async def work(run: RunQuery) -> tuple[int, int]:
                existing = known
                if existing is None:
                    found = await run(cypher.existing_ids[label], {"ids": ids})
                    existing = {str(row[0]) for row in found}
                plan = plan_for(existing)
                results = [await run(query, params) for query, params in plan.statements]
                return plan.total(results, plan.counted), plan.total(results, plan.stale)

            return work

        ask: set[str] | None = None  # as the graph says
        attempts = (set(), ask) if self.unique_constraints_at_once else (ask,)
        return await self._until_no_conflict(
            (*attempts, set(ids)), work_for, operation, interview_id
        )

    async def _missing_sentences(
        self, rows: Sequence[Mapping[str, Any]], interview_id: str
    ) -> GraphStoreError:
        """Which analyses lack their sentence: new analyses are written all or nothing, so
        the rows written do not tell."""
        sentence_ids = [str(row["sentence_id"]) for row in rows]
        found = await self.existing_ids("Sentence", sentence_ids)
        missing = [sid for sid in sentence_ids if sid not in found]
        return GraphStoreError(
            f"{self.location}: write_analyses for interview {interview_id}: "
            f"{len(missing)} analysis(es) refer to sentences that are not in the graph "
            f"(e.g. {sorted(set(missing))[:3]}); write_sentences must come first."
        )

    async def finish_interview(
        self, interview_id: str, sentence_count: int, status: InterviewStatus
    ) -> None:
        await self._delete_from(interview_id, sentence_count, "finish_interview")
        await self._prune_orphans(interview_id)
        found = await self._run_one(
            self._cypher.writes.set_status,
            {"interview_id": interview_id, "status": str(status)},
            write=True,
            operation="finish_interview",
            interview_id=interview_id,
        )
        if int(found[0][0]) == 0:
            raise GraphStoreError(
                f"{self.location}: finish_interview: interview {interview_id} is not in the graph"
            )

    async def delete_interview(self, interview_id: str) -> None:
        await self._delete_from(interview_id, 0, "delete_interview")
        await self._run_one(
            self._cypher.writes.delete_interview_node,
            {"interview_id": interview_id},
            write=True,
            operation="delete_interview",
            interview_id=interview_id,
        )
        await self._prune_orphans(interview_id)

    async def _delete_from(self, interview_id: str, from_order: int, operation: str) -> None:
        """Delete analyses, then sentences, at or after from_order."""
        params = {"interview_id": interview_id, "from_order": from_order}
        cypher = self._cypher.writes
        for query in (cypher.delete_analyses_from, cypher.delete_sentences_from):
            await self._delete_in_chunks(query, params, DELETE_CHUNK, operation, interview_id)

    async def _prune_orphans(self, interview_id: str | None) -> None:
        await self._run(
            [(query, {}) for query in self._cypher.writes.prune_orphans],
            write=True,
            operation="prune orphans",
            interview_id=interview_id,
        )

    # -- reads -----------------------------------------------------------------------------
    async def existing_ids(self, label: str, ids: Sequence[str]) -> set[str]:
        query = self._cypher.writes.existing_ids.get(label)
        if query is None:
            raise ValueError(f"existing_ids: unknown label {label!r}")
        if not ids:
            return set()
        rows = await self._run_one(
            query, {"ids": list(ids)}, write=False, operation=f"existing_ids {label}"
        )
        return {str(row[0]) for row in rows}

    async def list_projects(self) -> list[ProjectSummary]:
        rows = await self._run_one(
            self._cypher.reads.list_projects, {}, write=False, operation="list_projects"
        )
        projects = [ProjectSummary(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]
        return sorted(projects, key=lambda p: (p.name, p.project_id))

    async def list_interviews(self) -> list[InterviewSummary]:
        rows = await self._run_one(
            self._cypher.reads.list_interviews, {}, write=False, operation="list_interviews"
        )
        summaries = [interview_summary(row) for row in rows]
        # Sorted here, not in Cypher, so unicode names order the same on every backend.
        return sorted(summaries, key=lambda s: (s.project_name, s.title, s.interview_id))

    async def interview_summary(self, interview_id: str) -> InterviewSummary | None:
        rows = await self._run_one(
            self._cypher.reads.interview_summary,
            {"interview_id": interview_id},
            write=False,
            operation="interview_summary",
            interview_id=interview_id,
        )
        return interview_summary(rows[0]) if rows else None

    async def get_interview(self, interview_id: str) -> Interview | None:
        rows = await self._run_one(
            self._cypher.reads.get_interview,
            {"interview_id": interview_id},
            write=False,
            operation="get_interview",
            interview_id=interview_id,
        )
        return interview_from_row(rows[0][0], str(rows[0][1])) if rows else None

    async def interview_ids_with_prefix(self, prefix: str, limit: int) -> list[str]:
        rows = await self._run_one(
            self._cypher.reads.interview_ids_with_prefix,
            {"prefix": prefix, "limit": limit},
            write=False,
            operation="interview_ids_with_prefix",
        )
        return [str(row[0]) for row in rows]

    async def get_sentences(
        self, interview_id: str, from_order: int = 0, limit: int | None = None
    ) -> list[SentenceView]:
        reads, rows_of = self._cypher.reads, self._cypher.dialect.rows_of
        page = {"interview_id": interview_id, "from_order": from_order, "limit": limit or ALL_ROWS}
        sentence_rows = rows_of(
            await self._run_one(
                reads.get_sentences, page, write=False, operation="get_sentences",
                interview_id=interview_id,
            )
        )  # fmt: skip
        if not sentence_rows:
            return []
        ids = {"sentence_ids": [row[0] for row in sentence_rows]}
        analysis_rows, dimension_rows = await self._run(
            [(reads.get_analyses, ids), (reads.get_analysis_dimensions, ids)],
            write=False,
            operation="get_sentences",
            interview_id=interview_id,
        )
        return sentence_views(sentence_rows, rows_of(analysis_rows), rows_of(dimension_rows))

    async def locate_sentence(self, sentence_id: str) -> SentencePlace | None:
        rows = await self._run_one(
            self._cypher.reads.locate_sentence,
            {"sentence_id": sentence_id},
            write=False,
            operation="locate_sentence",
        )
        return SentencePlace(str(rows[0][0]), int(rows[0][1])) if rows else None

    async def orders_in_time(
        self, interview_id: str, from_ms: int, to_ms: int
    ) -> tuple[int, int] | None:
        rows = await self._run_one(
            self._cypher.reads.orders_in_time,
            {"interview_id": interview_id, "from_ms": from_ms, "to_ms": to_ms},
            write=False,
            operation="orders_in_time",
            interview_id=interview_id,
        )
        if not rows or rows[0][0] is None:
            return None
        return int(rows[0][0]), int(rows[0][1])

    async def facet_counts(
        self, wanted: SentenceFilter, dimensions: Sequence[str], limit: int
    ) -> Facets:
        params = filter_params(wanted)
        statements = facet_statements(self._cypher.dialect, frozenset(params))
        unknown = [d for d in dimensions if d not in FACET_DIMENSIONS]
        if unknown:
            raise ValueError(f"facet_counts: unknown dimensions {unknown}; use {FACET_DIMENSIONS}")
        names = ["total", *dimensions]
        results = await self._run(
            [(statements[name], {**params, "limit": limit}) for name in names],
            write=False,
            operation="facet_counts",
            interview_id=wanted.interview_id,
        )
        counts = {
            name: [FacetCount(None if r[0] is None else str(r[0]), int(r[1])) for r in rows]
            for name, rows in zip(dimensions, results[1:], strict=True)
        }
        return Facets(total=int(results[0][0][0]), counts=counts)

    async def stats(self) -> dict[str, int]:
        reads = self._cypher.reads
        counts = {**reads.count_nodes, **reads.count_rels}
        results = await self._run(
            [(query, {}) for query in counts.values()], write=False, operation="stats"
        )
        return {name: int(rows[0][0]) for name, rows in zip(counts, results, strict=True)}

    def export(self, interview_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        return export_records(self._export_rows, self._cypher.reads.export, interview_id)

    async def _export_rows(self, query: str, params: Mapping[str, Any]) -> Rows:
        return await self._run_one(
            query, params, write=False, operation="export", interview_id=params.get("interview_id")
        )

    # -- search ----------------------------------------------------------------------------
    async def search(self, query: SearchQuery) -> SearchPage:
        return await search_page(self._cypher.search, self._search_rows, self._index_refused, query)

    async def _search_rows(self, query: str, params: Mapping[str, Any]) -> list[Any]:
        rows = await self._run_one(query, params, write=False, operation="search")
        return self._cypher.dialect.rows_of(rows)

    def _index_refused(self, error: GraphStoreError) -> bool:
        """The full-text index refused its query string (a backend knows its errors)."""
        return False

    async def _fill_index_text(self) -> int:
        """Give every sentence lacking it the text the full-text index reads, interview by
        interview: a graph written before the index existed gains it this way. Returns how
        many sentences were given one."""
        statements = self._cypher.search
        interviews = await self._run_one(
            statements.interview_ids, {}, write=False, operation="ensure_schema"
        )
        filled = 0
        for (interview_id,) in interviews:
            rows = await self._run_one(
                statements.sentences_without_index_text, {"interview_id": interview_id},
                write=False, operation="ensure_schema", interview_id=interview_id,
            )  # fmt: skip
            for start in range(0, len(rows), INDEX_TEXT_CHUNK):
                chunk = [
                    {"sentence_id": sentence_id, "index_text": index_text(text)}
                    for sentence_id, text in rows[start : start + INDEX_TEXT_CHUNK]
                ]
                await self._run_one(
                    statements.set_index_text, {"rows": chunk},
                    write=True, operation="ensure_schema", interview_id=interview_id,
                )  # fmt: skip
            filled += len(rows)
        return filled

    # -- projection target -----------------------------------------------------------------
    def prepare_projection_batch(
        self, batch: ProjectionBatch, checkpoint: ProjectionCheckpoint
    ) -> PreparedBatch:
        return PreparedBatch(
            checkpoint, projection_params(batch, checkpoint, index_text=self._writes_index_text)
        )

    async def apply_projection_batch(
        self, batch: ProjectionBatch, checkpoint: ProjectionCheckpoint
    ) -> None:
        await self.write_projection_batch(self.prepare_projection_batch(batch, checkpoint))

    async def write_projection_batch(self, batch: PreparedBatch) -> None:
        """Interviews, sentences (HAS_SENTENCE, PART_OF_FILE to the interview's file,
        FOLLOWS), analyses, the last status of each interview and the checkpoint, all or
        nothing: in one transaction where transactions span statements, else as one
        statement. The statements are the pipeline's, so the graph is the same."""
        interview_ids, sentence_ids = parents_to_check(batch.params)
        if self.multi_statement_transactions:
            # First planned as all new (a rebuild); should a node exist, planned again from
            # the ids the graph holds.
            await self._until_no_conflict(
                (True, False),
                lambda all_new: partial(
                    write_projected_rows, self._cypher, self.location, batch,
                    (interview_ids, sentence_ids), all_new=all_new,
                ),
                "apply_projection_batch",
            )  # fmt: skip
            return
        found_interviews = await self.existing_ids("Interview", interview_ids)
        found_sentences = await self.existing_ids("Sentence", sentence_ids)
        refuse_missing_parents(
            self.location,
            batch.checkpoint,
            [i for i in interview_ids if i not in found_interviews],
            [s for s in sentence_ids if s not in found_sentences],
        )
        await self._run_one(
            self._cypher.projection.project_batch,
            batch.params,
            write=True,
            operation="apply_projection_batch",
        )

    async def read_checkpoint(self, name: str) -> int | None:
        rows = await self._run_one(
            self._cypher.projection.read_checkpoint,
            {"name": name},
            write=False,
            operation="read_checkpoint",
        )
        return checkpoint_position(rows)

    async def wipe(self) -> None:
        await self._delete_in_chunks(self._cypher.projection.wipe, {}, WIPE_CHUNK, "wipe")
