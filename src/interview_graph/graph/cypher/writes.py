"""The pipeline's write statements: MERGE for rows that may exist, CREATE for new rows, and
the deletes of re-processing and `delete_interview`.

A batch is split by what the graph already holds (graph.write_plans): rows whose node is new
take the CREATE statements (nothing can point at a node that does not exist, so no MERGE on
relationships and no stale deletes); rows whose node exists take the idempotent MERGE
statements. Either way the graph ends up the same. The statements written on every batch go
through `dialect.reuse_plan`.
"""

from __future__ import annotations

from interview_graph.graph.cypher.dialect import CypherDialect
from interview_graph.graph.schema import (
    DIMENSION_PARAMS,
    DIMENSION_RELS,
    LINK_COLUMNS,
    NODE_KEYS,
    VOCABULARY_LABELS,
)

WRITE_INTERVIEW = """
MERGE (p:Project {project_id: $project_id})
SET p.name = $project_name
MERGE (i:Interview {interview_id: $interview_id})
ON CREATE SET i.created_at = $created_at
SET i.project_id = $project_id, i.title = $title, i.source = $source,
    i.filename = $filename, i.language = $language, i.status = $status,
    i.content_sha256 = $content_sha256, i.date = $date, i.participants = $participants
MERGE (p)-[:CONTAINS_INTERVIEW]->(i)
"""

# A sentence MERGEd with its properties, linked to its interview `i` and file `f`. Rows hold
# `search_text` only for a backend whose full-text index reads it (graph.cypher.fulltext);
# elsewhere it is null, which stores nothing.
MERGE_SENTENCE = """
MERGE (s:Sentence {sentence_id: row.sentence_id})
SET s.interview_id = row.interview_id, s.sequence_order = row.sequence_order,
    s.text = row.text, s.speaker = row.speaker, s.start_ms = row.start_ms,
    s.end_ms = row.end_ms, s.start_char = row.start_char, s.end_char = row.end_char,
    s.search_text = row.search_text
MERGE (i)-[:HAS_SENTENCE]->(s)
MERGE (s)-[:PART_OF_FILE]->(f)
"""

WRITE_SENTENCES = (
    """
MERGE (f:SourceFile {filename: $filename})
WITH f
UNWIND $rows AS row
MATCH (i:Interview {interview_id: row.interview_id})"""
    + MERGE_SENTENCE
    + "RETURN count(s)\n"
)

# A sentence re-written under another filename (renamed file, same content) keeps one file.
# Planned from the sentence (an id seek): a plan starting at the shared SourceFile node would
# walk every sentence of that file for every row.
DELETE_STALE_SOURCE_FILES = """
UNWIND $ids AS id
MATCH (s:Sentence {sentence_id: id})
WITH s
MATCH (s)-[r:PART_OF_FILE]->(f)
WHERE f.filename <> $filename
DELETE r
RETURN count(r)
"""

LINK_PAIRS = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (p:Sentence {sentence_id: row.previous_id})
MERGE (s)-[:FOLLOWS]->(p)
"""

LINK_PREVIOUS = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (p:Sentence {interview_id: row.interview_id, sequence_order: row.sequence_order - 1})
MERGE (s)-[:FOLLOWS]->(p)
"""

LINK_NEXT = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (n:Sentence {interview_id: row.interview_id, sequence_order: row.sequence_order + 1})
MERGE (n)-[:FOLLOWS]->(s)
"""

_DIMENSION_TYPES = "|".join(DIMENSION_RELS)

DELETE_STALE_DIMENSIONS = f"""
UNWIND $rows AS row
MATCH (a:Analysis {{analysis_id: row.analysis_id}})-[r:{_DIMENSION_TYPES}]->(d)
WHERE NOT (type(r) + '|' + coalesce(toString(r.rank), '') + '|' + coalesce(d.name, d.text))
      IN row.keep
DELETE r
RETURN count(r)
"""

# Rows are write_rows.analysis_write_row: a dimension's targets are a list (rank = position).
WRITE_ANALYSES = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MERGE (a:Analysis {analysis_id: row.analysis_id})
ON CREATE SET a.created_at = row.created_at
SET a.sentence_id = row.sentence_id, a.model = row.model, a.model_version = row.model_version,
    a.confidence = row.confidence, a.confidence_keys = row.confidence_keys,
    a.confidence_values = row.confidence_values
MERGE (s)-[:HAS_ANALYSIS]->(a)
MERGE (ft:FunctionType {name: row.function_type})
MERGE (a)-[rf:HAS_FUNCTION]->(ft)
SET rf.confidence = row.function_confidence
MERGE (st:StructureType {name: row.structure_type})
MERGE (a)-[rs:HAS_STRUCTURE]->(st)
SET rs.confidence = row.structure_confidence
MERGE (pu:Purpose {name: row.purpose})
MERGE (a)-[rp:HAS_PURPOSE]->(pu)
SET rp.confidence = row.purpose_confidence
FOREACH (rank IN range(0, size(row.topics) - 1) |
  MERGE (tn:Topic {name: row.topics[rank]})
  MERGE (a)-[rt:MENTIONS_TOPIC {rank: rank}]->(tn)
  SET rt.level = row.topic_levels[rank], rt.confidence = row.topic_confidence)
FOREACH (rank IN range(0, size(row.keywords) - 1) |
  MERGE (kn:Keyword {text: row.keywords[rank]})
  MERGE (a)-[rk:MENTIONS_OVERALL_KEYWORD {rank: rank}]->(kn)
  SET rk.confidence = row.keyword_confidence)
FOREACH (rank IN range(0, size(row.domain_keywords) - 1) |
  MERGE (dn:DomainKeyword {text: row.domain_keywords[rank]})
  MERGE (a)-[rd:MENTIONS_DOMAIN_KEYWORD {rank: rank}]->(dn)
  SET rd.confidence = row.domain_keyword_confidence)
RETURN count(a)
"""

# --- rows whose node does not exist yet (the common case, a new file) ----------------------
# Nothing points at a node created in this batch, so its relationships are CREATEd, not
# MERGEd, and there is nothing stale to delete.


def create_sentences(dialect: CypherDialect) -> str:
    """One interview's new sentences (write_plans.sentence_plan) with their FOLLOWS links:
    inside the batch by position in $rows (no lookups), to the sentences before and after the
    batch by (interview, order). The interview is matched once: if it is missing nothing is
    written and the count (0) reports it. Sorted by position because CREATE may emit rows in
    another order."""
    call = dialect.call("created", "\n  ")
    return f"""
MATCH (i:Interview {{interview_id: $interview_id}})
MERGE (f:SourceFile {{filename: $filename}})
WITH i, f
UNWIND range(0, size($rows) - 1) AS at
WITH i, f, at, $rows[at] AS row
CREATE (s:Sentence {{sentence_id: row.sentence_id, interview_id: row.interview_id,
    sequence_order: row.sequence_order, text: row.text, speaker: row.speaker,
    start_ms: row.start_ms, end_ms: row.end_ms, start_char: row.start_char,
    end_char: row.end_char, search_text: row.search_text}})
CREATE (i)-[:HAS_SENTENCE]->(s)
CREATE (s)-[:PART_OF_FILE]->(f)
WITH at, s ORDER BY at
WITH collect(s) AS created
{call}UNWIND CASE WHEN size(created) = 0 THEN [] ELSE range(0, size($pair_at) - 1) END AS k
  WITH created[$pair_at[k]] AS s, created[$pair_previous[k]] AS p
  CREATE (s)-[:FOLLOWS]->(p)
}}
{call}UNWIND CASE WHEN size(created) = 0 THEN [] ELSE $heads END AS head
  WITH created[head.at] AS s, head.order AS order
  MATCH (p:Sentence {{interview_id: $interview_id, sequence_order: order}})
  CREATE (s)-[:FOLLOWS]->(p)
}}
{call}UNWIND CASE WHEN size(created) = 0 THEN [] ELSE $tails END AS tail
  WITH created[tail.at] AS s, tail.order AS order
  MATCH (n:Sentence {{interview_id: $interview_id, sequence_order: order}})
  CREATE (n)-[:FOLLOWS]->(s)
}}
RETURN size(created)
"""


# A new sentence following an existing one of the same batch (a crashed run's rest).
CREATE_PAIRS = LINK_PAIRS.replace("MERGE (s)-[:FOLLOWS]", "CREATE (s)-[:FOLLOWS]")


def _merge_distinct(dialect: CypherDialect, param: str) -> str:
    """MERGE each distinct value of $param once; the nodes in the order of the list (MERGE
    emits matched and created nodes in another order, so it is restored by position)."""
    label, key, _ = DIMENSION_PARAMS[param]
    return (
        f"{dialect.call()}UNWIND range(0, size(${param}) - 1) AS at "
        f"MERGE (n:{label} {{{key}: ${param}[at]}}) "
        f"WITH at, n ORDER BY at RETURN collect(n) AS {param}_nodes }}"
    )


# List dimensions -> (relationship type, extra relationship properties from link columns).
_LINKS: dict[str, tuple[str, str]] = {
    "topics": ("MENTIONS_TOPIC", "level: $topic_level[i], "),
    "keywords": ("MENTIONS_OVERALL_KEYWORD", ""),
    "domain_keywords": ("MENTIONS_DOMAIN_KEYWORD", ""),
}


def _create_links(dialect: CypherDialect, field: str) -> str:
    """CREATE a list dimension's relationships from its link columns (schema.LINK_COLUMNS):
    the analysis and the target by position, rank (and level) per link, confidence per row."""
    prefix, (rel_type, extra) = LINK_COLUMNS[field], _LINKS[field]
    return (
        f"{dialect.call(f'created, {field}_nodes')}"
        f"UNWIND range(0, size(${prefix}_at) - 1) AS i "
        f"WITH created[${prefix}_at[i]] AS a, {field}_nodes[${prefix}_node[i]] AS target, i "
        f"CREATE (a)-[:{rel_type} {{rank: ${prefix}_rank[i], {extra}"
        f"confidence: $rows[${prefix}_at[i]].{prefix}_confidence}}]->(target) }}"
    )


def create_analyses(dialect: CypherDialect) -> str:
    """New analyses (write_plans.create_analyses_params). All-or-nothing: unless every row's
    sentence exists, nothing is written (the count, none, reports it). Then the shared
    dimension nodes are MERGEd once per distinct value of the batch, and every row picks its
    targets by position: no per-row MERGE or lookup. The list dimensions' relationships are
    created from flat columns, one pass per dimension, after the analyses (collected in row
    order).

    FalkorDB's range index never finds an empty string (a MERGE on "" creates another node):
    there, a batch with an empty keyword or topic adds one such node."""
    return (
        f"""
{dialect.call()}UNWIND $rows AS row MATCH (s:Sentence {{sentence_id: row.sentence_id}})
  RETURN count(s) AS found }}
WITH found WHERE found = size($rows)
"""
        + "\n".join(_merge_distinct(dialect, param) for param in DIMENSION_PARAMS)
        + """
UNWIND range(0, size($rows) - 1) AS at
WITH at, $rows[at] AS row, function_types_nodes, structure_types_nodes, purposes_nodes,
     topics_nodes, keywords_nodes, domain_keywords_nodes
MATCH (s:Sentence {sentence_id: row.sentence_id})
CREATE (a:Analysis {analysis_id: row.analysis_id, created_at: row.created_at,
    sentence_id: row.sentence_id, model: row.model, model_version: row.model_version,
    confidence: row.confidence, confidence_keys: row.confidence_keys,
    confidence_values: row.confidence_values})
CREATE (s)-[:HAS_ANALYSIS]->(a)
WITH at, a, row, topics_nodes, keywords_nodes, domain_keywords_nodes,
     function_types_nodes[row.function_type] AS ft,
     structure_types_nodes[row.structure_type] AS st, purposes_nodes[row.purpose] AS pu
CREATE (a)-[:HAS_FUNCTION {confidence: row.function_confidence}]->(ft)
CREATE (a)-[:HAS_STRUCTURE {confidence: row.structure_confidence}]->(st)
CREATE (a)-[:HAS_PURPOSE {confidence: row.purpose_confidence}]->(pu)
WITH at, a, topics_nodes, keywords_nodes, domain_keywords_nodes ORDER BY at
WITH collect(a) AS created, topics_nodes, keywords_nodes, domain_keywords_nodes
"""
        + "\n".join(_create_links(dialect, field) for field in LINK_COLUMNS)
        + """
RETURN size(created)
"""
    )


# --- deletes: in bounded chunks (the store loops until a chunk deletes fewer) ---------------

DELETE_ANALYSES_FROM = """
MATCH (s:Sentence {interview_id: $interview_id})-[:HAS_ANALYSIS]->(a:Analysis)
WHERE s.sequence_order >= $from_order
WITH a LIMIT $chunk
DETACH DELETE a
RETURN count(a)
"""

DELETE_SENTENCES_FROM = """
MATCH (s:Sentence {interview_id: $interview_id})
WHERE s.sequence_order >= $from_order
WITH s LIMIT $chunk
DETACH DELETE s
RETURN count(s)
"""

DELETE_INTERVIEW_NODE = """
MATCH (i:Interview {interview_id: $interview_id})
DETACH DELETE i
RETURN count(i)
"""

SET_STATUS = """
MATCH (i:Interview {interview_id: $interview_id})
SET i.status = $status
RETURN count(i)
"""


def prune_orphans(dialect: CypherDialect) -> tuple[str, ...]:
    """Shared nodes nobody points to any more (dimension nodes, source files), then empty
    projects."""
    return (
        *(
            f"MATCH (n:{label}) WHERE {dialect.not_exists('(n)<--()')} DELETE n RETURN count(n)"
            for label in VOCABULARY_LABELS
        ),
        f"MATCH (n:Project) WHERE {dialect.not_exists('(n)-->()')} DELETE n RETURN count(n)",
    )


class WriteStatements:
    """The write statements in one dialect."""

    def __init__(self, dialect: CypherDialect) -> None:
        reuse = dialect.reuse_plan
        self.write_interview = reuse(WRITE_INTERVIEW)
        self.write_sentences = reuse(WRITE_SENTENCES)
        self.delete_stale_source_files = reuse(DELETE_STALE_SOURCE_FILES)
        self.link_pairs = reuse(LINK_PAIRS)
        self.link_previous = reuse(LINK_PREVIOUS)
        self.link_next = reuse(LINK_NEXT)
        self.delete_stale_dimensions = reuse(DELETE_STALE_DIMENSIONS)
        self.write_analyses = reuse(WRITE_ANALYSES)
        self.create_sentences = reuse(create_sentences(dialect))
        self.create_pairs = reuse(CREATE_PAIRS)
        self.create_analyses = reuse(create_analyses(dialect))
        self.set_status = reuse(SET_STATUS)
        self.delete_analyses_from = DELETE_ANALYSES_FROM
        self.delete_sentences_from = DELETE_SENTENCES_FROM
        self.delete_interview_node = DELETE_INTERVIEW_NODE
        self.prune_orphans = prune_orphans(dialect)
        # Which of the given ids exist, per label.
        self.existing_ids: dict[str, str] = {
            label: reuse(f"UNWIND $ids AS id MATCH (n:{label} {{{key}: id}}) RETURN n.{key}")
            for label, key in NODE_KEYS.items()
        }
