"""WebVTT and SubRip cues -> segments with their time ranges, and a warning for every cue that
is skipped or repaired.

Markup inside cues (`<v Name>`, `<i>`, `{\\an8}`) is blanked with spaces of equal length
rather than removed: the words stay where they were in the source and offsets stay valid.
A cue is skipped, with a warning naming its line, when its timing line is malformed or it
has no text; a cue that ends before it starts keeps its start and loses its end; text
between cues that belongs to none is skipped; a cue whose timing line follows the previous
cue's text without a blank line is read as a cue of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from interview_graph.domain.model import Segment
from interview_graph.pipeline.source_lines import (
    ReadProgress,
    ReadWarning,
    SourceLine,
    excerpt,
    iter_blocks,
)
from interview_graph.pipeline.speaker_labels import SpeakerLabels, name_key
from interview_graph.pipeline.stamps import STAMP, parse_stamp_ms

_CUE_TIMING = re.compile(rf"[ \t]*(?P<start>{STAMP})[ \t]+-->[ \t]+(?P<end>{STAMP})")
_MEANT_AS_TIMING = re.compile(r"[ \t]*\d{1,2}:\d|.*-+>")
_SRT_INDEX = re.compile(r"[ \t]*\d+[ \t]*")
_VTT_NON_CUE_BLOCKS = ("WEBVTT", "NOTE", "STYLE", "REGION")
_VOICE_OPEN = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+(?P<name>[^>]+)>")
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}[^<>]*>|\{\\[^{}]*\}")
_PREFIX_SPEAKER = re.compile(
    r"[ \t]*-?[ \t]*(?P<name>[A-Za-z][\w.'’-]*(?:[ \t][A-Za-z0-9][\w.'’-]*){0,3})[ \t]*:[ \t]+"
)


@dataclass(slots=True)
class _Cue:
    timing: SourceLine
    start_ms: int
    end_ms: int | None
    payload: list[SourceLine] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ParsedCues:
    text: str  # the source with cue markup blanked, same length
    segments: list[Segment]
    warnings: list[ReadWarning]


def parse_cues(
    text: str,
    start: int,
    *,
    webvtt: bool,
    participants: Iterable[str] = (),
    progress: ReadProgress | None = None,
) -> ParsedCues:
    """The cues from `start` on; the participants help tell speaker labels from prose."""
    reader = _CueReader(webvtt)
    for block in iter_blocks(text, start, progress):
        reader.read_block(block)
    labels = _prefix_labels(reader.cues, participants)
    builder = _SegmentBuilder(text, labels, reader.warnings)
    for cue in reader.cues:
        builder.add(cue)
    warnings = sorted(reader.warnings, key=lambda warning: warning.line)
    return ParsedCues(builder.blanked_text(), builder.segments, warnings)


class _CueReader:
    """Blocks of non-blank lines -> cues, with a warning for whatever is not a cue."""

    def __init__(self, webvtt: bool) -> None:
        self._webvtt = webvtt
        self._example = (
            "00:00:01.000 --> 00:00:04.000" if webvtt else "00:00:01,000 --> 00:00:04,000"
        )
        self.cues: list[_Cue] = []
        self.warnings: list[ReadWarning] = []

    def read_block(self, block: list[SourceLine]) -> None:
        timings = [i for i, line in enumerate(block) if _CUE_TIMING.match(line.text)]
        header_block = self._webvtt and block[0].text.lstrip().startswith(_VTT_NON_CUE_BLOCKS)
        if not timings:
            if not header_block:
                self._skip_block(block)
            return
        if header_block:
            self._warn(block[timings[0]], "no blank line before this cue; read as a cue anyway")
        elif timings[0] > 1:
            self._warn(
                block[0],
                f"{timings[0] - 1} line(s) before the cue's timing line skipped "
                f"(only a cue number or identifier may stand there): {excerpt(block[0].text)}",
            )
        for index, (first, following) in enumerate(_pairs(timings, len(block))):
            payload = block[first + 1 : following]
            if following < len(block) and payload and _SRT_INDEX.fullmatch(payload[-1].text):
                payload = payload[:-1]  # the next cue's number
            if index > 0:
                self._warn(block[first], "no blank line before this cue; read as a new cue")
            self._add_cue(block[first], payload)

    def _add_cue(self, timing_line: SourceLine, payload: list[SourceLine]) -> None:
        timing = _CUE_TIMING.match(timing_line.text)
        assert timing is not None
        start_ms, end_ms = parse_stamp_ms(timing["start"]), parse_stamp_ms(timing["end"])
        if end_ms < start_ms:
            self._warn(
                timing_line,
                f"the cue ends at {timing['end']}, before it starts at {timing['start']}; "
                "its end time is dropped (fix the timing line)",
            )
            self.cues.append(_Cue(timing_line, start_ms, None, payload))
        else:
            self.cues.append(_Cue(timing_line, start_ms, end_ms, payload))

    def _skip_block(self, block: list[SourceLine]) -> None:
        meant = next((line for line in block if _MEANT_AS_TIMING.match(line.text)), None)
        if meant is not None:
            self._warn(
                meant,
                f"cue skipped: {excerpt(meant.text)} is not a valid timing line; "
                f"write it as {self._example}",
            )
        else:
            self._warn(
                block[0],
                f"text outside any cue skipped: {excerpt(block[0].text)} has no timing line "
                "above it (a blank line inside a cue ends the cue)",
            )

    def _warn(self, line: SourceLine, message: str) -> None:
        self.warnings.append(ReadWarning(line.number, message))


def _pairs(timings: list[int], block_length: int) -> Iterator[tuple[int, int]]:
    """(a timing line's index, the index where its cue ends) for each timing line."""
    return zip(timings, [*timings[1:], block_length], strict=True)


def _prefix_labels(cues: list[_Cue], participants: Iterable[str]) -> frozenset[str]:
    labels = SpeakerLabels(participants)
    for cue in cues:
        for line in cue.payload:
            prefix = _PREFIX_SPEAKER.match(line.text)
            if prefix is not None and _VOICE_OPEN.search(line.text) is None:
                labels.add(prefix["name"])
    return labels.labels()


class _SegmentBuilder:
    """Cue payload lines -> segments; lines of one cue with one speaker form one segment."""

    def __init__(self, text: str, labels: frozenset[str], warnings: list[ReadWarning]) -> None:
        self._text = text
        self._labels = labels
        self._warnings = warnings
        self._blanks: list[tuple[int, int]] = []
        self._speaker: str | None = None
        self.segments: list[Segment] = []

    def add(self, cue: _Cue) -> None:
        has_text = False
        for line in cue.payload:
            line_speaker, body_start = self._speaker_of(line)
            self._speaker = line_speaker or self._speaker
            markup = _MARKUP.finditer(line.text)
            self._blanks.extend((line.offset + m.start(), line.offset + m.end()) for m in markup)
            cleaned = _blank_markup(line.text)[body_start - line.offset :]
            segment = _segment_from(cleaned, body_start, self._speaker, cue.start_ms, cue.end_ms)
            if segment is not None:
                self._extend_or_append(segment)
                has_text = True
        if not has_text:
            self._warnings.append(ReadWarning(cue.timing.number, "cue skipped: it has no text"))

    def _speaker_of(self, line: SourceLine) -> tuple[str | None, int]:
        voice = _VOICE_OPEN.search(line.text)
        if voice is not None:
            return voice["name"].strip(), line.offset
        prefix = _PREFIX_SPEAKER.match(line.text)
        if prefix is not None and name_key(prefix["name"]) in self._labels:
            return prefix["name"].strip(), line.offset + prefix.end()
        return None, line.offset

    def _extend_or_append(self, segment: Segment) -> None:
        if self.segments:
            last = self.segments[-1]
            gap_start = last.char_offset + len(last.text)
            gap = _blank_markup(self._text[gap_start : segment.char_offset])
            same_cue = (last.speaker, last.start_ms, last.end_ms) == (
                segment.speaker,
                segment.start_ms,
                segment.end_ms,
            )
            if same_cue and gap.count("\n") == 1 and not gap.strip():
                self.segments[-1] = Segment(
                    last.text + gap + segment.text,
                    last.char_offset,
                    segment.speaker,
                    segment.start_ms,
                    segment.end_ms,
                )
                return
        self.segments.append(segment)

    def blanked_text(self) -> str:
        parts: list[str] = []
        position = 0
        for blank_start, blank_end in self._blanks:
            parts.append(self._text[position:blank_start])
            parts.append(" " * (blank_end - blank_start))
            position = blank_end
        parts.append(self._text[position:])
        return "".join(parts)


def _blank_markup(text: str) -> str:
    return _MARKUP.sub(lambda markup: " " * len(markup[0]), text)


def _segment_from(
    cleaned: str, base: int, speaker: str | None, start_ms: int, end_ms: int | None
) -> Segment | None:
    stripped = cleaned.strip()
    if not stripped:
        return None
    lead = len(cleaned) - len(cleaned.lstrip())
    return Segment(stripped, base + lead, speaker, start_ms, end_ms)
