"""Read transcript files (plain, speaker-labelled, WebVTT, SubRip) into text plus segments.

Every segment keeps the offset of its first character in `Transcript.text`, the decoded file,
so that each sentence can be traced back to the exact words of the source (subtitle markup is
blanked in place, see `cues`). Whatever is skipped or repaired on the way is a `ReadWarning`
with its line (the folder walk is `discovery`, bytes and encodings `source_bytes`).
Reading is one streamed pass over the lines (plus one for plain text), linear in the size.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from interview_graph.domain.model import Segment, TranscriptMeta
from interview_graph.pipeline.cues import parse_cues
from interview_graph.pipeline.errors import TranscriptError
from interview_graph.pipeline.front_matter import front_matter
from interview_graph.pipeline.source_bytes import decode, read_bytes
from interview_graph.pipeline.source_lines import ReadProgress, ReadWarning, iter_lines
from interview_graph.pipeline.speaker_labels import SpeakerLabels
from interview_graph.pipeline.stamps import STAMP, parse_stamp_ms

TranscriptFormat = Literal["text", "speaker", "vtt", "srt"]


@dataclass(frozen=True, slots=True)
class Transcript:
    path: Path
    meta: TranscriptMeta
    text: str
    segments: list[Segment]
    content_sha256: str
    format: TranscriptFormat
    size_bytes: int = 0
    warnings: tuple[ReadWarning, ...] = ()  # what was skipped or repaired, in line order

    @property
    def speakers(self) -> tuple[str, ...]:
        """The speakers found in the text, in order of first appearance."""
        return _speakers_in(self.segments)


def _speakers_in(segments: Sequence[Segment]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(segment.speaker for segment in segments if segment.speaker))


# ---------------------------------------------------------------------------------------------
# Bytes -> text


def read_transcript(
    path: Path, *, max_bytes: int, on_progress: ReadProgress | None = None
) -> Transcript:
    """Read, decode and split one transcript; raises TranscriptError with a fix for the user.

    `on_progress` is called now and then with (characters read, characters in the file).
    """
    path = Path(path)
    raw = read_bytes(path, max_bytes)
    text = decode(path, raw)
    if not text or text.isspace():
        raise TranscriptError(path, "the file is empty or holds only whitespace; nothing to read")
    meta, body_start = front_matter(path, text)
    fmt: TranscriptFormat
    warnings: list[ReadWarning] = []
    subtitles = _subtitle_format(path, text, body_start)
    if subtitles is not None:
        fmt = subtitles
        cues = parse_cues(
            text,
            body_start,
            webvtt=fmt == "vtt",
            participants=meta.participants,
            progress=on_progress,
        )
        text, segments, warnings = cues.text, cues.segments, cues.warnings
        if not segments and warnings:
            raise TranscriptError(path, _no_usable_cue(fmt, warnings))
    else:
        fmt, segments = _parse_text(text, body_start, meta.participants, on_progress)
    if not segments:
        raise TranscriptError(
            path,
            f"no transcript text found (read as {fmt}): the body is empty apart from headers "
            "or front matter; add the spoken text",
        )
    return Transcript(
        path=path,
        meta=_with_speakers(meta, segments),
        text=text,
        segments=segments,
        content_sha256=hashlib.sha256(raw).hexdigest(),
        format=fmt,
        size_bytes=len(raw),
        warnings=tuple(warnings),
    )


def _no_usable_cue(fmt: TranscriptFormat, warnings: Sequence[ReadWarning]) -> str:
    more = f" (and {len(warnings) - 1} more problem(s) after it)" if len(warnings) > 1 else ""
    kind = "WebVTT" if fmt == "vtt" else "SubRip"
    return f"no usable cue in this {kind} file; the first problem is at {warnings[0]}{more}"


def _with_speakers(meta: TranscriptMeta, segments: list[Segment]) -> TranscriptMeta:
    if meta.participants:
        return meta
    return TranscriptMeta(
        title=meta.title,
        date=meta.date,
        participants=_speakers_in(segments),
        project=meta.project,
        language=meta.language,
    )


# ---------------------------------------------------------------------------------------------
# Format detection

_SPEAKER_LINE = re.compile(
    rf"[ \t]*(?:\[(?P<pre>{STAMP})\][ \t]*)?"
    r"(?P<name>[A-Za-z][\w.'’-]*(?:[ \t][A-Za-z0-9][\w.'’-]*){0,3})"
    rf"(?:[ \t]*[\[(](?P<post>{STAMP})[\])])?"
    r"[ \t]*:[ \t]+(?P<body>\S.*)"
)
_SRT_START = re.compile(rf"\s*\d+[ \t]*\r?\n{STAMP}[ \t]+-->")
_LABELLED_SHARE = 0.3


def _subtitle_format(path: Path, text: str, body_start: int) -> Literal["vtt", "srt"] | None:
    suffix = path.suffix.lower()
    body = text[body_start : body_start + 4096]
    if suffix == ".vtt" or body.lstrip("\ufeff \t\r\n").startswith("WEBVTT"):
        return "vtt"
    if suffix == ".srt" or _SRT_START.match(body):
        return "srt"
    return None


# ---------------------------------------------------------------------------------------------
# Plain text and speaker lines


def _span_segment(
    text: str,
    start: int,
    end: int,
    speaker: str | None = None,
    start_ms: int | None = None,
    end_ms: int | None = None,
) -> Segment | None:
    """The text between start and end without surrounding whitespace; None when blank."""
    span = text[start:end]
    words = span.strip()
    if not words:
        return None
    return Segment(words, start + len(span) - len(span.lstrip()), speaker, start_ms, end_ms)


def _parse_paragraphs(text: str, start: int) -> list[Segment]:
    segments: list[Segment] = []
    para_start: int | None = None
    para_end = start
    for _, offset, line in iter_lines(text, start):
        if line.strip():
            para_start = offset if para_start is None else para_start
            para_end = offset + len(line)
        elif para_start is not None:
            _append(segments, _span_segment(text, para_start, para_end))
            para_start = None
    if para_start is not None:
        _append(segments, _span_segment(text, para_start, para_end))
    return segments


def _append(segments: list[Segment], segment: Segment | None) -> None:
    if segment is not None:
        segments.append(segment)


# A line that may carry a label: (offset of the line, of its text after the label, of the
# label; the label's `name_key`, the label as written; its time stamp in ms or None).
# Plain tuples because the garbage collector stops tracking tuples of plain values: a
# million lines then add nothing to each collection's work.
_Candidate = tuple[int, int, int, str, str, int | None]
# A turn: (offset of its line, of its text; speaker or None; time stamp in ms or None).
_Turn = tuple[int, int, str | None, int | None]


@dataclass(slots=True)
class _ScannedLines:
    candidates: list[_Candidate]
    labels: frozenset[str]  # the candidates' keys that are speaker labels
    text_lines: int  # lines that are not blank

    def is_speaker_transcript(self) -> bool:
        labelled = sum(1 for candidate in self.candidates if candidate[3] in self.labels)
        return labelled >= 2 and labelled >= _LABELLED_SHARE * self.text_lines

    def turns(self) -> list[_Turn]:
        """A turn per label; a candidate that is prose stays in the text of the turn before
        it, unless it has a time stamp: then it starts a turn without a speaker."""
        labels = self.labels
        turns: list[_Turn] = []
        for line_start, text_start, label_start, key, name, start_ms in self.candidates:
            if key in labels:
                turns.append((line_start, text_start, name, start_ms))
            elif start_ms is not None:
                turns.append((line_start, label_start, None, start_ms))
        return turns


def _parse_text(
    text: str, start: int, participants: Sequence[str], progress: ReadProgress | None
) -> tuple[TranscriptFormat, list[Segment]]:
    """Speaker-labelled lines when enough lines carry a label, else plain paragraphs."""
    scanned = _scan_lines(text, start, participants, progress)
    if not scanned.is_speaker_transcript():
        return "text", _parse_paragraphs(text, start)
    return "speaker", _turn_segments(text, start, scanned.turns())


def _scan_lines(
    text: str, start: int, participants: Sequence[str], progress: ReadProgress | None
) -> _ScannedLines:
    """One pass over the lines: those that may carry a label, and how many are not blank."""
    labels = SpeakerLabels(participants)
    add_label, match_label = labels.add, _SPEAKER_LINE.match
    candidates: list[_Candidate] = []
    text_lines = 0
    for _, offset, line in iter_lines(text, start, progress):
        if not line or line.isspace():
            continue
        text_lines += 1
        match = match_label(line)
        if match is not None:
            name = match["name"].strip()
            stamp = match["pre"] or match["post"]
            candidates.append(
                (
                    offset,
                    offset + match.start("body"),
                    offset + match.start("name"),
                    add_label(name),
                    name,
                    parse_stamp_ms(stamp) if stamp else None,
                )
            )
    return _ScannedLines(candidates, labels.labels(), text_lines)


def _turn_segments(text: str, start: int, turns: list[_Turn]) -> list[Segment]:
    """A segment per turn, running to the next turn's line (lines without a label continue
    the turn); text before the first turn has no speaker. A stamped turn ends where the
    next stamped turn starts."""
    segments: list[Segment] = []
    _append(segments, _span_segment(text, start, turns[0][0] if turns else len(text)))
    ends: list[int | None] = [None] * len(turns)
    next_ms: int | None = None
    for index in range(len(turns) - 1, -1, -1):
        start_ms = turns[index][3]
        if start_ms is not None:
            ends[index], next_ms = next_ms, start_ms
    line_ends = [turn[0] for turn in turns[1:]] + [len(text)]
    for (_, text_start, speaker, start_ms), end, end_ms in zip(turns, line_ends, ends, strict=True):
        _append(segments, _span_segment(text, text_start, end, speaker, start_ms, end_ms))
    return segments
