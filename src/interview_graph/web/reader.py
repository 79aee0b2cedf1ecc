"""A transcript as the reader shows it: sentences grouped into speaker turns, each sentence
with its labels as chips. Pure: built from the graph's SentenceViews, rendered by the
templates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from interview_graph.graph.port import SentenceView


@dataclass(frozen=True, slots=True)
class Chip:
    kind: str  # purpose | function | topic | keyword | domain
    label: str


@dataclass(frozen=True, slots=True)
class SentenceRow:
    sentence_id: str
    order: int
    text: str
    speaker: str | None
    start_ms: int | None
    purpose: str | None  # what the sentence is coloured by
    topic: str | None
    chips: tuple[Chip, ...]
    models: str  # the analyses' models, e.g. "offline 1.0"

    @property
    def number(self) -> int:
        """The sentence's number as people count: 1 is the first."""
        return self.order + 1


@dataclass(slots=True)
class Turn:
    speaker: str | None
    start_ms: int | None
    continued: bool  # the same speaker's turn went on before this page began
    skipped: int  # sentences left out between the previous turn and this one (filters)
    sentences: list[SentenceRow] = field(default_factory=list)


def sentence_row(view: SentenceView) -> SentenceRow:
    """A sentence and the chips of its analyses (each label once, in the order the analyses
    give them): purpose, function, the sentence's own topics, keywords, domain keywords."""
    chips: list[Chip] = []
    for analysis in view.analyses:
        chips += [Chip("purpose", analysis.purpose), Chip("function", analysis.function_type)]
        chips += [Chip("topic", t.name) for t in analysis.topics if t.level == 1]
        chips += [Chip("keyword", k) for k in analysis.overall_keywords]
        chips += [Chip("domain", k) for k in analysis.domain_keywords]
    first = view.analyses[0] if view.analyses else None
    own_topics = [t.name for t in first.topics if t.level == 1] if first else []
    sentence = view.sentence
    return SentenceRow(
        sentence_id=sentence.sentence_id,
        order=sentence.sequence_order,
        text=sentence.text,
        speaker=sentence.speaker,
        start_ms=sentence.start_ms,
        purpose=first.purpose if first else None,
        topic=own_topics[0] if own_topics else None,
        chips=tuple(dict.fromkeys(chip for chip in chips if chip.label)),
        models=", ".join(f"{a.model} {a.model_version}" for a in view.analyses),
    )


def turns(views: Sequence[SentenceView], before: SentenceView | None, start: int) -> list[Turn]:
    """Consecutive sentences of one speaker make a turn; a sentence that does not follow the
    one before it (a filter left sentences out) starts a new turn that says how many were
    skipped. The page starts at sequence order `start`; `before` is the sentence just before
    it, when known (its speaker tells whether the first turn goes on from the last page)."""
    grouped: list[Turn] = []
    previous = before.sentence if before else None
    last_order = start - 1
    for view in views:
        sentence = view.sentence
        adjacent = sentence.sequence_order == last_order + 1
        same_speaker = previous is not None and previous.speaker == sentence.speaker
        if not grouped or not (adjacent and same_speaker):
            grouped.append(
                Turn(
                    speaker=sentence.speaker,
                    start_ms=sentence.start_ms,
                    continued=not grouped and adjacent and same_speaker,
                    skipped=sentence.sequence_order - last_order - 1,
                )
            )
        grouped[-1].sentences.append(sentence_row(view))
        previous, last_order = sentence, sentence.sequence_order
    return grouped
