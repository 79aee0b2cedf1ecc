"""A batch of write rows -> the statements that write it (a plan), for both backends.

A batch is split by what the graph already holds: rows whose node is new take the CREATE
statements (nothing can point at a node that does not exist, so no MERGE on relationships and
no stale deletes); rows whose node exists (re-processing, or a run that crashed midway) take
the idempotent MERGE statements. Either way the graph ends up the same.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from interview_graph.graph.cypher.writes import WriteStatements
from interview_graph.graph.schema import DIMENSION_PARAMS, LINK_COLUMNS
from interview_graph.graph.write_rows import Row, follows_links, write_row_keep

Statement = tuple[str, Mapping[str, Any]]
# Runs one statement inside a store's unit of work (a transaction on Neo4j); its rows.
RunQuery = Callable[[str, Mapping[str, Any]], Awaitable[list[list[Any]]]]

_SINGLE_DIMENSIONS = ("function_type", "structure_type", "purpose")
_LINK_FIELDS = ("at", "node", "rank")
# Row fields that travel as link columns instead.
_ROW_LISTS = frozenset({*LINK_COLUMNS, "topic_levels"})


@dataclass(frozen=True, slots=True)
class BatchPlan:
    """The statements of one batch, run in order.

    `counted`: indexes of statements whose first column counts rows written (summed, it must
    equal the batch size, or rows referred to nodes that are missing). `stale`: indexes of
    statements whose first column counts stale relationships deleted (shared nodes may then be
    orphaned).
    """

    statements: list[Statement]
    counted: frozenset[int]
    stale: frozenset[int] = frozenset()

    def total(self, results: Sequence[Sequence[Sequence[Any]]], which: frozenset[int]) -> int:
        return sum(int(results[i][0][0]) for i in which if results[i])


def split_existing(
    rows: Sequence[Row], key: str, existing: set[str]
) -> tuple[list[Row], list[Row]]:
    """(rows whose node is new, rows whose node exists); a repeated id counts as existing the
    second time, so one batch never CREATEs the same node twice."""
    new: list[Row] = []
    old: list[Row] = []
    seen = set(existing)
    for row in rows:
        (old if row[key] in seen else new).append(row)
        seen.add(row[key])
    return new, old


def sentence_plan(
    cypher: WriteStatements, rows: Sequence[Row], filename: str, existing: set[str]
) -> BatchPlan:
    """New sentences are CREATEd, one statement per interview, together with their FOLLOWS
    links (inside the batch by position, to the batch's neighbours by lookup); existing ones
    are MERGEd, and only they can have a stale PART_OF_FILE or FOLLOWS links that exist
    already. A link from a new to an existing sentence of the batch cannot exist yet: it is
    CREATEd once both are written."""
    new, old = split_existing(rows, "sentence_id", existing)
    pairs, heads, tails = follows_links(rows)
    groups = rows_by_interview(new)
    statements: list[Statement] = [
        (
            cypher.create_sentences,
            _create_params(interview_id, group, filename, pairs, heads, tails),
        )
        for interview_id, group in groups.items()
    ]
    if old:
        statements.append((cypher.write_sentences, {"rows": old, "filename": filename}))
    counted = frozenset(range(len(statements)))
    if old:
        ids = [row["sentence_id"] for row in old]
        statements.append((cypher.delete_stale_source_files, {"ids": ids, "filename": filename}))
    new_ids = {row["sentence_id"] for row in new}
    fresh = [p for p in pairs if p["sentence_id"] in new_ids and p["previous_id"] not in new_ids]
    statements += [(cypher.create_pairs, {"rows": fresh})] if fresh else []
    for links, merge in (
        (pairs, cypher.link_pairs),
        (heads, cypher.link_previous),
        (tails, cypher.link_next),
    ):
        known = [link for link in links if link["sentence_id"] not in new_ids]
        statements += [(merge, {"rows": known})] if known else []
    return BatchPlan(statements, counted)


def rows_by_interview(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """Sentence rows grouped by interview, in first-seen order."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        groups.setdefault(row["interview_id"], []).append(row)
    return groups


def _create_params(
    interview_id: str,
    rows: list[Row],
    filename: str,
    pairs: Sequence[Mapping[str, Any]],
    heads: Sequence[Mapping[str, Any]],
    tails: Sequence[Mapping[str, Any]],
) -> Row:
    """create_sentences parameters for the new rows of one interview. FOLLOWS links inside the
    batch as two columns of positions in `rows` (`pair_at` follows `pair_previous`); `heads` /
    `tails` {at, order} for a row whose predecessor / successor (at sequence_order `order`) is
    outside the batch."""
    at = {row["sentence_id"]: n for n, row in enumerate(rows)}
    inside = [p for p in pairs if p["sentence_id"] in at and p["previous_id"] in at]
    return {
        "interview_id": interview_id,
        "filename": filename,
        "rows": rows,
        "pair_at": [at[p["sentence_id"]] for p in inside],
        "pair_previous": [at[p["previous_id"]] for p in inside],
        "heads": [
            {"at": at[h["sentence_id"]], "order": h["sequence_order"] - 1}
            for h in heads
            if h["sentence_id"] in at
        ],
        "tails": [
            {"at": at[t["sentence_id"]], "order": t["sequence_order"] + 1}
            for t in tails
            if t["sentence_id"] in at
        ],
    }


def create_analyses_params(rows: Sequence[Mapping[str, Any]]) -> Row:
    """create_analyses parameters for new analyses: each dimension's distinct values (MERGEd
    once per batch, not once per row); the rows, naming their single-valued dimensions by
    position in those lists; the list dimensions' relationships as columns (LINK_COLUMNS)."""
    tables: dict[str, dict[str, int]] = {field: {} for _, _, field in DIMENSION_PARAMS.values()}
    links: dict[str, list[Any]] = {
        f"{prefix}_{column}": [] for prefix in LINK_COLUMNS.values() for column in _LINK_FIELDS
    }
    links["topic_level"] = []
    out_rows: list[Row] = []
    for at, row in enumerate(rows):
        out = {key: value for key, value in row.items() if key not in _ROW_LISTS}
        for field in _SINGLE_DIMENSIONS:
            table = tables[field]
            out[field] = table.setdefault(row[field], len(table))
        for field, prefix in LINK_COLUMNS.items():
            table = tables[field]
            targets = row[field]
            links[f"{prefix}_at"] += [at] * len(targets)
            links[f"{prefix}_node"] += [table.setdefault(value, len(table)) for value in targets]
            links[f"{prefix}_rank"] += range(len(targets))
        links["topic_level"] += row["topic_levels"]
        out_rows.append(out)
    params: Row = {name: list(tables[field]) for name, (_, _, field) in DIMENSION_PARAMS.items()}
    params["rows"] = out_rows
    params.update(links)
    return params


def analysis_plan(cypher: WriteStatements, rows: Sequence[Row], existing: set[str]) -> BatchPlan:
    """New analyses: one statement MERGEs the batch's distinct dimension values, then CREATEs
    the analyses and their relationships. Existing ones: stale relationships deleted (only
    their ids and signatures are sent), then MERGEd."""
    new, old = split_existing(rows, "analysis_id", existing)
    statements: list[Statement] = []
    if old:
        keep = [{"analysis_id": row["analysis_id"], "keep": write_row_keep(row)} for row in old]
        statements.append((cypher.delete_stale_dimensions, {"rows": keep}))
    stale = frozenset(range(len(statements)))
    counted: set[int] = set()
    if new:
        counted.add(len(statements))
        statements.append((cypher.create_analyses, create_analyses_params(new)))
    if old:
        counted.add(len(statements))
        statements.append((cypher.write_analyses, {"rows": old}))
    return BatchPlan(statements, frozenset(counted), stale)
