"""The search statement, one text for both backends: the dialect supplies the index's call;
the filters come from a fixed set of conditions, each reading its value from the parameter of
its name, and a statement holds only the ones a search uses.

Candidates are ranked by score (highest first), then by interview id and sequence order, so
equal scores come in transcript order and pages join up. The interview and project of a
candidate are read after the ranking, for the page's rows only.
"""

from __future__ import annotations

from functools import cache

from interview_graph.graph.cypher.dialect import CypherDialect

# Filter -> condition on the candidate sentence `s` (every filter is a query parameter).
_PROPERTY_FILTERS: dict[str, str] = {
    "interview_id": "s.interview_id = $interview_id",
    "speaker": "s.speaker = $speaker",
    "from_ms": "s.start_ms >= $from_ms",
    "to_ms": "s.start_ms < $to_ms",
}
# Filters on what a sentence is linked to: a path from the candidate `s` to a node `d` whose
# name must be the value. Walked from the candidate in the query's main line (both backends
# expand a batch of candidates at once there; a pattern in a predicate or a comprehension is
# run candidate by candidate), then each candidate kept once.
_ANALYSIS = "(s)-[:HAS_ANALYSIS]->(:Analysis)"
_LINKED_FILTERS: dict[str, str] = {
    "project": "(s)<-[:HAS_SENTENCE]-(:Interview)<-[:CONTAINS_INTERVIEW]-(d) WHERE d.name",
    "function_type": f"{_ANALYSIS}-[:HAS_FUNCTION]->(d) WHERE d.name",
    "purpose": f"{_ANALYSIS}-[:HAS_PURPOSE]->(d) WHERE d.name",
    "topic": f"{_ANALYSIS}-[:MENTIONS_TOPIC]->(d) WHERE d.name",
    "keyword": f"{_ANALYSIS}-[:MENTIONS_OVERALL_KEYWORD|MENTIONS_DOMAIN_KEYWORD]->(d) WHERE d.text",
}
FILTERS: tuple[str, ...] = (*_PROPERTY_FILTERS, *_LINKED_FILTERS)

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
        """Candidates for $index_query passing `filters`, ranked, from $offset on, at most
        $count of them; unpacked with `dialect.rows_of`."""
        unknown = filters - set(FILTERS)
        if unknown:
            raise ValueError(f"unknown search filters {sorted(unknown)}")
        # The property filters first (cheap, they thin the candidates), then each linked
        # filter in a step of its own.
        steps = []
        properties = [text for name, text in _PROPERTY_FILTERS.items() if name in filters]
        if properties:
            steps.append("WITH s, score WHERE " + " AND ".join(properties))
        steps += [
            f"MATCH {path} = ${name} WITH DISTINCT s, score"
            for name, path in _LINKED_FILTERS.items()
            if name in filters
        ]
        where = "".join(f"\n{step}" for step in steps)
        match = (
            f"{self.index.call}{where}\n"
            f"WITH s, score ORDER BY {RANK} SKIP $offset LIMIT $count\n"
            "MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview)-[:HAS_SENTENCE]->(s)"
        )
        return self.dialect.list_rows(match, CANDIDATE_COLUMNS, ordered_by=("s, score, i, p", RANK))
