"""The Analyzer port: turns consecutive sentences (with context) into Analysis values.

The offline analyzer uses linguistic features (analysis.features) computed from the parse the
segmenter makes, so one spaCy parse per sentence serves both; LLM analyzers use the text and
the context window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from interview_graph.domain.model import Analysis, Sentence


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """What the parser saw in one sentence (analysis.features), carried with the sentence from
    the segmenter to the offline analyzer."""

    function_type: str = "declarative"
    function_confidence: float = 0.5
    structure_type: str = "simple"
    structure_confidence: float = 0.5
    keyword_candidates: tuple[str, ...] = ()
    lemmas: tuple[str, ...] = ()
    cues: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class ParsedSentence:
    sentence: Sentence
    features: SentenceFeatures


@dataclass(frozen=True, slots=True)
class AnalysisRequest:
    """Consecutive target sentences of one interview and their neighbours for context."""

    targets: Sequence[ParsedSentence]
    before: Sequence[ParsedSentence] = ()
    after: Sequence[ParsedSentence] = ()


class AnalysisError(RuntimeError):
    """An analyzer could not analyze a sentence; names the sentence and the reason."""


@dataclass(frozen=True, slots=True)
class AnalysisFailure:
    """A sentence left without analysis, and why: reported, never dropped silently."""

    sentence_id: str
    sequence_order: int
    reason: str


@dataclass(slots=True)
class AnalysisUsage:
    """What analyzing cost: calls made, answered from the cache, retried, failed, tokens."""

    calls: int = 0
    cache_hits: int = 0
    retries: int = 0
    failures: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0

    def add(self, other: AnalysisUsage) -> None:
        self.calls += other.calls
        self.cache_hits += other.cache_hits
        self.retries += other.retries
        self.failures += other.failures
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens


@dataclass(slots=True)
class AnalysisResult:
    """Analyses of the targets that succeeded (in target order) and the ones that failed."""

    analyses: list[Analysis]
    failures: list[AnalysisFailure] = field(default_factory=list)
    usage: AnalysisUsage = field(default_factory=AnalysisUsage)


class Analyzer(Protocol):
    model: str
    model_version: str

    async def analyze(self, request: AnalysisRequest) -> AnalysisResult:
        """Every target ends up either in `analyses` or in `failures`."""
        ...

    async def aclose(self) -> None: ...
