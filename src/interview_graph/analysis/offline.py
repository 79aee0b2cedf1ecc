"""The offline analyzer: deterministic rules over each sentence's features (analysis.features),
computed from the parse the segmenter made.

It needs no network and no model of its own, so it is the default and the baseline the LLM
analyzers are compared with. Same input, same word lists -> same output; model_version carries
a hash of the word lists so that editing them yields a new, separately stored analysis.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from interview_graph.analysis.lexicons import (
    CUES_FILE,
    DEFAULT_DOMAIN_LEXICON,
    TOPICS_FILE,
    LexiconError,
    PhraseIndex,
    fingerprint,
    read_sections,
    read_terms,
    words_of,
)
from interview_graph.analysis.port import AnalysisRequest, AnalysisResult, ParsedSentence
from interview_graph.domain.ids import analysis_id_for
from interview_graph.domain.model import (
    FUNCTION_TYPES,
    MAX_KEYWORDS,
    PURPOSES,
    STRUCTURE_TYPES,
    TOPICS,
    Analysis,
    TopicMention,
)

MODEL_NAME = "offline-rules"
RULES_VERSION = "1.1.0"
TOPIC_WINDOW = 3

# (cue flags any of which selects the purpose, purpose, confidence), tried in order after the
# context rules; the first match wins.
_CUE_PURPOSES: tuple[tuple[frozenset[str], str, float], ...] = (
    (frozenset({"correction"}), "Correction", 0.7),
    (frozenset({"amendment"}), "Amendment", 0.7),
    (frozenset({"objection"}), "Objection", 0.65),
    (frozenset({"confession"}), "Confession", 0.7),
    (frozenset({"clarification"}), "Clarification", 0.65),
    (frozenset({"speculation", "hedge"}), "Speculation", 0.7),
    (frozenset({"explanation", "consequence"}), "Explanation", 0.7),
    (frozenset({"contrast"}), "Qualification", 0.65),
    (frozenset({"conclusion"}), "Conclusion", 0.65),
    (frozenset({"addendum"}), "Addendum", 0.6),
    (frozenset({"musing"}), "Musing", 0.6),
    (frozenset({"recitation"}), "Recitation", 0.6),
    (frozenset({"observation"}), "Observation", 0.65),
    (frozenset({"exclamation", "exclamation_mark"}), "Exclamation", 0.7),
    (frozenset({"evaluation"}), "Commentary", 0.6),
)
_PRE_CONTEXT: tuple[tuple[str, str, float], ...] = (
    ("retraction", "Retraction", 0.8),
    ("threat", "Threat", 0.7),
    ("mockery", "Mockery", 0.6),
)
_GREETING_TOPICS = {"greeting": "small talk", "thanks": "niceties"}
_CUE_TOPIC_BOOST = 2


@dataclass(frozen=True, slots=True)
class _Derived:
    """Per-sentence values computed once and shared by the window of its neighbours."""

    parsed: ParsedSentence
    cues: frozenset[str]
    topic_scores: Counter[str]
    words: tuple[str, ...]
    lemma_words: tuple[str, ...]


class OfflineAnalyzer:
    """Rules over SentenceFeatures; implements the Analyzer port."""

    model: str = MODEL_NAME
    model_version: str

    def __init__(self, domain_lexicon: Path | None = None) -> None:
        self.domain_lexicon_path = (
            Path(domain_lexicon) if domain_lexicon else DEFAULT_DOMAIN_LEXICON
        )
        self._domain = PhraseIndex.build(
            (term, term) for term in read_terms(self.domain_lexicon_path)
        )
        self._topics = PhraseIndex.build(
            (entry, topic) for topic, entries in _topic_sections().items() for entry in entries
        )
        data_hash = fingerprint([CUES_FILE, TOPICS_FILE, self.domain_lexicon_path])
        self.model_version = f"{RULES_VERSION}+{data_hash}"

    async def analyze(self, request: AnalysisRequest) -> AnalysisResult:
        return AnalysisResult(analyses=self.analyze_now(request))

    async def aclose(self) -> None:
        return None

    def analyze_now(self, request: AnalysisRequest) -> list[Analysis]:
        """Synchronous core, for callers (and benchmarks) outside an event loop."""
        window = [
            self._derive(parsed) for parsed in (*request.before, *request.targets, *request.after)
        ]
        first = len(request.before)
        return [
            self._analyze_one(window, index) for index in range(first, first + len(request.targets))
        ]

    # -- per sentence ---------------------------------------------------------------------------

    def _derive(self, parsed: ParsedSentence) -> _Derived:
        features = parsed.features
        cues = frozenset(features.cues)
        lemma_words = words_of(" ".join(features.lemmas)) if features.lemmas else ()
        words = words_of(parsed.sentence.text)
        scores: Counter[str] = Counter()
        for _, _, topics in self._topics.find(lemma_words or words):
            scores.update(topics)
        for cue, topic in _GREETING_TOPICS.items():
            if cue in cues:
                scores[topic] += _CUE_TOPIC_BOOST
        return _Derived(parsed, cues, scores, words, lemma_words)

    def _analyze_one(self, window: Sequence[_Derived], index: int) -> Analysis:
        current = window[index]
        features = current.parsed.features
        sentence = current.parsed.sentence
        purpose, purpose_confidence = _purpose(window, index)
        topics, topic_confidence = _topics(window, index)
        keywords = tuple(dict.fromkeys(features.keyword_candidates))[:MAX_KEYWORDS]
        domain = self._domain_keywords(current)
        function_type = _allowed(features.function_type, FUNCTION_TYPES, "declarative")
        structure_type = _allowed(features.structure_type, STRUCTURE_TYPES, "simple")
        confidence = {
            "function_type": _clamp(features.function_confidence),
            "structure_type": _clamp(features.structure_confidence),
            "purpose": purpose_confidence,
            "topics": topic_confidence,
            "keywords": 0.75 if keywords else 0.5,
            "domain_keywords": 0.9 if domain else 0.6,
        }
        return Analysis(
            analysis_id=analysis_id_for(sentence.sentence_id, self.model, self.model_version),
            sentence_id=sentence.sentence_id,
            interview_id=sentence.interview_id,
            sequence_order=sentence.sequence_order,
            model=self.model,
            model_version=self.model_version,
            function_type=function_type,
            structure_type=structure_type,
            purpose=purpose,
            topics=topics,
            overall_keywords=keywords,
            domain_keywords=domain,
            confidence=confidence,
        )

    def _domain_keywords(self, current: _Derived) -> tuple[str, ...]:
        found: dict[str, None] = {}
        for sequence in (current.lemma_words, current.words):
            for _, _, terms in self._domain.find(sequence):
                found.update(dict.fromkeys(terms))
        return tuple(found)[:MAX_KEYWORDS]


# -- purpose -------------------------------------------------------------------------------------


def _purpose(window: Sequence[_Derived], index: int) -> tuple[str, float]:
    current = window[index]
    cues = current.cues
    function_type = current.parsed.features.function_type
    for cue, purpose, confidence in _PRE_CONTEXT:
        if cue in cues:
            return purpose, confidence
    if function_type == "interrogative":
        return ("Request", 0.7) if "request" in cues else ("Query", 0.9)
    if "warning" in cues:
        return "Warning", 0.75
    if "advisory" in cues:
        return "Advisory", 0.75
    if function_type == "imperative":
        return "Request", 0.75 if "request" in cues else 0.6
    if "request" in cues and "second_person" in cues:
        return "Request", 0.65
    if function_type == "declarative" and _answers_question(window, index):
        return "Answer", 0.8
    for triggers, purpose, confidence in _CUE_PURPOSES:
        if cues & triggers:
            return purpose, confidence
    if function_type == "exclamatory":
        return "Exclamation", 0.7
    return "Statement", 0.5


def _answers_question(window: Sequence[_Derived], index: int) -> bool:
    """First sentence of a turn that follows another speaker's question."""
    if index == 0:
        return False
    previous = window[index - 1].parsed
    speaker = window[index].parsed.sentence.speaker
    return (
        speaker is not None
        and previous.sentence.speaker is not None
        and previous.sentence.speaker != speaker
        and previous.features.function_type == "interrogative"
    )


# -- topics --------------------------------------------------------------------------------------


def _topics(window: Sequence[_Derived], index: int) -> tuple[tuple[TopicMention, ...], float]:
    own = window[index].topic_scores
    nearby: Counter[str] = Counter()
    for neighbour in window[max(0, index - TOPIC_WINDOW) : index + TOPIC_WINDOW + 1]:
        nearby.update(neighbour.topic_scores)
    wide = _best(nearby)
    own_topic = _best(own)
    if own_topic is not None:
        confidence = min(0.9, 0.5 + 0.1 * own[own_topic])
    else:
        own_topic = wide or _fallback_topic(window[index].cues)
        confidence = 0.4 if wide else 0.3
    return (TopicMention(own_topic, 1), TopicMention(wide or own_topic, 3)), round(confidence, 4)


def _best(scores: Counter[str]) -> str | None:
    if not scores:
        return None
    return min(scores, key=lambda topic: (-scores[topic], TOPICS.index(topic)))


def _fallback_topic(cues: frozenset[str]) -> str:
    return "experiences" if "first_person" in cues else "observations"


def _topic_sections() -> dict[str, list[str]]:
    sections = read_sections(TOPICS_FILE)
    unknown = sorted(set(sections) - set(TOPICS))
    if unknown:
        raise LexiconError(f"{TOPICS_FILE}: sections {unknown} are not topics; use {TOPICS}")
    return sections


# -- helpers -------------------------------------------------------------------------------------


def _allowed(value: str, allowed: tuple[str, ...], default: str) -> str:
    return value if value in allowed else default


def _clamp(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


assert {p for _, p, _ in _CUE_PURPOSES} | {p for _, p, _ in _PRE_CONTEXT} <= set(PURPOSES)
