"""Every Cypher statement the Neo4j backend runs (Neo4j 5+ dialect).

Most statements are the same text as the FalkorDB ones; the differences are the schema
statements (CREATE CONSTRAINT ... IF NOT EXISTS) and existential subqueries (`EXISTS {}`).
Labels and relationship types cannot be parameters, so per-label statements are generated here
from the fixed schema tables in `records` (never from data).
"""

from __future__ import annotations

from interview_graph.graph.records import (
    DIMENSION_RELS,
    ID_LABELS,
    NODE_KEYS,
    REL_ENDPOINTS,
    VOCABULARY_LABELS,
)

# One uniqueness constraint (and its backing index) per node key; names are stable so that
# IF NOT EXISTS makes ensure_schema idempotent.
SCHEMA: tuple[str, ...] = (
    *(
        f"CREATE CONSTRAINT {label.lower()}_{key} IF NOT EXISTS "
        f"FOR (n:{label}) REQUIRE n.{key} IS UNIQUE"
        for label, key in sorted(NODE_KEYS.items())
    ),
    # Composite index used to find a sentence's neighbour for FOLLOWS and an interview's rows.
    "CREATE INDEX sentence_interview_order IF NOT EXISTS "
    "FOR (n:Sentence) ON (n.interview_id, n.sequence_order)",
    "CREATE INDEX sentence_interview IF NOT EXISTS FOR (n:Sentence) ON (n.interview_id)",
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

WRITE_SENTENCES = """
MERGE (f:SourceFile {filename: $filename})
WITH f
UNWIND $rows AS row
MATCH (i:Interview {interview_id: row.interview_id})
MERGE (s:Sentence {sentence_id: row.sentence_id})
SET s.interview_id = row.interview_id, s.sequence_order = row.sequence_order,
    s.text = row.text, s.speaker = row.speaker, s.start_ms = row.start_ms,
    s.end_ms = row.end_ms, s.start_char = row.start_char, s.end_char = row.end_char
MERGE (i)-[:HAS_SENTENCE]->(s)
MERGE (s)-[:PART_OF_FILE]->(f)
RETURN count(s)
"""

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
FOREACH (t IN row.topics |
  MERGE (tn:Topic {name: t.name})
  MERGE (a)-[rt:MENTIONS_TOPIC {rank: t.rank}]->(tn)
  SET rt.level = t.level, rt.confidence = t.confidence)
FOREACH (k IN row.keywords |
  MERGE (kn:Keyword {text: k.text})
  MERGE (a)-[rk:MENTIONS_OVERALL_KEYWORD {rank: k.rank}]->(kn)
  SET rk.confidence = k.confidence)
FOREACH (k IN row.domain_keywords |
  MERGE (dn:DomainKeyword {text: k.text})
  MERGE (a)-[rd:MENTIONS_DOMAIN_KEYWORD {rank: k.rank}]->(dn)
  SET rd.confidence = k.confidence)
RETURN count(a)
"""

# --- fast path: rows whose node does not exist yet (the common case, a new file) -----------
# Nothing points at a node created in this batch, so its relationships are CREATEd, not
# MERGEd, and there is nothing stale to delete. The adapter checks existence per batch first.

CREATE_SENTENCES = """
MERGE (f:SourceFile {filename: $filename})
WITH f
UNWIND $rows AS row
MATCH (i:Interview {interview_id: row.interview_id})
CREATE (s:Sentence {sentence_id: row.sentence_id, interview_id: row.interview_id,
    sequence_order: row.sequence_order, text: row.text, speaker: row.speaker,
    start_ms: row.start_ms, end_ms: row.end_ms, start_char: row.start_char,
    end_char: row.end_char})
CREATE (i)-[:HAS_SENTENCE]->(s)
CREATE (s)-[:PART_OF_FILE]->(f)
RETURN count(s)
"""

# FOLLOWS from or to a sentence created in this batch cannot exist yet.
CREATE_PAIRS = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (p:Sentence {sentence_id: row.previous_id})
CREATE (s)-[:FOLLOWS]->(p)
"""

CREATE_PREVIOUS = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (p:Sentence {interview_id: row.interview_id, sequence_order: row.sequence_order - 1})
CREATE (s)-[:FOLLOWS]->(p)
"""

CREATE_NEXT = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (n:Sentence {interview_id: row.interview_id, sequence_order: row.sequence_order + 1})
CREATE (n)-[:FOLLOWS]->(s)
"""

# Dimension nodes are shared: MERGEd once per distinct value of the batch, not once per row.
MERGE_DIMENSIONS = """
FOREACH (name IN $function_types | MERGE (:FunctionType {name: name}))
FOREACH (name IN $structure_types | MERGE (:StructureType {name: name}))
FOREACH (name IN $purposes | MERGE (:Purpose {name: name}))
FOREACH (name IN $topics | MERGE (:Topic {name: name}))
FOREACH (text IN $keywords | MERGE (:Keyword {text: text}))
FOREACH (text IN $domain_keywords | MERGE (:DomainKeyword {text: text}))
"""

CREATE_ANALYSES = """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (ft:FunctionType {name: row.function_type})
MATCH (st:StructureType {name: row.structure_type})
MATCH (pu:Purpose {name: row.purpose})
CREATE (a:Analysis {analysis_id: row.analysis_id, created_at: row.created_at,
    sentence_id: row.sentence_id, model: row.model, model_version: row.model_version,
    confidence: row.confidence, confidence_keys: row.confidence_keys,
    confidence_values: row.confidence_values})
CREATE (s)-[:HAS_ANALYSIS]->(a)
CREATE (a)-[:HAS_FUNCTION {confidence: row.function_confidence}]->(ft)
CREATE (a)-[:HAS_STRUCTURE {confidence: row.structure_confidence}]->(st)
CREATE (a)-[:HAS_PURPOSE {confidence: row.purpose_confidence}]->(pu)
WITH a, row
CALL (a, row) {
  UNWIND row.topics AS t
  MATCH (tn:Topic {name: t.name})
  CREATE (a)-[:MENTIONS_TOPIC {rank: t.rank, level: t.level, confidence: t.confidence}]->(tn)}
CALL (a, row) {
  UNWIND row.keywords AS k
  MATCH (kn:Keyword {text: k.text})
  CREATE (a)-[:MENTIONS_OVERALL_KEYWORD {rank: k.rank, confidence: k.confidence}]->(kn)}
CALL (a, row) {
  UNWIND row.domain_keywords AS k
  MATCH (dn:DomainKeyword {text: k.text})
  CREATE (a)-[:MENTIONS_DOMAIN_KEYWORD {rank: k.rank, confidence: k.confidence}]->(dn)}
RETURN count(a)
"""

# Deletes run in bounded chunks (the adapter loops until a chunk deletes nothing).
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

# Shared nodes nobody points to any more (dimension nodes, source files) and empty projects.
PRUNE_ORPHANS: tuple[str, ...] = (
    *(
        f"MATCH (n:{label}) WHERE NOT EXISTS {{ (n)<--() }} DELETE n RETURN count(n)"
        for label in VOCABULARY_LABELS
    ),
    "MATCH (n:Project) WHERE NOT EXISTS { (n)-->() } DELETE n RETURN count(n)",
)

# Which of the given ids exist, per label.
EXISTING_IDS: dict[str, str] = {
    label: f"UNWIND $ids AS id MATCH (n:{label} {{{key}: id}}) RETURN n.{key}"
    for label, key in NODE_KEYS.items()
}

LIST_INTERVIEWS = """
MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview)
OPTIONAL MATCH (i)-[:HAS_SENTENCE]->(s:Sentence)
WITH p, i, count(s) AS sentence_count
OPTIONAL MATCH (i)-[:HAS_SENTENCE]->(:Sentence)-[:HAS_ANALYSIS]->(a:Analysis)
RETURN i.interview_id, p.project_id, p.name, i.title, i.filename, i.status,
       sentence_count, count(a), i.created_at
"""

GET_INTERVIEW = """
MATCH (p:Project)-[:CONTAINS_INTERVIEW]->(i:Interview {interview_id: $interview_id})
RETURN properties(i), p.name
"""

# Reads return plain columns (no maps): cheaper to produce and to parse on both backends.
GET_SENTENCES = """
MATCH (s:Sentence {interview_id: $interview_id})
RETURN s.sentence_id, s.interview_id, s.sequence_order, s.text, s.speaker, s.start_ms,
       s.end_ms, s.start_char, s.end_char
ORDER BY s.sequence_order
"""

GET_ANALYSES = """
MATCH (s:Sentence {interview_id: $interview_id})-[:HAS_ANALYSIS]->(a:Analysis)
RETURN s.sentence_id, a.analysis_id, a.model, a.model_version, a.created_at,
       a.confidence_keys, a.confidence_values
"""

GET_ANALYSIS_DIMENSIONS = """
MATCH (s:Sentence {interview_id: $interview_id})-[:HAS_ANALYSIS]->(a:Analysis)-[r]->(d)
RETURN a.analysis_id, type(r), r.rank, r.level, coalesce(d.name, d.text)
"""

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


# Id-keyed labels: paged by key in database order. Vocabulary labels: read whole, sorted later.
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


# Relationships: paged by start node key (all start labels are id-keyed).
EXPORT_RELS: dict[tuple[str, bool], str] = {
    (rel, scoped): _rel_page(rel, scoped) for rel in REL_ENDPOINTS for scoped in (False, True)
}
