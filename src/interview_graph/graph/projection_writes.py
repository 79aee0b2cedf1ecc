"""Projected batches as rows, and their write inside one transaction, for both backends.

The rows are made by the pipeline's own row builders (graph.write_rows) and, in a transaction,
written by the pipeline's own write plans (graph.write_plans), so a projected graph holds
exactly what processing the files would have written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from interview_graph.graph.cypher import CypherStatements
from interview_graph.graph.cypher.writes import WriteStatements
from interview_graph.graph.port import GraphStoreError
from interview_graph.graph.write_plans import (
    BatchPlan,
    RunQuery,
    analysis_plan,
    rows_by_interview,
    sentence_plan,
)
from interview_graph.graph.write_rows import (
    analysis_write_row,
    follows_links,
    interview_params,
    sentence_row,
)
from interview_graph.projection.port import PreparedBatch, ProjectionBatch, ProjectionCheckpoint


def projection_params(
    batch: ProjectionBatch, checkpoint: ProjectionCheckpoint, *, index_text: bool = False
) -> dict[str, Any]:
    """The batch as rows, one list per kind, with the checkpoint it reaches (`index_text`:
    see write_rows.sentence_row)."""
    sentence_rows = [sentence_row(s, index_text=index_text) for s in batch.sentences]
    pairs, heads, tails = follows_links(sentence_rows)
    return {
        "interviews": [interview_params(i) for i in batch.interviews],
        "sentences": sentence_rows,
        "pairs": pairs,
        "heads": heads,
        "tails": tails,
        "analyses": [analysis_write_row(a) for a in batch.analyses],
        "statuses": [{"interview_id": k, "status": str(v)} for k, v in batch.statuses.items()],
        "name": checkpoint.name,
        "position": checkpoint.position,
    }


def parents_to_check(params: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(interview ids, sentence ids) the batch refers to without writing them itself."""
    in_batch = {row["interview_id"] for row in params["interviews"]}
    interviews = sorted({row["interview_id"] for row in params["sentences"]} - in_batch)
    sentences_in_batch = {row["sentence_id"] for row in params["sentences"]}
    sentences = sorted({row["sentence_id"] for row in params["analyses"]} - sentences_in_batch)
    return interviews, sentences


def refuse_missing_parents(
    location: str,
    checkpoint: ProjectionCheckpoint,
    missing_interviews: Sequence[str],
    missing_sentences: Sequence[str],
) -> None:
    """Refuse a batch whose parents are neither in it nor in the graph: its checkpoint must
    not move past facts that could not be written."""
    if not missing_interviews and not missing_sentences:
        return
    raise GraphStoreError(
        f"{location}: projection {checkpoint.name!r} batch up to position "
        f"{checkpoint.position} refers to interviews {list(missing_interviews)[:5]} and "
        f"sentences {list(missing_sentences)[:5]} that are neither in the batch nor in the "
        "graph (their InterviewCreated/SentenceCreated events are missing or later in the "
        "log); nothing was written. Run `interview-graph verify` on the source."
    )


def projection_plans(
    cypher: WriteStatements,
    params: Mapping[str, Any],
    filenames: Mapping[str, str],
    existing_sentences: set[str],
    existing_analyses: set[str],
) -> list[tuple[BatchPlan, int]]:
    """The pipeline's write plans for a batch, each with the rows it must write: one sentence
    plan per interview (a plan writes one file's sentences), then one analysis plan.
    `filenames`: interview id -> file, for the interviews of the batch's sentences."""
    plans = [
        (sentence_plan(cypher, rows, filenames[interview_id], existing_sentences), len(rows))
        for interview_id, rows in rows_by_interview(params["sentences"]).items()
    ]
    if params["analyses"]:
        analyses = params["analyses"]
        plans.append((analysis_plan(cypher, analyses, existing_analyses), len(analyses)))
    return plans


def checkpoint_position(rows: list[list[Any]]) -> int | None:
    """The position in a READ_CHECKPOINT reply (the checkpoint node's properties)."""
    if not rows:
        return None
    position = rows[0][0].get("position")
    return None if position is None else int(position)


async def write_projected_rows(
    cypher: CypherStatements,
    location: str,
    batch: PreparedBatch,
    parents: tuple[list[str], list[str]],
    run: RunQuery,
    *,
    all_new: bool,
) -> None:
    """A prepared batch and its checkpoint, written with `run` inside one transaction.

    The parents (parents_to_check) are looked up first and a batch missing one is refused.
    Then the pipeline's write plans run: rows whose nodes are new (a rebuild) are CREATEd
    with their relationships and each distinct dimension value is MERGEd once per batch, not
    once per row. `all_new` plans every row as new without asking the graph; a node that
    exists then makes its unique constraint refuse the CREATE (NodeExistsError).
    """
    params = batch.params
    interview_ids, sentence_ids = parents

    async def found(query: str, ids: list[str]) -> list[list[Any]]:
        return await run(query, {"ids": ids}) if ids else []

    rows = await found(cypher.projection.interview_filenames, interview_ids)
    batch_files = {row["interview_id"]: row["filename"] for row in params["interviews"]}
    filenames = {**{str(i): str(f) for i, f in rows}, **batch_files}
    known = {
        str(row[0]) for row in await found(cypher.writes.existing_ids["Sentence"], sentence_ids)
    }
    refuse_missing_parents(
        location,
        batch.checkpoint,
        [i for i in interview_ids if i not in filenames],
        [s for s in sentence_ids if s not in known],
    )
    batch_ids = {
        "Sentence": [row["sentence_id"] for row in params["sentences"]],
        "Analysis": [row["analysis_id"] for row in params["analyses"]],
    }
    existing: dict[str, set[str]] = {label: set() for label in batch_ids}
    if not all_new:
        for label, ids in batch_ids.items():
            query = cypher.writes.existing_ids[label]
            existing[label] = {str(row[0]) for row in await found(query, ids)}
    await _write_rows(cypher, location, batch, filenames, existing, run)


async def _write_rows(
    cypher: CypherStatements,
    location: str,
    batch: PreparedBatch,
    filenames: Mapping[str, str],
    existing: Mapping[str, set[str]],
    run: RunQuery,
) -> None:
    params, checkpoint = batch.params, batch.checkpoint
    if params["interviews"]:
        await run(cypher.projection.project_interviews, {"interviews": params["interviews"]})
    plans = projection_plans(
        cypher.writes, params, filenames, existing["Sentence"], existing["Analysis"]
    )
    stale = 0
    for plan, rows in plans:
        results = [await run(query, values) for query, values in plan.statements]
        stale += plan.total(results, plan.stale)
        written = plan.total(results, plan.counted)
        if written != rows:  # parents were checked: a bug, so the transaction is undone
            raise GraphStoreError(
                f"{location}: projection {checkpoint.name!r} batch up to position "
                f"{checkpoint.position} wrote {written} of {rows} rows; nothing was kept"
            )
    if stale:
        for query in cypher.writes.prune_orphans:
            await run(query, {})
    if params["statuses"]:
        await run(cypher.projection.project_statuses, {"statuses": params["statuses"]})
    await run(
        cypher.projection.save_checkpoint,
        {"name": checkpoint.name, "position": checkpoint.position},
    )
