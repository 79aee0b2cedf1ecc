"""Every Cypher statement of both graph backends, each written once.

Where Neo4j and FalkorDB need different text, a statement asks its `CypherDialect`
(dialect.py) for that piece; `CypherStatements(dialect)` is one backend's full set. Labels and
relationship types cannot be parameters, so per-label statements are generated from the fixed
tables of graph.schema (never from data); data always travels as parameters.
"""

from __future__ import annotations

from interview_graph.graph.cypher.dialect import CypherDialect
from interview_graph.graph.cypher.projection import ProjectionStatements
from interview_graph.graph.cypher.reads import ReadStatements
from interview_graph.graph.cypher.search import SearchStatements
from interview_graph.graph.cypher.writes import WriteStatements


class CypherStatements:
    """One backend's statements: writes, reads, search and the projection's."""

    def __init__(self, dialect: CypherDialect) -> None:
        self.dialect = dialect
        self.writes = WriteStatements(dialect)
        self.reads = ReadStatements(dialect)
        self.search = SearchStatements(dialect)
        self.projection = ProjectionStatements(dialect)
