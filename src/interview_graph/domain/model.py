"""Transcripts, sentences and analyses as plain immutable values.

Frozen slotted dataclasses rather than pydantic models: the pipeline creates tens of thousands
of them per file, and validation happens once at the edges (readers, analyzers, event codec).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class InterviewStatus(StrEnum):
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


FUNCTION_TYPES: tuple[str, ...] = ("declarative", "interrogative", "imperative", "exclamatory")
STRUCTURE_TYPES: tuple[str, ...] = ("simple", "compound", "complex", "compound-complex")
PURPOSES: tuple[str, ...] = (
    "Statement", "Query", "Exclamation", "Answer", "Commentary", "Observation",
    "Clarification", "Conclusion", "Speculation", "Explanation", "Qualification", "Request",
    "Warning", "Advisory", "Objection", "Correction", "Confession", "Musing", "Addendum",
    "Amendment", "Retraction", "Recitation", "Mockery", "Threat",
)  # fmt: skip
TOPICS: tuple[str, ...] = (
    "goals", "tools", "processes", "experiences", "observations", "pain points",
    "responsibilities", "collaborations", "reporting", "managing", "mentoring", "strategy",
    "operations", "small talk", "niceties",
)  # fmt: skip
MAX_KEYWORDS = 6


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of source text with one speaker and (optionally) one time range.

    char_offset is the position of text[0] in the decoded source, so sentence offsets can be
    traced back to the exact words of the file.
    """

    text: str
    char_offset: int
    speaker: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None


@dataclass(frozen=True, slots=True)
class TranscriptMeta:
    title: str | None = None
    date: str | None = None
    participants: tuple[str, ...] = ()
    project: str | None = None
    language: str = "en"


@dataclass(frozen=True, slots=True)
class Interview:
    interview_id: str
    project_id: str
    project_name: str
    title: str
    source: str
    filename: str
    language: str
    content_sha256: str
    status: InterviewStatus
    created_at: datetime
    date: str | None = None
    participants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sentence:
    sentence_id: str
    interview_id: str
    sequence_order: int
    text: str
    speaker: str | None
    start_ms: int | None
    end_ms: int | None
    start_char: int
    end_char: int


@dataclass(frozen=True, slots=True)
class TopicMention:
    name: str
    level: int  # 1 = the sentence's own topic, 3 = topic of the wider window


@dataclass(frozen=True, slots=True)
class Analysis:
    analysis_id: str
    sentence_id: str
    interview_id: str
    sequence_order: int
    model: str
    model_version: str
    function_type: str
    structure_type: str
    purpose: str
    topics: tuple[TopicMention, ...]
    overall_keywords: tuple[str, ...]
    domain_keywords: tuple[str, ...]
    confidence: dict[str, float] = field(default_factory=dict)
    created_at: datetime | None = None

    @property
    def overall_confidence(self) -> float:
        if not self.confidence:
            return 1.0
        return round(sum(self.confidence.values()) / len(self.confidence), 4)
