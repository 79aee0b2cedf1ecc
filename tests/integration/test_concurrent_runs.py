"""Two runs on the same file and data directory at once: one at a time per interview, every
event delivered once, with no failed append, and counters that add up."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interview_graph.domain.ids import sentence_id_for
from interview_graph.domain.model import Interview, InterviewStatus, Sentence
from interview_graph.dualwrite.writer import DualWriter
from tests.integration.dual_write_helpers import (
    RecordingEventStore,
    make_writer,
    read_all_events,
    settings_for,
)


def an_interview() -> Interview:
    return Interview(
        interview_id=str(uuid.uuid4()),
        project_id=str(uuid.uuid4()),
        project_name="concurrent",
        title="Twice",
        source="twice.txt",
        filename="twice.txt",
        language="en",
        content_sha256="cd" * 32,
        status=InterviewStatus.PROCESSING,
        created_at=datetime(2024, 5, 1, 12, 0, tzinfo=UTC),
    )


def sentences_of(interview: Interview, count: int) -> list[Sentence]:
    return [
        Sentence(
            sentence_id=sentence_id_for(interview.interview_id, index),
            interview_id=interview.interview_id,
            sequence_order=index,
            text=f"Sentence {index}.",
            speaker="Ana",
            start_ms=None,
            end_ms=None,
            start_char=12 * index,
            end_char=12 * index + 11,
        )
        for index in range(count)
    ]


async def record_one_run(
    writer: DualWriter, interview: Interview, sentences: list[Sentence]
) -> int:
    """What one pipeline run of the interview records: its events, staged then released."""
    hook = writer.hook_for(interview, str(uuid.uuid4()))
    for staged in (
        await hook.interview_started(interview),
        await hook.sentences_written(sentences),
        await hook.status_changed(InterviewStatus.PROCESSING, InterviewStatus.COMPLETED, "done"),
    ):
        await staged.commit()
    return 1 + len(sentences) + 1


async def test_an_event_the_outbox_holds_twice_reaches_the_store_once_without_a_failure(
    tmp_path: Path,
) -> None:
    """Two runs of one file record the same event ids; one delivery takes both runs' batches
    and sends each id once, so no append fails for repeating an id."""
    settings = settings_for(tmp_path / "data")
    appends: list[list[str]] = []
    writer = make_writer(settings, lambda store: RecordingEventStore(store, appends))
    interview = an_interview()
    sentences = sentences_of(interview, 20)
    per_run = await record_one_run(writer, interview, sentences)
    await record_one_run(writer, interview, sentences)  # the same events, once more

    await writer.start()
    summary: dict[str, Any] = await writer.finish(30)
    await writer.close()

    assert summary["failed"] == 0 and summary["last_error"] is None, summary
    assert appends and all(len(ids) == len(set(ids)) for ids in appends)
    assert sum(len(ids) for ids in appends) == per_run
    events = await read_all_events(settings)
    assert len(events) == len({e.event_id for e in events}) == per_run
    assert summary["pending"] == 0
