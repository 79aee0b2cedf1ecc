"""The Analyzer port: turns consecutive sentences (with context) into Analysis values.

The offline analyzer uses linguistic features computed during segmentation (one spaCy parse
per sentence serves both); LLM analyzers use the text and the context window.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from interview_graph.domain.model import Analysis, Sentence


@dataclass(frozen=True, slots=True)
class SentenceFeatures:
    """What the parser saw in one sentence: filled by the segmenter, read by the offline
    analyzer, so one parse serves both."""

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


class Analyzer(Protocol):
    model: str
    model_version: str

    async def analyze(self, request: AnalysisRequest) -> list[Analysis]:
        """One Analysis per target, in order."""
        ...

    async def aclose(self) -> None: ...
