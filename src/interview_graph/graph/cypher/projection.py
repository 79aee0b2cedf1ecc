"""The statements of projected batches (batches rebuilt from the event log).

Each batch is written with the `ProjectionCheckpoint {name, position}` node it reaches; the
label is not in schema.NODE_KEYS, so `export` and `stats` never show it. A store whose
transactions span several statements runs the pipeline's write plans for a batch; one whose
unit of atomicity is a single statement (FalkorDB) runs PROJECT_BATCH.
"""

from __future__ import annotations

from interview_graph.graph.cypher.dialect import CypherDialect
from interview_graph.graph.cypher.writes import (
    LINK_NEXT,
    LINK_PAIRS,
    LINK_PREVIOUS,
    MERGE_SENTENCE,
    WRITE_ANALYSES,
    WRITE_INTERVIEW,
)

# WRITE_INTERVIEW for a list of interviews.
PROJECT_INTERVIEWS = "\nUNWIND $interviews AS row" + WRITE_INTERVIEW.replace("$", "row.")

# WRITE_SENTENCES for sentences of several interviews, each in its interview's file.
PROJECT_SENTENCES = (
    """
UNWIND $sentences AS row
MATCH (i:Interview {interview_id: row.interview_id})
MERGE (f:SourceFile {filename: i.filename})"""
    + MERGE_SENTENCE
)

PROJECT_STATUSES = """
UNWIND $statuses AS row
MATCH (i:Interview {interview_id: row.interview_id})
SET i.status = row.status
"""

SAVE_CHECKPOINT = """
MERGE (c:ProjectionCheckpoint {name: $name})
SET c.position = $position
RETURN c.position
"""

# properties(): a database that never saw the label answers without a warning.
READ_CHECKPOINT = "MATCH (c:ProjectionCheckpoint {name: $name}) RETURN properties(c)"

# A rebuild empties its target first, in bounded chunks.
WIPE = "MATCH (n) WITH n LIMIT $chunk DETACH DELETE n RETURN count(n)"

# The file of each interview a batch's sentences belong to (and so, which of them exist).
INTERVIEW_FILENAMES = (
    "UNWIND $ids AS id MATCH (i:Interview {interview_id: id}) RETURN i.interview_id, i.filename"
)


def _rename_rows(statement: str, name: str) -> str:
    """An `UNWIND $rows AS row` statement with `$rows` renamed, so several share one query; a
    trailing count is dropped."""
    if "UNWIND $rows AS row" not in statement:
        raise AssertionError(f"expected an `UNWIND $rows AS row` statement, got {statement!r}")
    renamed = statement.replace("UNWIND $rows AS row", f"UNWIND ${name} AS row")
    return renamed.replace("RETURN count(a)", "").rstrip()


# (parameter, statement) in write order. Every part MERGEs, so one query serves new and
# existing rows alike.
PROJECT_PARTS: tuple[tuple[str, str], ...] = (
    ("interviews", PROJECT_INTERVIEWS),
    ("sentences", PROJECT_SENTENCES),
    ("pairs", _rename_rows(LINK_PAIRS, "pairs")),
    ("heads", _rename_rows(LINK_PREVIOUS, "heads")),
    ("tails", _rename_rows(LINK_NEXT, "tails")),
    ("analyses", _rename_rows(WRITE_ANALYSES, "analyses")),
    ("statuses", PROJECT_STATUSES),
)

# A whole batch and its checkpoint as one query, which FalkorDB runs atomically. Every part
# ends in an aggregation, which yields one row even when the part's list is empty, so the
# following parts (and the checkpoint) always run.
PROJECT_BATCH = (
    "".join(f"{query.strip()}\nWITH count(*) AS _{name}\n" for name, query in PROJECT_PARTS)
    + SAVE_CHECKPOINT.strip()
)


class ProjectionStatements:
    """The projection's statements in one dialect."""

    def __init__(self, dialect: CypherDialect) -> None:
        reuse = dialect.reuse_plan
        self.project_interviews = reuse(PROJECT_INTERVIEWS)
        self.project_statuses = reuse(PROJECT_STATUSES)
        self.save_checkpoint = reuse(SAVE_CHECKPOINT)
        self.interview_filenames = reuse(INTERVIEW_FILENAMES)
        self.project_batch = PROJECT_BATCH
        self.read_checkpoint = READ_CHECKPOINT
        self.wipe = WIPE
