"""The read statements: listing, one interview's rows, counts and the canonical export.

Reads return plain columns, never maps of a whole row: cheaper to produce and to parse on
both backends. The column orders are those read_rows unpacks.
"""

from __future__ import annotations

from interview_graph.graph.cypher.dialect import CypherDialect
from interview_graph.graph.export import INTERVIEW_LABELS, SHARED_LABELS, ExportStatements
from interview_graph.graph.schema import DIMENSION_RELS, NODE_KEYS, REL_ENDPOINTS


def list_interviews(dialect: CypherDialect, *, one: bool = False) -> str:
    """Every interview (or, with `one`, interview $interview_id) with its project and counts.
    Sentences are counted from the interview's degree, once per interview (before the rows
    multiply); analyses need one step per sentence, the one cost here that grows with the
    corpus."""
    interview = "(i:Interview {interview_id: $interview_id})" if one else "(i:Interview)"
    return f"""
MATCH (p:Project)-[:CONTAINS_INTERVIEW]->{interview}
WITH p, i, {dialect.out_degree("i", "HAS_SENTENCE")} AS sentence_count
OPTIONAL MATCH (i)-[:HAS_SENTENCE]->()-[:HAS_ANALYSIS]->(a)
RETURN i.interview_id, p.project_id, p.name, i.title, i.filename, i.status,
       sentence_count, count(a), i.created_at
"""


def list_projects(dialect: CypherDialect) -> str:
    """Every project with its interviews and their sentences (counted from degrees)."""
    return f"""
MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview)
WITH p, i, {dialect.out_degree("i", "HAS_SENTENCE")} AS sentence_count
RETURN p.project_id, p.name, count(i), sum(sentence_count)
"""


LOCATE_SENTENCE = """
MATCH (s:Sentence {sentence_id: $sentence_id})
RETURN s.interview_id, s.sequence_order
"""

# The sentences said during [$from_ms, $to_ms]: a sentence without an end lasts an instant.
ORDERS_IN_TIME = """
MATCH (s:Sentence {interview_id: $interview_id})
WHERE s.start_ms <= $to_ms AND coalesce(s.end_ms, s.start_ms) >= $from_ms
RETURN min(s.sequence_order), max(s.sequence_order)
"""

# Interview ids as users type them: any prefix of one (the `process` summary and the tables
# print the first characters). Ordered, so an ambiguous prefix lists the same candidates.
INTERVIEW_IDS_WITH_PREFIX = """
MATCH (i:Interview) WHERE i.interview_id STARTS WITH $prefix
RETURN i.interview_id ORDER BY i.interview_id LIMIT $limit
"""

GET_INTERVIEW = """
MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview {interview_id: $interview_id})
RETURN properties(i), p.name
"""

# A page of an interview's sentences: from sequence order $from_order on, at most $limit.
_SENTENCE_PAGE = (
    "MATCH (s:Sentence {interview_id: $interview_id})\nWHERE s.sequence_order >= $from_order"
)
# The analyses of the sentences of one page, found by their unique ids.
_ANALYSES_OF = (
    "UNWIND $sentence_ids AS sentence_id\n"
    "MATCH (s:Sentence {sentence_id: sentence_id})-[:HAS_ANALYSIS]->(a:Analysis)"
)

# The columns of an interview's reads, in the order graph.read_rows unpacks them.
SENTENCE_COLUMNS: tuple[str, ...] = (
    "s.sentence_id", "s.interview_id", "s.sequence_order", "s.text", "s.speaker", "s.start_ms",
    "s.end_ms", "s.start_char", "s.end_char",
)  # fmt: skip
ANALYSIS_COLUMNS: tuple[str, ...] = (
    "s.sentence_id", "a.analysis_id", "a.model", "a.model_version", "a.created_at",
    "a.confidence_keys", "a.confidence_values",
)  # fmt: skip
DIMENSION_COLUMNS: tuple[str, ...] = (
    "a.analysis_id", "type(r)", "r.rank", "r.level", "coalesce(d.name, d.text)",
)  # fmt: skip

# Count per label and per relationship type, in name order.
COUNT_NODES: dict[str, str] = {
    label: f"MATCH (n:{label}) RETURN count(n)" for label in sorted(NODE_KEYS)
}
COUNT_RELS: dict[str, str] = {
    rel: f"MATCH ()-[r:{rel}]->() RETURN count(r)" for rel in sorted(REL_ENDPOINTS)
}

# --- export -------------------------------------------------------------------------------
# Scope patterns bind `n` to the nodes of one label that belong to interview $interview_id.
_NODE_SCOPE: dict[str, str] = {
    "Project": (
        "MATCH (n:Project)-[:CONTAINS_INTERVIEW]->(:Interview {interview_id: $interview_id})"
    ),
    "Interview": "MATCH (n:Interview {interview_id: $interview_id})",
    "Sentence": "MATCH (n:Sentence {interview_id: $interview_id})",
    "Analysis": "MATCH (:Sentence {interview_id: $interview_id})-[:HAS_ANALYSIS]->(n:Analysis)",
    "SourceFile": "MATCH (:Sentence {interview_id: $interview_id})-[:PART_OF_FILE]->(n:SourceFile)",
    **{
        end: "MATCH (:Sentence {interview_id: $interview_id})-[:HAS_ANALYSIS]->(:Analysis)"
        f"-[:{rel}]->(n:{end})"
        for rel in DIMENSION_RELS
        for end in [REL_ENDPOINTS[rel][1]]
    },
}  # fmt: skip


def _nodes(label: str, scoped: bool) -> str:
    key = NODE_KEYS[label]
    match = _NODE_SCOPE[label] if scoped else f"MATCH (n:{label})"
    return f"{match} WITH DISTINCT n RETURN n.{key}, properties(n)"


def _relationships(rel: str) -> str:
    """One interview's relationships of one type: those starting at its nodes (and, for
    CONTAINS_INTERVIEW, the one ending at it)."""
    start, end = REL_ENDPOINTS[rel]
    start_key, end_key = NODE_KEYS[start], NODE_KEYS[end]
    if rel == "CONTAINS_INTERVIEW":
        match = f"MATCH (a:Project)-[r:{rel}]->(b:Interview {{interview_id: $interview_id}})"
    else:
        match = _NODE_SCOPE[start].replace("(n:", "(a:") + f"\nMATCH (a)-[r:{rel}]->(b:{end})"
    return f"{match} RETURN a.{start_key}, b.{end_key}, properties(r)"


# The export reads, as graph.export uses them. Every read is bounded by one interview (or is
# one of the small shared labels), and reaches its rows from the interview's id through an
# index, never through a range over a key of the whole graph.
EXPORT = ExportStatements(
    shared_nodes={
        (label, scoped): _nodes(label, scoped)
        for label in SHARED_LABELS
        for scoped in (False, True)
    },
    interview_ids="MATCH (n:Interview) RETURN n.interview_id",
    interview_nodes={label: _nodes(label, scoped=True) for label in INTERVIEW_LABELS},
    interview_relationships={rel: _relationships(rel) for rel in REL_ENDPOINTS},
)


class ReadStatements:
    """The read statements in one dialect; those marked `list_rows` are unpacked with
    `dialect.rows_of`."""

    def __init__(self, dialect: CypherDialect) -> None:
        self.list_projects = list_projects(dialect)
        self.list_interviews = list_interviews(dialect)
        self.locate_sentence = LOCATE_SENTENCE
        self.orders_in_time = ORDERS_IN_TIME
        self.interview_summary = list_interviews(dialect, one=True)
        self.get_interview = GET_INTERVIEW
        self.interview_ids_with_prefix = INTERVIEW_IDS_WITH_PREFIX
        self.get_sentences = dialect.list_rows(
            _SENTENCE_PAGE, SENTENCE_COLUMNS, ordered_by=("s", "s.sequence_order"), limited=True
        )
        self.get_analyses = dialect.list_rows(_ANALYSES_OF, ANALYSIS_COLUMNS)
        self.get_analysis_dimensions = dialect.list_rows(
            f"{_ANALYSES_OF}-[r]->(d)", DIMENSION_COLUMNS
        )
        self.count_nodes = COUNT_NODES
        self.count_rels = COUNT_RELS
        self.export = EXPORT
