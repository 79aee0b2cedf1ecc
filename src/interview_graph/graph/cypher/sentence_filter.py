"""Sentences chosen by a SentenceFilter, and their counts per facet, as Cypher.

A filter's statement is assembled from fixed fragments, one per filter field that is set;
every value travels as a parameter. A field that is not set leaves no trace in the
statement, so each backend plans the statement for the filters actually asked (an index
seek on the interview, a walk from the project) instead of one plan for `$x IS NULL OR ...`.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import cache
from typing import Any

from interview_graph.graph.cypher.dialect import CypherDialect
from interview_graph.graph.port import SentenceFilter

# The step from an Analysis to each dimension's node `d`, and the value read from it. A
# topic is the sentence's own topic (level 1), not the wider window's.
_DIMENSIONS: dict[str, tuple[str, str]] = {
    "function": ("[:HAS_FUNCTION]->(d:FunctionType)", "d.name"),
    "structure": ("[:HAS_STRUCTURE]->(d:StructureType)", "d.name"),
    "purpose": ("[:HAS_PURPOSE]->(d:Purpose)", "d.name"),
    "topic": ("[:MENTIONS_TOPIC {level: 1}]->(d:Topic)", "d.name"),
    "keyword": ("[:MENTIONS_OVERALL_KEYWORD]->(d:Keyword)", "d.text"),
}
_ANALYSIS = "(s)-[:HAS_ANALYSIS]->(:Analysis)-"

# The condition each set analysis field adds: some analysis of the sentence has the value
# (a keyword: as an overall or as a domain keyword).
_ANALYSIS_CONDITIONS: dict[str, tuple[str, ...]] = {
    "function": (_ANALYSIS + "[:HAS_FUNCTION]->(:FunctionType {name: $function})",),
    "purpose": (_ANALYSIS + "[:HAS_PURPOSE]->(:Purpose {name: $purpose})",),
    "topic": (_ANALYSIS + "[:MENTIONS_TOPIC {level: 1}]->(:Topic {name: $topic})",),
    "keyword": (
        _ANALYSIS + "[:MENTIONS_OVERALL_KEYWORD]->(:Keyword {text: $keyword})",
        _ANALYSIS + "[:MENTIONS_DOMAIN_KEYWORD]->(:DomainKeyword {text: $keyword})",
    ),
}

_PROPERTY_CONDITIONS: dict[str, str] = {
    "speaker": "s.speaker = $speaker",
    "from_ms": "coalesce(s.end_ms, s.start_ms) >= $from_ms",
    "to_ms": "s.start_ms <= $to_ms",
}
_IN_PROJECT = "(:Project {name: $project})-[:CONTAINS_INTERVIEW]->(:Interview)-[:HAS_SENTENCE]->"
_TOP_VALUES = "RETURN value, sentences ORDER BY sentences DESC, value LIMIT $limit"


def filter_params(wanted: SentenceFilter) -> dict[str, Any]:
    """The filter's set fields, as the statement's parameters."""
    return {name: value for name, value in asdict(wanted).items() if value is not None}


@cache
def filtered_sentences(dialect: CypherDialect, fields: frozenset[str]) -> str:
    """MATCH ... WHERE ... binding `s` to each sentence the filter with these set `fields`
    keeps, once."""
    node = (
        "(s:Sentence {interview_id: $interview_id})" if "interview_id" in fields else "(s:Sentence)"
    )
    match = f"MATCH {_IN_PROJECT if 'project' in fields else ''}{node}"
    conditions = [_PROPERTY_CONDITIONS[f] for f in _PROPERTY_CONDITIONS if f in fields]
    for field, patterns in _ANALYSIS_CONDITIONS.items():
        if field in fields:
            conditions.append(" OR ".join(dialect.exists(p) for p in patterns))
    where = "\nWHERE " + "\n  AND ".join(f"({c})" for c in conditions) if conditions else ""
    return match + where


@cache
def facet_statements(dialect: CypherDialect, fields: frozenset[str]) -> dict[str, str]:
    """The count of kept sentences ("total") and, per facet dimension, its values with their
    sentence counts, most first, at most $limit."""
    kept = filtered_sentences(dialect, fields)
    statements = {
        "total": f"{kept}\nRETURN count(s)",
        "speaker": f"{kept}\nWITH s.speaker AS value, count(s) AS sentences\n{_TOP_VALUES}",
    }
    for dimension, (step, value) in _DIMENSIONS.items():
        statements[dimension] = (
            f"{kept}\nMATCH {_ANALYSIS}{step}\n"
            f"WITH {value} AS value, count(DISTINCT s) AS sentences\n{_TOP_VALUES}"
        )
    return statements


# --- the filter on sentences a statement has bound already (a search's candidates) ----------
# The properties first (cheap, they thin the rows); then each linked field as a walk out from
# `s` in the statement's main line, which both backends expand for a batch of rows at once (a
# pattern in a predicate is run row by row: on FalkorDB, a candidate took about ten times as
# long), keeping each sentence once.
_BOUND_PROPERTIES: dict[str, str] = {
    "interview_id": "s.interview_id = $interview_id",
    **_PROPERTY_CONDITIONS,
}
_BOUND_WALKS: dict[str, str] = {
    "project": "(s)<-[:HAS_SENTENCE]-(:Interview)<-[:CONTAINS_INTERVIEW]-(d:Project) "
    "WHERE d.name = $project",
    **{
        field: f"{_ANALYSIS}{_DIMENSIONS[field][0]} WHERE {_DIMENSIONS[field][1]} = ${field}"
        for field in ("function", "purpose", "topic")
    },
    "keyword": _ANALYSIS + "[:MENTIONS_OVERALL_KEYWORD|MENTIONS_DOMAIN_KEYWORD]->(d) "
    "WHERE d.text = $keyword",
}


@cache
def narrowing(fields: frozenset[str], carried: str) -> str:
    """Steps that keep, of the rows binding a sentence to `s` (and the other `carried`
    variables, `s` first), those whose sentence the filter with these set `fields` keeps;
    "" for none."""
    unknown = fields - set(_BOUND_PROPERTIES) - set(_BOUND_WALKS)
    if unknown:
        raise ValueError(f"unknown sentence filter fields {sorted(unknown)}")
    steps = []
    properties = [text for name, text in _BOUND_PROPERTIES.items() if name in fields]
    if properties:
        steps.append(f"WITH {carried} WHERE " + " AND ".join(properties))
    steps += [
        f"MATCH {walk} WITH DISTINCT {carried}"
        for name, walk in _BOUND_WALKS.items()
        if name in fields
    ]
    return "".join(f"\n{step}" for step in steps)
