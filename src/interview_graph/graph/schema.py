"""The graph's schema, shared by both backends: labels and their keys, relationship types and
their endpoints, and how an analysis' dimensions map onto nodes and relationships.

Labels and relationship types cannot be query parameters, so every per-label statement is
generated from these fixed tables (never from data).
"""

from __future__ import annotations

# Label -> the property that identifies a node of that label (a uniqueness constraint each).
NODE_KEYS: dict[str, str] = {
    "Analysis": "analysis_id",
    "DomainKeyword": "text",
    "FunctionType": "name",
    "Interview": "interview_id",
    "Keyword": "text",
    "Project": "project_id",
    "Purpose": "name",
    "Sentence": "sentence_id",
    "SourceFile": "filename",
    "StructureType": "name",
    "Topic": "name",
}

# Labels whose keys are generated ids (ASCII uuids), under a unique constraint. The other
# labels are keyed by free text: small vocabularies and file names.
ID_LABELS: tuple[str, ...] = ("Analysis", "Interview", "Project", "Sentence")
VOCABULARY_LABELS: tuple[str, ...] = tuple(sorted(set(NODE_KEYS) - set(ID_LABELS)))

# Relationship type -> (start label, end label).
REL_ENDPOINTS: dict[str, tuple[str, str]] = {
    "CONTAINS_INTERVIEW": ("Project", "Interview"),
    "FOLLOWS": ("Sentence", "Sentence"),
    "HAS_ANALYSIS": ("Sentence", "Analysis"),
    "HAS_FUNCTION": ("Analysis", "FunctionType"),
    "HAS_PURPOSE": ("Analysis", "Purpose"),
    "HAS_SENTENCE": ("Interview", "Sentence"),
    "HAS_STRUCTURE": ("Analysis", "StructureType"),
    "MENTIONS_DOMAIN_KEYWORD": ("Analysis", "DomainKeyword"),
    "MENTIONS_OVERALL_KEYWORD": ("Analysis", "Keyword"),
    "MENTIONS_TOPIC": ("Analysis", "Topic"),
    "PART_OF_FILE": ("Sentence", "SourceFile"),
}

# Relationships from an Analysis to its dimension nodes; rewritten as a whole on re-analysis.
DIMENSION_RELS: tuple[str, ...] = (
    "HAS_FUNCTION",
    "HAS_PURPOSE",
    "HAS_STRUCTURE",
    "MENTIONS_DOMAIN_KEYWORD",
    "MENTIONS_OVERALL_KEYWORD",
    "MENTIONS_TOPIC",
)

# Parameter name of each dimension's distinct values when new analyses are created ->
# (label, key, the write row's field that names the target(s)).
DIMENSION_PARAMS: dict[str, tuple[str, str, str]] = {
    "function_types": ("FunctionType", "name", "function_type"),
    "structure_types": ("StructureType", "name", "structure_type"),
    "purposes": ("Purpose", "name", "purpose"),
    "topics": ("Topic", "name", "topics"),
    "keywords": ("Keyword", "text", "keywords"),
    "domain_keywords": ("DomainKeyword", "text", "domain_keywords"),
}

# The list dimensions (write row field -> column prefix). When new analyses are created, their
# relationships travel as flat columns, one entry per relationship: `<prefix>_at` (the
# analysis' position in the rows), `<prefix>_node` (the target's position in the dimension's
# distinct values) and `<prefix>_rank`; topics add `topic_level`. Flat integer lists are cheap
# to encode and parse, and the server creates the relationships in one pass per dimension
# instead of one nested loop per row.
LINK_COLUMNS: dict[str, str] = {
    "topics": "topic",
    "keywords": "keyword",
    "domain_keywords": "domain_keyword",
}

# Properties left out of the canonical export: when a fact was first written, not the fact;
# and what a backend derives from the facts for its own indexes (the words FalkorDB's
# full-text index reads, graph.cypher.fulltext).
VOLATILE_PROPERTIES: frozenset[str] = frozenset({"created_at"})
INDEX_PROPERTIES: frozenset[str] = frozenset({"search_text"})
