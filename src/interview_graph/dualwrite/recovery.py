"""Crash recovery: resolve the batches a dead process left staged, against the graph.

A process killed between a graph commit and the release leaves that write's events staged
under its lease. Each such event is released when the graph holds its subject (the
interview, sentence, analysis or status it announces) and discarded otherwise, so the store
gets exactly the events of data the graph committed, without trusting any timing.
"""

from __future__ import annotations

import logging

from interview_graph.dualwrite.outbox_port import SUBJECT_STATUS, Outbox
from interview_graph.graph.port import GraphStore

log = logging.getLogger(__name__)


async def recover_orphans(outbox: Outbox, graph: GraphStore, live_owners: set[str]) -> int:
    """Release staged entries of dead processes whose graph write committed; drop the rest.
    Returns how many batches were resolved."""
    orphans = await outbox.orphaned_staged(live_owners)
    if not orphans:
        return 0
    present: set[str] = set()
    by_kind: dict[str, list[str]] = {}
    for orphan in orphans:
        by_kind.setdefault(orphan.subject_kind, []).append(orphan.subject_id)
    for kind, subject_ids in by_kind.items():
        present |= await _present_subjects(graph, kind, subject_ids)
    batch_ids = sorted({orphan.batch_id for orphan in orphans})
    await outbox.resolve_orphans(batch_ids, present)
    log.warning(
        "resolved events left staged by a crashed run",
        extra={"batches": len(batch_ids), "released_subjects": len(present)},
    )
    return len(batch_ids)


async def _present_subjects(graph: GraphStore, kind: str, subject_ids: list[str]) -> set[str]:
    if kind != SUBJECT_STATUS:
        return await graph.existing_ids(kind, subject_ids)
    present: set[str] = set()
    for subject in set(subject_ids):
        interview_id, _, status = subject.partition(":")
        interview = await graph.get_interview(interview_id)
        if interview is not None and interview.status == status:
            present.add(subject)
    return present
