"""The GraphStore port: everything the pipeline and the CLI need from a graph database.

Both backends share their Cypher (graph.cypher, with a small dialect object for what differs)
and hide their differences (constraints, transactions, reply formats) behind this interface.
Every write is idempotent (MERGE on deterministic ids), so re-processing a file or replaying a
batch never duplicates anything. Importing this module loads no database driver.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Literal, Protocol, Self, get_args

from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence


class GraphStoreError(RuntimeError):
    """A graph operation failed; the message says which store, which operation and what to do."""


class NodeExistsError(GraphStoreError):
    """A CREATE met a node that exists already: its unique constraint refused it, and the
    statement (on Neo4j, its whole transaction) changed nothing. Stores write new rows with
    CREATE and catch this to write the batch again with MERGE."""


@dataclass(frozen=True, slots=True)
class InterviewSummary:
    interview_id: str
    project_id: str
    project_name: str
    title: str
    filename: str
    status: str
    sentence_count: int
    analysis_count: int
    created_at: str | None


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    project_id: str
    name: str
    interview_count: int
    sentence_count: int


@dataclass(frozen=True, slots=True)
class SentencePlace:
    """Where a sentence is: its interview and its sequence order there."""

    interview_id: str
    sequence_order: int


@dataclass(frozen=True, slots=True)
class SentenceFilter:
    """Which sentences a read counts or searches; unset fields do not filter. The analysis
    fields match a sentence when any of its analyses has that value (a topic is the
    sentence's own topic; a keyword is an overall or a domain keyword). The time range keeps
    the sentences said during it."""

    project: str | None = None  # the project's name
    interview_id: str | None = None
    speaker: str | None = None
    function: str | None = None
    purpose: str | None = None
    topic: str | None = None
    keyword: str | None = None
    from_ms: int | None = None
    to_ms: int | None = None


# The dimensions facets count sentences by.
FacetDimension = Literal["speaker", "function", "structure", "purpose", "topic", "keyword"]
FACET_DIMENSIONS: tuple[FacetDimension, ...] = get_args(FacetDimension)


@dataclass(frozen=True, slots=True)
class FacetCount:
    value: str | None  # None: sentences without a speaker
    sentences: int


@dataclass(frozen=True, slots=True)
class Facets:
    total: int  # the sentences the filter keeps
    # Per dimension, its most frequent values, most sentences first (then by value).
    counts: dict[str, list[FacetCount]]


@dataclass(frozen=True, slots=True)
class SentenceView:
    """A sentence as `show` prints it: the sentence and its analyses (one per model)."""

    sentence: Sentence
    analyses: tuple[Analysis, ...]


class GraphStore(Protocol):
    """One connection to one graph. Open it with `async with`."""

    backend: str  # "neo4j" | "falkordb"

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def ensure_schema(self) -> None:
        """Create uniqueness constraints / indexes on every id; safe to call every run."""

    async def write_interview(self, interview: Interview) -> None:
        """MERGE the Project and Interview nodes and CONTAINS_INTERVIEW; sets status."""

    async def write_sentences(self, sentences: Sequence[Sentence], filename: str) -> None:
        """MERGE a batch of sentences (one UNWIND), HAS_SENTENCE, PART_OF_FILE and FOLLOWS.

        FOLLOWS links each sentence to sequence_order - 1 of the same interview, also across
        batch boundaries (the previous batch is already written).
        """

    async def write_analyses(self, analyses: Sequence[Analysis]) -> None:
        """MERGE a batch of Analysis nodes, their dimension nodes and relationships."""

    async def finish_interview(
        self, interview_id: str, sentence_count: int, status: InterviewStatus
    ) -> None:
        """Set the final status and remove sentences (and their analyses) at or beyond
        sentence_count, left over from an earlier, different segmentation."""

    async def delete_interview(self, interview_id: str) -> None:
        """Remove an interview, its sentences and analyses, and orphaned shared nodes."""

    async def existing_ids(self, label: str, ids: Sequence[str]) -> set[str]:
        """Which of these ids the graph holds; label is Interview, Sentence or Analysis.

        Used to resolve events a crashed run left staged: they are delivered only for data
        the graph committed."""

    async def list_projects(self) -> list[ProjectSummary]:
        """Every project with its interview and sentence counts, by name."""
        ...

    async def list_interviews(self) -> list[InterviewSummary]: ...

    async def interview_summary(self, interview_id: str) -> InterviewSummary | None:
        """One interview's line of `list_interviews` (its counts cost that interview only)."""

    async def get_interview(self, interview_id: str) -> Interview | None: ...

    async def interview_ids_with_prefix(self, prefix: str, limit: int) -> list[str]:
        """The ids of the interviews whose id starts with `prefix`, in id order, at most
        `limit` of them: how a short id a user typed is resolved (a full id is its own
        prefix)."""
        ...

    async def get_sentences(
        self, interview_id: str, from_order: int = 0, limit: int | None = None
    ) -> list[SentenceView]:
        """Sentences in sequence_order, each with its analyses: those from sequence order
        `from_order` on, at most `limit` of them (all without a limit). A page costs what its
        rows cost, wherever it starts, so callers page through long interviews."""

    async def locate_sentence(self, sentence_id: str) -> SentencePlace | None:
        """The interview and sequence order of a sentence (None when the graph lacks it)."""
        ...

    async def orders_in_time(
        self, interview_id: str, from_ms: int, to_ms: int
    ) -> tuple[int, int] | None:
        """The first and last sequence order of the interview's sentences said between
        `from_ms` and `to_ms` (a sentence counts when its time overlaps the range); None
        when none was, or the interview has no times."""
        ...

    async def facet_counts(
        self, wanted: SentenceFilter, dimensions: Sequence[str], limit: int
    ) -> Facets:
        """How many of the sentences `wanted` keeps have each value of each dimension (of
        FACET_DIMENSIONS), the `limit` most frequent values per dimension."""
        ...

    async def stats(self) -> dict[str, int]:
        """Node counts per label and relationship counts per type."""

    def export(self, interview_id: str | None = None) -> AsyncIterator[dict[str, Any]]:
        """Canonical records (graph.export): the shared nodes, then interview after interview
        its nodes and relationships, each sorted, volatile timestamps left out, so two graphs
        holding the same facts export byte-identical JSONL."""
        ...
