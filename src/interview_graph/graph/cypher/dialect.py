"""What differs between the Cypher of the two backends, as one small object per backend.

Every statement is written once (this package); where Neo4j 5 and FalkorDB need different
text, the statement asks its dialect for that piece:

* CALL subqueries: Neo4j takes the outer variables in a scope clause, `CALL (x) { ... }`;
  FalkorDB imports them with a leading WITH, `CALL { WITH x ... }`.
* Existence tests and degrees: Neo4j's subquery expressions `NOT EXISTS { (n)<--() }` and
  `COUNT { (n)-[:R]->() }`; FalkorDB's pattern predicate `NOT (n)<--()` and its
  `outdegree(n, 'R')`. Both degrees are read from the node's adjacency, without visiting
  the neighbours.
* Plan reuse: Neo4j runs the statements written on every batch with `CYPHER replan=skip`.
  It re-plans a cached statement when the store's statistics drift, which a database growing
  from empty does on every file; these statements reach their nodes through unique-key or
  (interview, order) index seeks, which no statistics improve. FalkorDB has no such option.
* Read shapes: on Neo4j each of an interview's reads is ONE record holding the list of its
  rows, because the async driver pays an event-loop round per record received; FalkorDB
  replies are parsed in one pass, so its reads return plain rows.
* Schema: Neo4j creates named uniqueness constraints and indexes with IF NOT EXISTS;
  FalkorDB creates range indexes with Cypher and its unique constraints with a command (see
  its store).
* Full-text search: each backend's index, its call and its query syntax (fulltext.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from interview_graph.graph.cypher.fulltext import LUCENE, REDISEARCH, FullTextIndex
from interview_graph.graph.schema import NODE_KEYS


@dataclass(frozen=True, slots=True)
class CypherDialect:
    name: str
    # Prefix of the statements written on every batch ("" for none).
    plan_reuse_prefix: str
    # `CALL (x) {` rather than `CALL { WITH x`.
    scoped_calls: bool
    # `NOT EXISTS { pattern }` and `COUNT { pattern }` rather than `NOT pattern` and
    # `outdegree()`.
    exists_subqueries: bool
    # An interview's reads return one record holding the list of rows.
    reads_in_one_record: bool
    # The Cypher DDL ensure_schema runs, in order.
    schema: tuple[str, ...]
    # The full-text index of sentences.
    fulltext: FullTextIndex

    def reuse_plan(self, query: str) -> str:
        """A statement written on every batch: keeps its first plan where the backend can."""
        if not self.plan_reuse_prefix:
            return query
        return self.plan_reuse_prefix + query.lstrip("\n")

    def call(self, variables: str = "", separator: str = " ") -> str:
        """The opening of a CALL subquery that sees the outer `variables` (comma-separated)."""
        if self.scoped_calls:
            return f"CALL ({variables}) {{{separator}"
        imports = f"WITH {variables}{separator}" if variables else ""
        return f"CALL {{{separator}{imports}"

    def not_exists(self, pattern: str) -> str:
        """A predicate true when `pattern` has no match."""
        return f"NOT EXISTS {{ {pattern} }}" if self.exists_subqueries else f"NOT {pattern}"

    def exists(self, pattern: str) -> str:
        """A predicate true when `pattern` has a match."""
        return f"EXISTS {{ {pattern} }}" if self.exists_subqueries else pattern

    def out_degree(self, node: str, rel_type: str) -> str:
        """The number of `rel_type` relationships leaving `node`."""
        if self.exists_subqueries:
            return f"COUNT {{ ({node})-[:{rel_type}]->() }}"
        return f"outdegree({node}, '{rel_type}')"

    def list_rows(
        self,
        match: str,
        columns: Sequence[str],
        ordered_by: tuple[str, str] | None = None,
        *,
        limited: bool = False,
    ) -> str:
        """A read of many rows: MATCH text, the returned columns and, optionally, (variable,
        sort key) to order them by; `limited` keeps the first $limit rows of that order.
        `rows_of` unpacks the result."""
        listed = ", ".join(columns)
        limit = " LIMIT $limit" if limited else ""
        if self.reads_in_one_record:
            order = f"WITH {ordered_by[0]} ORDER BY {ordered_by[1]}{limit}\n" if ordered_by else ""
            return f"{match}\n{order}RETURN collect([{listed}])\n"
        order = f"\nORDER BY {ordered_by[1]}{limit}" if ordered_by else ""
        return f"{match}\nRETURN {listed}{order}\n"

    def rows_of(self, result: list[list[Any]]) -> list[Any]:
        """The rows of a `list_rows` read."""
        return result[0][0] if self.reads_in_one_record else result


# One uniqueness constraint (and its backing index) per node key; names are stable so that
# IF NOT EXISTS makes ensure_schema idempotent. The composite index finds a sentence's
# neighbour for FOLLOWS and an interview's rows. The checkpoint constraint also makes the
# label known, so reading a checkpoint before the first projected batch draws no warning.
_NEO4J_SCHEMA: tuple[str, ...] = (
    *(
        f"CREATE CONSTRAINT {label.lower()}_{key} IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
        for label, key in sorted(NODE_KEYS.items())
    ),
    "CREATE INDEX sentence_interview_order IF NOT EXISTS "
    "FOR (n:Sentence) ON (n.interview_id, n.sequence_order)",
    "CREATE INDEX sentence_interview IF NOT EXISTS FOR (n:Sentence) ON (n.interview_id)",
    "CREATE CONSTRAINT projectioncheckpoint_name IF NOT EXISTS "
    "FOR (n:ProjectionCheckpoint) REQUIRE n.name IS UNIQUE",
)

# FalkorDB keeps one range index per label holding every indexed property: one on every key,
# and Sentence.interview_id for an interview's rows. The statements fail once their index
# exists (FalkorDB has no IF NOT EXISTS); the store reads which exist and runs the others.
FALKORDB_INDEXES: tuple[tuple[str, str], ...] = (
    *NODE_KEYS.items(),
    ("Sentence", "interview_id"),
)
_FALKORDB_SCHEMA: tuple[str, ...] = tuple(
    f"CREATE INDEX FOR (n:{label}) ON (n.{key})" for label, key in FALKORDB_INDEXES
)

NEO4J = CypherDialect(
    name="neo4j", plan_reuse_prefix="CYPHER replan=skip\n",
    schema=(*_NEO4J_SCHEMA, *LUCENE.create), fulltext=LUCENE,
    scoped_calls=True, exists_subqueries=True, reads_in_one_record=True,
)  # fmt: skip

# The full-text index is created by the store, when db.indexes() does not list it.
FALKORDB = CypherDialect(
    name="falkordb", plan_reuse_prefix="", schema=_FALKORDB_SCHEMA, fulltext=REDISEARCH,
    scoped_calls=False, exists_subqueries=False, reads_in_one_record=False,
)  # fmt: skip
