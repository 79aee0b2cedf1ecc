"""The read statements: listing, one interview's rows, counts and the canonical export.

Reads return plain columns, never maps of a whole row: cheaper to produce and to parse on
both backends. The column orders are those read_rows unpacks.
"""

from __future__ import annotations

from interview_graph.graph.cypher.dialect import CypherDialect
from interview_graph.graph.schema import DIMENSION_RELS, ID_LABELS, NODE_KEYS, REL_ENDPOINTS

LIST_INTERVIEWS = """
MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview)
OPTIONAL MATCH (i)-[:HAS_SENTENCE]->(s:Sentence)
WITH p, i, count(s) AS sentence_count
OPTIONAL MATCH (i)-[:HAS_SENTENCE]->(:Sentence)-[:HAS_ANALYSIS]->(a:Analysis)
RETURN i.interview_id, p.project_id, p.name, i.title, i.filename, i.status,
       sentence_count, count(a), i.created_at
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

_SENTENCES_OF = "MATCH (s:Sentence {interview_id: $interview_id})"
_ANALYSES_OF = f"{_SENTENCES_OF}-[:HAS_ANALYSIS]->(a:Analysis)"

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


def _node_page(label: str, scoped: bool) -> str:
    key = NODE_KEYS[label]
    match = _NODE_SCOPE[label] if scoped else f"MATCH (n:{label})"
    return (
        f"{match} WHERE n.{key} > $after WITH DISTINCT n "
        f"RETURN n.{key}, properties(n) ORDER BY n.{key} LIMIT $limit"
    )


def _node_all(label: str, scoped: bool) -> str:
    key = NODE_KEYS[label]
    match = _NODE_SCOPE[label] if scoped else f"MATCH (n:{label})"
    return f"{match} WITH DISTINCT n RETURN n.{key}, properties(n)"


# (label, scoped) -> statement. Id-keyed labels: paged by key in database order. Vocabulary
# labels: read whole, sorted later.
EXPORT_NODES: dict[tuple[str, bool], str] = {
    (label, scoped): _node_page(label, scoped) if label in ID_LABELS else _node_all(label, scoped)
    for label in NODE_KEYS
    for scoped in (False, True)
}


def _rel_page(rel: str, scoped: bool) -> str:
    start, end = REL_ENDPOINTS[rel]
    start_key, end_key = NODE_KEYS[start], NODE_KEYS[end]
    match = _NODE_SCOPE[start].replace("(n:", "(a:") if scoped else f"MATCH (a:{start})"
    if scoped and rel == "CONTAINS_INTERVIEW":
        return (
            "MATCH (a:Project)-[r:CONTAINS_INTERVIEW]->(b:Interview {interview_id: $interview_id})"
            " WHERE a.project_id > $after"
            " RETURN a.project_id, b.interview_id, properties(r)"
        )
    return (
        f"{match}-[:{rel}]->() WHERE a.{start_key} > $after "
        f"WITH DISTINCT a ORDER BY a.{start_key} LIMIT $limit "
        f"MATCH (a)-[r:{rel}]->(b:{end}) "
        f"RETURN a.{start_key}, b.{end_key}, properties(r)"
    )


# (relationship type, scoped) -> statement, paged by start node key (all start labels are
# id-keyed).
EXPORT_RELS: dict[tuple[str, bool], str] = {
    (rel, scoped): _rel_page(rel, scoped) for rel in REL_ENDPOINTS for scoped in (False, True)
}


class ReadStatements:
    """The read statements in one dialect; those marked `list_rows` are unpacked with
    `dialect.rows_of`."""

    def __init__(self, dialect: CypherDialect) -> None:
        self.list_interviews = LIST_INTERVIEWS
        self.get_interview = GET_INTERVIEW
        self.interview_ids_with_prefix = INTERVIEW_IDS_WITH_PREFIX
        self.get_sentences = dialect.list_rows(
            _SENTENCES_OF, SENTENCE_COLUMNS, ordered_by=("s", "s.sequence_order")
        )
        self.get_analyses = dialect.list_rows(_ANALYSES_OF, ANALYSIS_COLUMNS)
        self.get_analysis_dimensions = dialect.list_rows(
            f"{_ANALYSES_OF}-[r]->(d)", DIMENSION_COLUMNS
        )
        self.count_nodes = COUNT_NODES
        self.count_rels = COUNT_RELS
        self.export_nodes = EXPORT_NODES
        self.export_rels = EXPORT_RELS
