"""write_sentences / write_analyses, shared by both graph backends.

Both backends turn a batch into a plan (records.sentence_plan / analysis_plan: CREATE for
new rows, MERGE for rows that exist) and check that every row found its parent; only how a
plan is run differs (Neo4j: one transaction, retried on a constraint conflict; FalkorDB: an
explicit existence check first), so each backend supplies `_write_batch` and the rest is here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence

from interview_graph.domain.model import Analysis, Sentence
from interview_graph.graph.port import GraphStoreError
from interview_graph.graph.records import (
    BatchPlan,
    WriteCypher,
    analysis_plan,
    analysis_write_row,
    sentence_plan,
    sentence_row,
)


class PlannedBatchWrites(ABC):
    _write_cypher: WriteCypher

    @property
    @abstractmethod
    def location(self) -> str: ...

    @abstractmethod
    async def _write_batch(
        self,
        label: str,
        ids: list[str],
        plan_for: Callable[[set[str]], BatchPlan],
        operation: str,
        interview_id: str,
    ) -> tuple[int, int]:
        """Run the plan for the ids that exist; (rows written, stale relationships deleted)."""

    @abstractmethod
    async def _prune_orphans(self, interview_id: str | None) -> None: ...

    @abstractmethod
    async def existing_ids(self, label: str, ids: Sequence[str]) -> set[str]: ...

    async def write_sentences(self, sentences: Sequence[Sentence], filename: str) -> None:
        if not sentences:
            return
        rows = [sentence_row(s) for s in sentences]
        interview_id = sentences[0].interview_id
        cypher = self._write_cypher
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
        cypher = self._write_cypher
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

    async def _missing_sentences(
        self, rows: Sequence[dict[str, object]], interview_id: str
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
