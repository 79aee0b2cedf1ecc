"""Every Cypher statement the Neo4j backend runs (Neo4j 5+ dialect).

Most statements are the same text as the FalkorDB ones; the differences are the schema
statements (CREATE CONSTRAINT ... IF NOT EXISTS), existential subqueries (`EXISTS {}`) and the
`CYPHER replan=skip` option of the statements written on every batch (see REUSE_PLAN).
Labels and relationship types cannot be parameters, so per-label statements are generated here
from the fixed schema tables in `records` (never from data).
"""

from __future__ import annotations

from interview_graph.graph.records import (
    DIMENSION_PARAMS,
    DIMENSION_RELS,
    ID_LABELS,
    LINK_COLUMNS,
    NODE_KEYS,
    REL_ENDPOINTS,
    VOCABULARY_LABELS,
)

# The statements written on every batch keep the plan they were first given. Neo4j re-plans
# a cached statement when the store's statistics drift (a new database growing from empty
# drifts on every file), and a profile of the write path on a fresh server showed that
# re-planning at about a tenth of its CPU. Each statement wrapped in `_reuse_plan` reaches its
# nodes through unique-key or (interview, order) index seeks, which no statistics improve.
REUSE_PLAN = "CYPHER replan=skip\n"


def _reuse_plan(query: str) -> str:
    return REUSE_PLAN + query.lstrip("\n")


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

WRITE_INTERVIEW = _reuse_plan(
    """
MERGE (p:Project {project_id: $project_id})
SET p.name = $project_name
MERGE (i:Interview {interview_id: $interview_id})
ON CREATE SET i.created_at = $created_at
SET i.project_id = $project_id, i.title = $title, i.source = $source,
    i.filename = $filename, i.language = $language, i.status = $status,
    i.content_sha256 = $content_sha256, i.date = $date, i.participants = $participants
MERGE (p)-[:CONTAINS_INTERVIEW]->(i)
"""
)

WRITE_SENTENCES = _reuse_plan(
    """
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
)

# A sentence re-written under another filename (renamed file, same content) keeps one file.
# Planned from the sentence (an id seek): a plan starting at the shared SourceFile node would
# walk every sentence of that file for every row.
DELETE_STALE_SOURCE_FILES = _reuse_plan(
    """
UNWIND $ids AS id
MATCH (s:Sentence {sentence_id: id})
WITH s
MATCH (s)-[r:PART_OF_FILE]->(f)
WHERE f.filename <> $filename
DELETE r
RETURN count(r)
"""
)

LINK_PAIRS = _reuse_plan(
    """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (p:Sentence {sentence_id: row.previous_id})
MERGE (s)-[:FOLLOWS]->(p)
"""
)

LINK_PREVIOUS = _reuse_plan(
    """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (p:Sentence {interview_id: row.interview_id, sequence_order: row.sequence_order - 1})
MERGE (s)-[:FOLLOWS]->(p)
"""
)

LINK_NEXT = _reuse_plan(
    """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (n:Sentence {interview_id: row.interview_id, sequence_order: row.sequence_order + 1})
MERGE (n)-[:FOLLOWS]->(s)
"""
)

_DIMENSION_TYPES = "|".join(DIMENSION_RELS)

DELETE_STALE_DIMENSIONS = _reuse_plan(
    f"""
UNWIND $rows AS row
MATCH (a:Analysis {{analysis_id: row.analysis_id}})-[r:{_DIMENSION_TYPES}]->(d)
WHERE NOT (type(r) + '|' + coalesce(toString(r.rank), '') + '|' + coalesce(d.name, d.text))
      IN row.keep
DELETE r
RETURN count(r)
"""
)

# Rows are records.analysis_write_row: a dimension's targets are a list (rank = position).
WRITE_ANALYSES = _reuse_plan(
    """
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
)

# --- fast path: rows whose node does not exist yet (the common case, a new file) -----------
# Nothing points at a node created in this batch, so its relationships are CREATEd, not
# MERGEd, and there is nothing stale to delete. The adapter tries this path first (the unique
# constraints refuse it if a node exists).

# One interview's new sentences (records.sentence_plan) with their FOLLOWS links: inside the
# batch by position in $rows (no lookups), to the sentences before and after the batch by
# (interview, order). The interview is matched once: if it is missing nothing is written and
# the count (0) reports it.
CREATE_SENTENCES = _reuse_plan(
    """
MATCH (i:Interview {interview_id: $interview_id})
MERGE (f:SourceFile {filename: $filename})
WITH i, f
UNWIND range(0, size($rows) - 1) AS at
WITH i, f, at, $rows[at] AS row
CREATE (s:Sentence {sentence_id: row.sentence_id, interview_id: row.interview_id,
    sequence_order: row.sequence_order, text: row.text, speaker: row.speaker,
    start_ms: row.start_ms, end_ms: row.end_ms, start_char: row.start_char,
    end_char: row.end_char})
CREATE (i)-[:HAS_SENTENCE]->(s)
CREATE (s)-[:PART_OF_FILE]->(f)
WITH at, s ORDER BY at
WITH collect(s) AS created
CALL (created) {
  UNWIND CASE WHEN size(created) = 0 THEN [] ELSE range(0, size($pair_at) - 1) END AS k
  WITH created[$pair_at[k]] AS s, created[$pair_previous[k]] AS p
  CREATE (s)-[:FOLLOWS]->(p)
}
CALL (created) {
  UNWIND CASE WHEN size(created) = 0 THEN [] ELSE $heads END AS head
  WITH created[head.at] AS s, head.order AS order
  MATCH (p:Sentence {interview_id: $interview_id, sequence_order: order})
  CREATE (s)-[:FOLLOWS]->(p)
}
CALL (created) {
  UNWIND CASE WHEN size(created) = 0 THEN [] ELSE $tails END AS tail
  WITH created[tail.at] AS s, tail.order AS order
  MATCH (n:Sentence {interview_id: $interview_id, sequence_order: order})
  CREATE (n)-[:FOLLOWS]->(s)
}
RETURN size(created)
"""
)

# A new sentence following an existing one of the same batch (a crashed run's rest).
CREATE_PAIRS = _reuse_plan(
    """
UNWIND $rows AS row
MATCH (s:Sentence {sentence_id: row.sentence_id})
MATCH (p:Sentence {sentence_id: row.previous_id})
CREATE (s)-[:FOLLOWS]->(p)
"""
)


def _merge_distinct(param: str) -> str:
    """MERGE each distinct value of $param once; the nodes in the order of the list (the
    order is made explicit, as on FalkorDB, rather than assumed from the runtime)."""
    label, key, _ = DIMENSION_PARAMS[param]
    return (
        f"CALL () {{ UNWIND range(0, size(${param}) - 1) AS at "
        f"MERGE (n:{label} {{{key}: ${param}[at]}}) "
        f"WITH at, n ORDER BY at RETURN collect(n) AS {param}_nodes }}"
    )


# List dimensions -> (relationship type, extra relationship properties from link columns).
_LINKS: dict[str, tuple[str, str]] = {
    "topics": ("MENTIONS_TOPIC", "level: $topic_level[i], "),
    "keywords": ("MENTIONS_OVERALL_KEYWORD", ""),
    "domain_keywords": ("MENTIONS_DOMAIN_KEYWORD", ""),
}


def _create_links(field: str) -> str:
    """CREATE a list dimension's relationships from its link columns (records.LINK_COLUMNS):
    the analysis and the target by position, rank (and level) per link, confidence per row."""
    prefix, (rel_type, extra) = LINK_COLUMNS[field], _LINKS[field]
    return (
        f"CALL (created, {field}_nodes) {{ "
        f"UNWIND range(0, size(${prefix}_at) - 1) AS i "
        f"WITH created[${prefix}_at[i]] AS a, {field}_nodes[${prefix}_node[i]] AS target, i "
        f"CREATE (a)-[:{rel_type} {{rank: ${prefix}_rank[i], {extra}"
        f"confidence: $rows[${prefix}_at[i]].{prefix}_confidence}}]->(target) }}"
    )


# New analyses (records.create_analyses_params). All-or-nothing: unless every row's sentence
# exists, nothing is written (the count, none, reports it). Then the shared dimension nodes
# are MERGEd once per distinct value of the batch, and every row picks its targets by
# position: no per-row MERGE or lookup. The list dimensions' relationships are created from
# flat columns, one pass per dimension, after the analyses (collected in row order).
CREATE_ANALYSES = _reuse_plan(
    """
CALL () { UNWIND $rows AS row MATCH (s:Sentence {sentence_id: row.sentence_id})
  RETURN count(s) AS found }
WITH found WHERE found = size($rows)
"""
    + "\n".join(_merge_distinct(param) for param in DIMENSION_PARAMS)
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
    + "\n".join(_create_links(field) for field in LINK_COLUMNS)
    + """
RETURN size(created)
"""
)

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

SET_STATUS = _reuse_plan(
    """
MATCH (i:Interview {interview_id: $interview_id})
SET i.status = $status
RETURN count(i)
"""
)

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
    label: _reuse_plan(f"UNWIND $ids AS id MATCH (n:{label} {{{key}: id}}) RETURN n.{key}")
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
# Each of an interview's reads is ONE record holding a list of rows (the columns of
# records.SENTENCE_COLUMNS, ANALYSIS_COLUMNS and DimensionRow): the async driver pays an event
# loop round per record received, which made one record per row cost more than the query.
GET_SENTENCES = """
MATCH (s:Sentence {interview_id: $interview_id})
WITH s ORDER BY s.sequence_order
RETURN collect([s.sentence_id, s.interview_id, s.sequence_order, s.text, s.speaker,
                s.start_ms, s.end_ms, s.start_char, s.end_char])
"""

GET_ANALYSES = """
MATCH (s:Sentence {interview_id: $interview_id})-[:HAS_ANALYSIS]->(a:Analysis)
RETURN collect([s.sentence_id, a.analysis_id, a.model, a.model_version, a.created_at,
                a.confidence_keys, a.confidence_values])
"""

GET_ANALYSIS_DIMENSIONS = """
MATCH (s:Sentence {interview_id: $interview_id})-[:HAS_ANALYSIS]->(a:Analysis)-[r]->(d)
RETURN collect([a.analysis_id, type(r), r.rank, r.level, coalesce(d.name, d.text)])
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


# --- projection (projection/targets.py): batches rebuilt from the event log ---------------
# Each batch is written with the `ProjectionCheckpoint {name, position}` node it reaches; the
# label is not in records.NODE_KEYS, so `export` and `stats` never show it.

PROJECT_INTERVIEWS = _reuse_plan(
    """
UNWIND $interviews AS row
MERGE (p:Project {project_id: row.project_id})
SET p.name = row.project_name
MERGE (i:Interview {interview_id: row.interview_id})
ON CREATE SET i.created_at = row.created_at
SET i.project_id = row.project_id, i.title = row.title, i.source = row.source,
    i.filename = row.filename, i.language = row.language, i.status = row.status,
    i.content_sha256 = row.content_sha256, i.date = row.date, i.participants = row.participants
MERGE (p)-[:CONTAINS_INTERVIEW]->(i)
"""
)

PROJECT_STATUSES = _reuse_plan(
    """
UNWIND $statuses AS row
MATCH (i:Interview {interview_id: row.interview_id})
SET i.status = row.status
"""
)

SAVE_CHECKPOINT = _reuse_plan(
    """
MERGE (c:ProjectionCheckpoint {name: $name})
SET c.position = $position
RETURN c.position
"""
)

# properties(): a database that never saw the label answers without a warning.
READ_CHECKPOINT = "MATCH (c:ProjectionCheckpoint {name: $name}) RETURN properties(c)"

# A rebuild empties its target first, in bounded chunks.
WIPE = "MATCH (n) WITH n LIMIT $chunk DETACH DELETE n RETURN count(n)"

# The file of each interview a batch's sentences belong to (and so, which of them exist).
INTERVIEW_FILENAMES = _reuse_plan(
    "UNWIND $ids AS id MATCH (i:Interview {interview_id: id}) RETURN i.interview_id, i.filename"
)

# Also makes the label known, so reading a checkpoint before the first batch draws no warning.
CHECKPOINT_CONSTRAINT = (
    "CREATE CONSTRAINT projectioncheckpoint_name IF NOT EXISTS "
    "FOR (n:ProjectionCheckpoint) REQUIRE n.name IS UNIQUE"
)
