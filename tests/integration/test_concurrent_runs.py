"""Two runs on the same file and data directory at once: one at a time per interview, every
event delivered once, with no failed append, and counters that add up."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from interview_graph.cli.process_cmd import _pending_message
from interview_graph.domain.ids import interview_id_for, project_id_for, sentence_id_for
from interview_graph.domain.model import Interview, InterviewStatus, Sentence
from interview_graph.dualwrite.writer import DualWriter
from interview_graph.pipeline.interview_lock import InterviewLocks, LockHolder, read_holder
from interview_graph.pipeline.readers import read_transcript
from tests.integration.cli_helpers import CLI, REPO, base_env, sample_files
from tests.integration.dual_write_helpers import (
    HeldEventStore,
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


class HeldStores:
    """Wraps each store a writer opens in a HeldEventStore; `entered` waits until the first
    one holds an append."""

    def __init__(self) -> None:
        self.stores: list[HeldEventStore] = []
        self._opened = asyncio.Event()

    def __call__(self, store: Any) -> Any:
        self.stores.append(HeldEventStore(store))
        self._opened.set()
        return self.stores[-1]

    async def entered(self) -> HeldEventStore:
        await self._opened.wait()
        await self.stores[0].entered.wait()
        return self.stores[0]


async def test_two_deliverers_on_one_outbox_emit_each_entry_once_and_runs_count_their_own(
    tmp_path: Path,
) -> None:
    """Two runs share one outbox; both deliverers take the same batches at once. Only the one
    that removes a batch counts it as emitted, so the runs' emitted add up to what they
    recorded, and each run counts its own events delivered whoever delivered them."""
    settings = settings_for(tmp_path / "data")
    held_a, held_b = HeldStores(), HeldStores()
    writer_a = make_writer(settings, held_a)
    writer_b = make_writer(settings, held_b)
    first, second = an_interview(), an_interview()
    recorded_a = await record_one_run(writer_a, first, sentences_of(first, 30))
    recorded_b = await record_one_run(writer_b, second, sentences_of(second, 10))

    await writer_a.start()
    await writer_b.start()
    store_a = await held_a.entered()  # both deliverers hold the same ready batches in an append
    store_b = await held_b.entered()
    store_a.release()
    store_b.release()
    summary_a = await writer_a.finish(30)
    summary_b = await writer_b.finish(30)
    await writer_a.close()
    await writer_b.close()

    assert summary_a["emitted"] + summary_b["emitted"] == recorded_a + recorded_b
    for summary, recorded in ((summary_a, recorded_a), (summary_b, recorded_b)):
        assert summary["recorded"] == summary["delivered"] == recorded, summary
        assert (summary["pending"], summary["parked"], summary["failed"]) == (0, 0, 0)
        assert summary["unreachable_since"] is None
    events = await read_all_events(settings)
    assert len(events) == len({e.event_id for e in events}) == recorded_a + recorded_b


async def test_events_still_pending_from_a_store_that_answers_are_not_called_unreachable(
    tmp_path: Path,
) -> None:
    """A store that is reachable but has not taken this run's events by the end of the wait:
    the events are pending, and nothing claims the store was unreachable."""
    settings = settings_for(tmp_path / "data")
    held = HeldStores()
    writer = make_writer(settings, held)
    interview = an_interview()
    recorded = await record_one_run(writer, interview, sentences_of(interview, 5))
    await writer.start()
    store = await held.entered()

    summary = await writer.summary()
    store.release()
    await writer.finish(30)
    await writer.close()

    assert (summary["pending"], summary["delivered"]) == (recorded, 0)
    assert summary["unreachable_since"] is None
    message = _pending_message(summary["pending"], summary, delivery_wait=1)
    assert "unreachable" not in message and "once the store is reachable" not in message
    assert f"{recorded} event(s) of this run not yet delivered" in message


# ---------------------------------------------------------------- one run per interview


def interview_lock_dir(data_dir: Path) -> Path:
    return data_dir / "locks" / "interviews"


def interview_id_of(path: Path, project: str) -> str:
    transcript = read_transcript(path, max_bytes=2**26)
    return interview_id_for(project_id_for(project), transcript.content_sha256)


def start_process(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [str(CLI), "process", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )


def read_until_waiting(proc: subprocess.Popen[str]) -> list[str]:
    """stderr lines up to and including the run's 'waiting:' line."""
    assert proc.stderr is not None
    lines: list[str] = []
    while line := proc.stderr.readline():
        lines.append(line)
        if line.startswith("waiting:"):
            return lines
    raise AssertionError(f"the run ended without waiting: {''.join(lines)}")


def finish(proc: subprocess.Popen[str], earlier_stderr: list[str]) -> tuple[dict[str, Any], str]:
    out, err = proc.communicate(timeout=300)
    stderr = "".join(earlier_stderr) + err
    assert proc.returncode == 0, stderr
    return json.loads(out), stderr


async def test_two_runs_on_one_file_take_turns_and_their_events_add_up(tmp_path: Path) -> None:
    """Two real `process` runs on the same file and data directory, started while a third
    party holds the interview: each says once whom it waits for, they run one after the
    other, no append repeats an id, and each run's counters add up."""
    data_dir = tmp_path / "data"
    source = sample_files()[0]
    env = base_env(data_dir, ENABLE_EVENT_SOURCING="true")
    held = await InterviewLocks(interview_lock_dir(data_dir)).acquire(
        interview_id_of(source, "twice"), source
    )
    runs = [start_process([str(source), "--project", "twice", "--json"], env) for _ in range(2)]
    early = [read_until_waiting(run) for run in runs]
    held.release()
    results = [finish(run, lines) for run, lines in zip(runs, early, strict=True)]

    recorded = [summary["totals"]["events"]["recorded"] for summary, _ in results]
    per_run = 2 + results[0][0]["files"][0]["sentences"] + results[0][0]["files"][0]["analyses"]
    for summary, stderr in results:
        assert stderr.count("waiting:") == 1, stderr
        assert f"pid {os.getpid()}" in stderr
        assert "repeats event ids" not in stderr and "reachable" not in stderr, stderr
        (row,) = summary["files"]
        assert row["status"] == "done" and row["waited_for"]["pid"] == os.getpid()
        events = summary["totals"]["events"]
        assert events["recorded"] == events["delivered"] == per_run, events
        assert (events["pending"], events["parked"], events["failed"]) == (0, 0, 0)
        assert events["retries"] == 0 and events["last_error"] is None
    emitted = sum(summary["totals"]["events"]["emitted"] for summary, _ in results)
    assert emitted == sum(recorded) == 2 * per_run
    stored = await read_all_events(settings_for(data_dir))
    assert len(stored) == len({e.event_id for e in stored}) == per_run
    assert list(interview_lock_dir(data_dir).iterdir()) == []


HOLDER = """
import asyncio, sys, time
from pathlib import Path
from interview_graph.pipeline.interview_lock import InterviewLocks

async def hold():
    return await InterviewLocks(Path(sys.argv[1])).acquire(sys.argv[2], Path(sys.argv[3]))

lock = asyncio.run(hold())
print("held", flush=True)
time.sleep(3600)
"""


def start_holder(data_dir: Path, interview_id: str, source: Path) -> subprocess.Popen[str]:
    """Another process that takes the interview's lock and keeps it until it is killed."""
    lock_dir = str(interview_lock_dir(data_dir))
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, lock_dir, interview_id, str(source)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


def test_a_run_waiting_for_a_killed_holder_goes_on(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    source = sample_files()[0]
    holder = start_holder(data_dir, interview_id_of(source, "killed"), source)
    try:
        run = start_process([str(source), "--project", "killed", "--json"], base_env(data_dir))
        early = read_until_waiting(run)
        assert f"pid {holder.pid}" in early[-1]
    finally:
        holder.kill()
        holder.wait(timeout=30)
    summary, stderr = finish(run, early)

    (row,) = summary["files"]
    assert row["status"] == "done", stderr
    assert row["waited_for"]["pid"] == holder.pid
    assert list(interview_lock_dir(data_dir).iterdir()) == []


async def test_a_lock_left_by_a_dead_run_is_taken_over_without_waiting(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    source = sample_files()[0]
    interview_id = interview_id_of(source, "stale")
    holder = start_holder(data_dir, interview_id, source)
    holder.kill()
    holder.wait(timeout=30)
    lock_file = interview_lock_dir(data_dir) / f"{interview_id}.lock"
    assert read_holder(lock_file).pid == holder.pid  # left behind, naming a dead pid

    told: list[LockHolder] = []
    lock = await InterviewLocks(interview_lock_dir(data_dir)).acquire(
        interview_id, source, told.append
    )
    try:
        assert lock.waited is None and told == []
        assert read_holder(lock_file).pid == os.getpid()
    finally:
        lock.release()
    assert not lock_file.exists()
