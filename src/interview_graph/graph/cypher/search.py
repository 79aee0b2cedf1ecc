"""The search statement, one text for both backends: the dialect supplies the index's call,
the sentence filter (graph.cypher.sentence_filter) the steps that narrow the candidates, each
reading its value from a parameter, and a statement holds only the ones a search uses.

Candidates are ranked by score (highest first), then by interview id and sequence order, so
equal scores come in transcript order and pages join up. The interview and project of a
candidate are read after the ranking, for the page's rows only.
"""

from __future__ import annotations

from functools import cache

from interview_graph.graph.cypher.dialect import CypherDialect
from interview_graph.graph.cypher.sentence_filter import narrowing

RANK = "score DESC, s.interview_id, s.sequence_order"
# The columns of a candidate, in the order graph.search_reads unpacks them.
CANDIDATE_COLUMNS: tuple[str, ...] = (
    "s.sentence_id", "s.interview_id", "i.title", "p.name", "s.sequence_order", "s.text",
    "s.speaker", "s.start_ms", "s.end_ms", "score",
)  # fmt: skip


class SearchStatements:
    """The search statements of one dialect (one per combination of filters), and those
    that give a graph written before its full-text index the text the index reads."""

    def __init__(self, dialect: CypherDialect) -> None:
        self.dialect = dialect
        self.index = dialect.fulltext
        self.candidates = cache(self._candidates)
        read = self.index.reads
        self.interview_ids = "MATCH (i:Interview) RETURN i.interview_id"
        self.sentences_without_index_text = (
            "MATCH (s:Sentence {interview_id: $interview_id}) "
            f"WHERE s.{read} IS NULL RETURN s.sentence_id, s.text"
        )
        self.set_index_text = (
            "UNWIND $rows AS row MATCH (s:Sentence {sentence_id: row.sentence_id}) "
            f"SET s.{read} = row.index_text"
        )

    def _candidates(self, filters: frozenset[str]) -> str:
        """Candidates for $index_query that the sentence filter with these set fields keeps,
        ranked, from $offset on, at most $count of them; unpacked with `dialect.rows_of`."""
        where = narrowing(filters, "s, score")
        match = (
            f"{self.index.call}{where}\n"
            f"WITH s, score ORDER BY {RANK} SKIP $offset LIMIT $count\n"
            "MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview)-[:HAS_SENTENCE]->(s)"
        )
        return self.dialect.list_rows(match, CANDIDATE_COLUMNS, ordered_by=("s, score, i, p", RANK))
