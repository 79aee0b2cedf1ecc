"""Processing one transcript file into the graph, with dual-write hooks around every write.

Segmentation runs in worker processes and is prefetched one chunk ahead, so parsing the next
chunk overlaps with analyzing and writing the current one; graph writes are one UNWIND batch
per chunk. Every graph write is wrapped by the events hook: events are staged before the
write and committed only when the graph has committed, so a failed write emits nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from interview_graph.analysis.port import (
    AnalysisFailure,
    AnalysisRequest,
    AnalysisUsage,
    Analyzer,
    ParsedSentence,
)
from interview_graph.domain.ids import interview_id_for, project_id_for
from interview_graph.domain.model import Analysis, Interview, InterviewStatus, Sentence
from interview_graph.graph.port import GraphStore
from interview_graph.pipeline.errors import TranscriptError
from interview_graph.pipeline.events_hook import EventsHook, StagedWrite
from interview_graph.pipeline.interview_lock import (
    InterviewLock,
    InterviewLocks,
    LockWait,
    LockWaitNotice,
)
from interview_graph.pipeline.readers import Transcript, read_transcript
from interview_graph.pipeline.source_lines import ReadProgress, ReadWarning

log = logging.getLogger(__name__)

DEFAULT_PROJECT = "default"
CONTEXT_BEFORE = 6
CONTEXT_AFTER = 6


class Segmenter(Protocol):
    """Sentences with their features, in chunks of consecutive sentences in file order."""

    def iter_parsed(
        self, transcript: Transcript, interview_id: str
    ) -> Iterator[list[ParsedSentence]]: ...

    def close(self) -> None: ...


@dataclass(slots=True)
class FileReport:
    path: str
    status: str = "pending"  # done | failed
    interview_id: str | None = None
    title: str | None = None
    sentences: int = 0
    analyses: int = 0
    seconds: float = 0.0
    error: str | None = None
    analysis_failures: list[AnalysisFailure] = field(default_factory=list)
    usage: AnalysisUsage = field(default_factory=AnalysisUsage)
    warnings: list[ReadWarning] = field(default_factory=list)  # skipped or repaired on reading
    speakers: list[str] = field(default_factory=list)  # found in the text, in order
    waited_for: LockWait | None = None  # another run was processing this interview

    @property
    def ok(self) -> bool:
        return self.status == "done"


HookFactory = Callable[[Interview, str], EventsHook]
SentenceProgress = Callable[[int], None]  # told how many more sentences are analysed


class PipelineService:
    """Reads, segments, analyzes and writes one file at a time; one bad file never stops others."""

    def __init__(
        self,
        graph: GraphStore,
        analyzer: Analyzer,
        segmenter: Segmenter,
        hooks: HookFactory,
        *,
        max_file_bytes: int,
        locks: InterviewLocks | None = None,
    ) -> None:
        """`locks`: one run at a time per interview across processes (`interview_lock`)."""
        self._graph = graph
        self._analyzer = analyzer
        self._segmenter = segmenter
        self._hooks = hooks
        self._max_file_bytes = max_file_bytes
        self._locks = locks

    async def process_file(
        self,
        path: Path,
        project_name: str | None = None,
        on_progress: SentenceProgress | None = None,
        on_read_progress: ReadProgress | None = None,
        on_lock_wait: LockWaitNotice | None = None,
        name: str | None = None,
    ) -> FileReport:
        """`on_progress` gets the number of sentences done at each step; `on_read_progress`
        (characters read, characters in the file) while the file is read, from a worker
        thread; `on_lock_wait` whom this run waits for, when another run is processing the
        same interview. `name`: the file's name as its user knows it, when `path` is where it
        is kept under another name (an upload); it is the interview's source, filename and
        title, and what reading errors name (default: the path's own name, and the path)."""
        report = FileReport(path=str(path))
        started = time.perf_counter()
        try:
            transcript = await asyncio.to_thread(
                read_transcript, path, max_bytes=self._max_file_bytes, on_progress=on_read_progress
            )
        except TranscriptError as exc:
            error = exc if name is None else TranscriptError(Path(name), exc.message)
            report.status, report.error = "failed", str(error)
            report.seconds = time.perf_counter() - started
            return report
        report.warnings, report.speakers = list(transcript.warnings), list(transcript.speakers)
        interview = build_interview(transcript, Path(name) if name else path, project_name)
        report.interview_id, report.title = interview.interview_id, interview.title
        lock = await self._lock(interview, path, on_lock_wait)
        try:
            report.waited_for = lock.waited if lock is not None else None
            run = _FileRun(self, interview, transcript, report, on_progress)
            await run.execute()
        finally:
            if lock is not None:
                lock.release()
        report.seconds = time.perf_counter() - started
        return report

    async def _lock(
        self, interview: Interview, path: Path, on_wait: LockWaitNotice | None
    ) -> InterviewLock | None:
        if self._locks is None:
            return None
        return await self._locks.acquire(interview.interview_id, path, on_wait)


def build_interview(transcript: Transcript, path: Path, project_name: str | None) -> Interview:
    """The interview a file holds. Nothing in it depends on the folder the file was read from
    or how its path was typed: `source` is the file's name (with `content_sha256`, what
    identifies the file), so one file processed from anywhere gives one graph and one set of
    events, and `export`, `verify` and a rebuilt graph agree. `path` only names the file: for
    an upload it is its original name, not where the upload is kept."""
    project = project_name or transcript.meta.project or DEFAULT_PROJECT
    project_id = project_id_for(project)
    return Interview(
        interview_id=interview_id_for(project_id, transcript.content_sha256),
        project_id=project_id,
        project_name=project,
        title=transcript.meta.title or path.stem,
        source=path.name,
        filename=path.name,
        language=transcript.meta.language,
        content_sha256=transcript.content_sha256,
        status=InterviewStatus.PROCESSING,
        created_at=datetime.now(UTC),
        date=transcript.meta.date,
        participants=transcript.meta.participants,
    )


class _FileRun:
    """The state of one file's run: its correlation id, context window and counters."""

    def __init__(
        self,
        service: PipelineService,
        interview: Interview,
        transcript: Transcript,
        report: FileReport,
        on_progress: SentenceProgress | None,
    ) -> None:
        self._graph = service._graph
        self._analyzer = service._analyzer
        self._segmenter = service._segmenter
        self._interview = interview
        self._transcript = transcript
        self._report = report
        self._on_progress = on_progress
        correlation_id = new_correlation_id()
        self._hook = service._hooks(interview, correlation_id)
        self._history: deque[ParsedSentence] = deque(maxlen=CONTEXT_BEFORE)
        self._pending: list[ParsedSentence] = []

    async def execute(self) -> None:
        interview = self._interview
        try:
            staged = await self._hook.interview_started(interview)
            await self._guarded(staged, lambda: self._graph.write_interview(interview))
            await self._write_all_chunks()
            await self._analyze_pending(final=True)
            await self._finish(InterviewStatus.COMPLETED, "all sentences written and analyzed")
            self._report.status = "done"
        except Exception as exc:  # one bad file must never stop the others
            log.error(
                "file failed",
                extra={"file": self._report.path, "interview_id": interview.interview_id},
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
            self._report.status, self._report.error = "failed", describe_error(exc)
            await self._mark_failed(describe_error(exc))

    async def _write_all_chunks(self) -> None:
        chunks = self._segmenter.iter_parsed(self._transcript, self._interview.interview_id)
        next_chunk = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
        try:
            while (chunk := await next_chunk) is not None:
                next_chunk = asyncio.ensure_future(asyncio.to_thread(next, chunks, None))
                await self._write_sentences([parsed.sentence for parsed in chunk])
                self._pending.extend(chunk)
                await self._analyze_pending(final=False)
        finally:
            if not next_chunk.done():
                await asyncio.gather(next_chunk, return_exceptions=True)

    async def _write_sentences(self, sentences: Sequence[Sentence]) -> None:
        staged = await self._hook.sentences_written(sentences)
        filename = self._interview.filename
        await self._guarded(staged, lambda: self._graph.write_sentences(sentences, filename))
        self._report.sentences += len(sentences)

    async def _analyze_pending(self, *, final: bool) -> None:
        keep = 0 if final else CONTEXT_AFTER
        if len(self._pending) <= keep:
            return
        split = len(self._pending) - keep
        targets, after = self._pending[:split], self._pending[split:]
        request = AnalysisRequest(targets=targets, before=tuple(self._history), after=after)
        result = await self._analyzer.analyze(request)
        self._report.usage.add(result.usage)
        self._report.analysis_failures.extend(result.failures)
        await self._write_analyses(result.analyses)
        self._history.extend(targets)
        self._pending = after
        if self._on_progress is not None:
            self._on_progress(len(targets))

    async def _write_analyses(self, analyses: Sequence[Analysis]) -> None:
        if not analyses:
            return
        staged = await self._hook.analyses_written(analyses)
        await self._guarded(staged, lambda: self._graph.write_analyses(analyses))
        self._report.analyses += len(analyses)

    async def _finish(self, status: InterviewStatus, reason: str) -> None:
        staged = await self._hook.status_changed(InterviewStatus.PROCESSING, status, reason)
        interview_id, count = self._interview.interview_id, self._report.sentences
        await self._guarded(
            staged, lambda: self._graph.finish_interview(interview_id, count, status)
        )

    async def _mark_failed(self, reason: str) -> None:
        """Best effort: a graph that is down cannot take the failed status either."""
        try:
            await self._finish(InterviewStatus.FAILED, reason)
        except Exception as exc:
            log.warning(
                "could not mark interview failed",
                extra={"interview_id": self._interview.interview_id, "error": str(exc)},
            )

    @staticmethod
    async def _guarded(staged: StagedWrite, write: Callable[[], Awaitable[None]]) -> None:
        try:
            await write()
        except BaseException as exc:
            await staged.discard(describe_error(exc))
            raise
        await staged.commit()


def new_correlation_id() -> str:
    return str(uuid.uuid4())


def describe_error(exc: BaseException) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__
