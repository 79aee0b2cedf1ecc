"""Read transcript files (plain, speaker-labelled, WebVTT, SubRip) into text plus segments.

Every segment keeps the offset of its first character in `Transcript.text`, the decoded file,
so that each sentence can be traced back to the exact words of the source. Markup inside
subtitle cues (`<v Name>`, `<i>`, `{\\an8}`) is blanked with spaces of equal length rather than
removed: the words stay where they were in the source and offsets stay valid.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from interview_graph.domain.model import Segment, TranscriptMeta

TranscriptFormat = Literal["text", "speaker", "vtt", "srt"]
TRANSCRIPT_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".vtt", ".srt", ".text"})
_SNIFF_BYTES = 8192
_MAX_CONTROL_RATIO = 0.05


class TranscriptError(Exception):
    """A transcript cannot be read; carries the file and a message saying what to do."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self) -> tuple[type[TranscriptError], tuple[Path, str]]:
        return (type(self), (self.path, self.message))


@dataclass(frozen=True, slots=True)
class Transcript:
    path: Path
    meta: TranscriptMeta
    text: str
    segments: list[Segment]
    content_sha256: str
    format: TranscriptFormat
    size_bytes: int = 0


class DiscoveredFiles(list[Path]):
    """The transcript files found, in order; folders that could not be read are in `errors`."""

    def __init__(self, files: Sequence[Path] = (), errors: Sequence[TranscriptError] = ()) -> None:
        super().__init__(files)
        self.errors: list[TranscriptError] = list(errors)


# ---------------------------------------------------------------------------------------------
# Discovery


def discover_files(paths: Sequence[Path]) -> DiscoveredFiles:
    """Files and folders (recursively) -> transcript files; one bad folder stops nothing."""
    found = DiscoveredFiles()
    seen: set[Path] = set()
    for path in paths:
        for file in _expand(Path(path), found.errors):
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(file)
    return found


def _expand(path: Path, errors: list[TranscriptError]) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.exists():
        errors.append(TranscriptError(path, "no such file or folder; check the path"))
        return []
    return sorted(_walk(path, errors, set()))


def _walk(folder: Path, errors: list[TranscriptError], visited: set[Path]) -> Iterator[Path]:
    real = folder.resolve()
    if real in visited:
        return  # a symlink loop back to a folder already listed
    visited.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        errors.append(
            TranscriptError(folder, f"cannot list this folder ({reason}); check its permissions")
        )
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        entry_path = Path(entry.path)
        if entry.is_dir(follow_symlinks=True):
            yield from _walk(entry_path, errors, visited)
        elif entry.is_file() and entry_path.suffix.lower() in TRANSCRIPT_SUFFIXES:
            yield entry_path


# ---------------------------------------------------------------------------------------------
# Bytes -> text


def read_transcript(path: Path, *, max_bytes: int) -> Transcript:
    """Read, decode and split one transcript; raises TranscriptError with a fix for the user."""
    path = Path(path)
    raw = _read_bytes(path, max_bytes)
    text = _decode(path, raw)
    if not text.strip():
        raise TranscriptError(path, "the file is empty or holds only whitespace; nothing to read")
    meta, body_start = _front_matter(path, text)
    fmt = _detect_format(path, text, body_start)
    if fmt == "vtt":
        text, segments = _parse_cues(text, body_start, webvtt=True)
    elif fmt == "srt":
        text, segments = _parse_cues(text, body_start, webvtt=False)
    elif fmt == "speaker":
        segments = _parse_speaker_lines(text, body_start)
    else:
        segments = _parse_paragraphs(text, body_start)
    if not segments:
        raise TranscriptError(
            path,
            f"no transcript text found (read as {fmt}): the body is empty apart from headers "
            "or front matter; add the spoken text",
        )
    meta = _with_speakers(meta, segments)
    return Transcript(
        path=path,
        meta=meta,
        text=text,
        segments=segments,
        content_sha256=hashlib.sha256(raw).hexdigest(),
        format=fmt,
        size_bytes=len(raw),
    )


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    if not path.exists():
        raise TranscriptError(path, "no such file; check the path")
    if path.is_dir():
        raise TranscriptError(path, "this is a folder, not a file; pass files or use a folder run")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TranscriptError(
                path,
                f"the file is {size / 1_048_576:.1f} MB, over the limit of "
                f"{max_bytes / 1_048_576:.1f} MB; split it or raise the MAX_FILE_MB setting",
            )
        with path.open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except PermissionError as exc:
        raise TranscriptError(path, "permission denied; make the file readable") from exc
    except OSError as exc:
        raise TranscriptError(path, f"cannot read the file ({exc.strerror or exc})") from exc
    if len(raw) > max_bytes:
        raise TranscriptError(path, "the file grew past the size limit (MAX_FILE_MB) while read")
    if not raw:
        raise TranscriptError(path, "the file is empty; nothing to read")
    return raw


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(b"\xef\xbb\xbf"):
        return _decode_utf8(path, raw[3:], skipped=3)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise TranscriptError(
                path,
                f"invalid UTF-16 at byte {exc.start}; re-save the file as UTF-8",
            ) from exc
    _reject_binary(path, raw[:_SNIFF_BYTES])
    return _decode_utf8(path, raw, skipped=0)


def _reject_binary(path: Path, head: bytes) -> None:
    if b"\x00" in head:
        raise TranscriptError(
            path,
            f"looks binary (NUL byte at offset {head.index(0)}); transcripts must be text "
            "(UTF-8 or UTF-16 with a byte order mark)",
        )
    controls = sum(1 for byte in head if byte < 32 and byte not in (9, 10, 12, 13))
    if head and controls / len(head) > _MAX_CONTROL_RATIO:
        raise TranscriptError(
            path, f"looks binary ({controls} control bytes in the first {len(head)}); not text"
        )


def _decode_utf8(path: Path, raw: bytes, *, skipped: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : max(exc.end, exc.start + 1)][:8]
        line = raw.count(b"\n", 0, exc.start) + 1
        raise TranscriptError(
            path,
            f"not valid UTF-8: bad bytes {bad.hex(' ')} at byte offset {exc.start + skipped} "
            f"(line {line}); convert the file to UTF-8, "
            f"e.g. `iconv -f WINDOWS-1252 -t UTF-8 in.txt > out.txt`",
        ) from exc


# ---------------------------------------------------------------------------------------------
# Front matter

_FRONT_OPEN = re.compile(r"---[ \t]*\r?\n")
_FRONT_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.MULTILINE)


def _front_matter(path: Path, text: str) -> tuple[TranscriptMeta, int]:
    opening = _FRONT_OPEN.match(text)
    if opening is None:
        return TranscriptMeta(), 0
    closing = _FRONT_CLOSE.search(text, opening.end())
    if closing is None:
        raise TranscriptError(
            path, "front matter opened with '---' on line 1 is never closed; add a '---' line"
        )
    block = text[opening.end() : closing.start()]
    try:
        data = yaml.safe_load(block) if block.strip() else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 2}" if mark is not None else "the front matter"
        problem = getattr(exc, "problem", None) or str(exc)
        raise TranscriptError(
            path, f"invalid YAML front matter at {line}: {problem}; fix or remove it"
        ) from exc
    if not isinstance(data, dict):
        raise TranscriptError(
            path, "front matter must be a YAML mapping (title:, date:, participants:, project:)"
        )
    return _meta_from(path, data), closing.end()


def _meta_from(path: Path, data: dict[str, Any]) -> TranscriptMeta:
    participants = data.get("participants") or ()
    if isinstance(participants, str):
        participants = [name.strip() for name in participants.split(",") if name.strip()]
    if not isinstance(participants, list | tuple):
        raise TranscriptError(path, "front matter 'participants' must be a list of names")
    return TranscriptMeta(
        title=_scalar(data.get("title")),
        date=_scalar(data.get("date")),
        participants=tuple(str(name) for name in participants),
        project=_scalar(data.get("project")),
        language=_scalar(data.get("language")) or "en",
    )


def _scalar(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def _with_speakers(meta: TranscriptMeta, segments: list[Segment]) -> TranscriptMeta:
    if meta.participants:
        return meta
    speakers = dict.fromkeys(seg.speaker for seg in segments if seg.speaker)
    return TranscriptMeta(
        title=meta.title,
        date=meta.date,
        participants=tuple(speakers),
        project=meta.project,
        language=meta.language,
    )


# ---------------------------------------------------------------------------------------------
# Format detection

_STAMP = r"\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d{1,3})?"
_SPEAKER_LINE = re.compile(
    rf"[ \t]*(?:\[(?P<pre>{_STAMP})\][ \t]*)?"
    r"(?P<name>[A-Za-z][\w.'’-]*(?:[ \t][A-Za-z0-9][\w.'’-]*){0,3})"
    rf"(?:[ \t]*[\[(](?P<post>{_STAMP})[\])])?"
    r"[ \t]*:[ \t]+(?P<body>\S.*)"
)
_CUE_TIMING = re.compile(rf"[ \t]*(?P<start>{_STAMP})[ \t]+-->[ \t]+(?P<end>{_STAMP})")
_SRT_START = re.compile(rf"\s*\d+[ \t]*\r?\n{_STAMP}[ \t]+-->")
_NON_SPEAKER_WORDS = frozenset({"http", "https", "note", "notes", "example", "e.g", "i.e"})


def _detect_format(path: Path, text: str, body_start: int) -> TranscriptFormat:
    suffix = path.suffix.lower()
    body = text[body_start:]
    if suffix == ".vtt" or body.lstrip("\ufeff \t\r\n").startswith("WEBVTT"):
        return "vtt"
    if suffix == ".srt" or _SRT_START.match(body):
        return "srt"
    lines = [line for line in body[:200_000].splitlines() if line.strip()]
    labelled = sum(1 for line in lines if _speaker_match(line) is not None)
    if labelled >= 2 and labelled >= 0.3 * len(lines):
        return "speaker"
    return "text"


def _speaker_match(line: str) -> re.Match[str] | None:
    match = _SPEAKER_LINE.match(line)
    if match is None or match["name"].lower() in _NON_SPEAKER_WORDS:
        return None
    return match


def parse_stamp_ms(stamp: str) -> int:
    """`hh:mm:ss[.mmm]`, `mm:ss[,mmm]` -> milliseconds."""
    main, _, fraction = stamp.replace(",", ".").partition(".")
    seconds = 0
    for part in main.split(":"):
        seconds = seconds * 60 + int(part)
    millis = int((fraction + "000")[:3]) if fraction else 0
    return seconds * 1000 + millis


# ---------------------------------------------------------------------------------------------
# Plain text and speaker lines


def _lines(text: str, start: int) -> Iterator[tuple[int, str]]:
    """(offset, line without its line break) for each line from `start`."""
    offset = start
    for raw_line in text[start:].splitlines(keepends=True):
        yield offset, raw_line.rstrip("\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
        offset += len(raw_line)


def _span_segment(
    text: str, start: int, end: int, speaker: str | None = None, start_ms: int | None = None
) -> Segment | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start >= end:
        return None
    return Segment(text[start:end], start, speaker, start_ms, None)


def _parse_paragraphs(text: str, start: int) -> list[Segment]:
    segments: list[Segment] = []
    para_start: int | None = None
    para_end = start
    for offset, line in _lines(text, start):
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


@dataclass(slots=True)
class _Turn:
    start: int
    end: int
    speaker: str | None
    start_ms: int | None
    stamps: list[int] = field(default_factory=list)


def _parse_speaker_lines(text: str, start: int) -> list[Segment]:
    turns: list[_Turn] = []
    for offset, line in _lines(text, start):
        if not line.strip():
            continue
        match = _speaker_match(line)
        if match is not None:
            stamp = match["pre"] or match["post"]
            start_ms = parse_stamp_ms(stamp) if stamp else None
            body_start = offset + match.start("body")
            turns.append(_Turn(body_start, offset + len(line), match["name"].strip(), start_ms))
        elif turns:
            turns[-1].end = offset + len(line)
        else:
            turns.append(_Turn(offset, offset + len(line), None, None))
    segments: list[Segment] = []
    for index, turn in enumerate(turns):
        segment = _span_segment(text, turn.start, turn.end, turn.speaker, turn.start_ms)
        if segment is None:
            continue
        next_ms = _next_stamp(turns, index)
        segments.append(
            Segment(segment.text, segment.char_offset, segment.speaker, segment.start_ms, next_ms)
        )
    return segments


def _next_stamp(turns: list[_Turn], index: int) -> int | None:
    if turns[index].start_ms is None:
        return None
    for later in turns[index + 1 :]:
        if later.start_ms is not None:
            return later.start_ms
    return None


# ---------------------------------------------------------------------------------------------
# WebVTT and SubRip

_VOICE_OPEN = re.compile(r"<v(?:\.[\w.-]+)?[ \t]+(?P<name>[^>]+)>")
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|<\d{1,2}:\d{2}[^<>]*>|\{\\[^{}]*\}")
_PREFIX_SPEAKER = re.compile(
    r"[ \t]*-?[ \t]*(?P<name>[A-Za-z][\w.'’-]*(?:[ \t][A-Za-z0-9][\w.'’-]*){0,3})[ \t]*:[ \t]+"
)
_BLOCK_SKIP = ("NOTE", "STYLE", "REGION", "WEBVTT")


def _parse_cues(text: str, start: int, *, webvtt: bool) -> tuple[str, list[Segment]]:
    """Cue payloads become segments; markup is blanked in the returned text, offsets unchanged."""
    blanks: list[tuple[int, int]] = []
    segments: list[Segment] = []
    speaker: str | None = None
    for block in _blocks(text, start):
        timing_index = next(
            (i for i, (_, line) in enumerate(block) if _CUE_TIMING.match(line)), None
        )
        if timing_index is None or (webvtt and block[0][1].lstrip().startswith(_BLOCK_SKIP)):
            continue
        timing = _CUE_TIMING.match(block[timing_index][1])
        assert timing is not None
        start_ms, end_ms = parse_stamp_ms(timing["start"]), parse_stamp_ms(timing["end"])
        for offset, line in block[timing_index + 1 :]:
            line_speaker, body_start = _cue_speaker(line, offset)
            speaker = line_speaker or speaker
            blanks.extend((offset + m.start(), offset + m.end()) for m in _MARKUP.finditer(line))
            cleaned = _blank_markup(line)[body_start - offset :]
            seg = _span_segment_from(cleaned, body_start, speaker, start_ms, end_ms)
            _extend_or_append(segments, seg, text)
    return _with_blanks(text, blanks), segments


def _blank_markup(text: str) -> str:
    return _MARKUP.sub(lambda markup: " " * len(markup[0]), text)


def _with_blanks(text: str, blanks: list[tuple[int, int]]) -> str:
    parts: list[str] = []
    position = 0
    for blank_start, blank_end in blanks:
        parts.append(text[position:blank_start])
        parts.append(" " * (blank_end - blank_start))
        position = blank_end
    parts.append(text[position:])
    return "".join(parts)


def _cue_speaker(line: str, offset: int) -> tuple[str | None, int]:
    voice = _VOICE_OPEN.search(line)
    if voice is not None:
        return voice["name"].strip(), offset
    prefix = _PREFIX_SPEAKER.match(line)
    if prefix is not None and prefix["name"].lower() not in _NON_SPEAKER_WORDS:
        return prefix["name"].strip(), offset + prefix.end()
    return None, offset


def _span_segment_from(
    cleaned: str, base: int, speaker: str | None, start_ms: int, end_ms: int
) -> Segment | None:
    stripped = cleaned.strip()
    if not stripped:
        return None
    lead = len(cleaned) - len(cleaned.lstrip())
    return Segment(stripped, base + lead, speaker, start_ms, end_ms)


def _extend_or_append(segments: list[Segment], seg: Segment | None, text: str) -> None:
    """Lines of one cue with one speaker form one segment (the line break is inside its span)."""
    if seg is None:
        return
    if segments:
        last = segments[-1]
        gap = _blank_markup(text[last.char_offset + len(last.text) : seg.char_offset])
        same_cue = (last.speaker, last.start_ms, last.end_ms) == (
            seg.speaker,
            seg.start_ms,
            seg.end_ms,
        )
        if same_cue and gap.count("\n") == 1 and not gap.strip():
            segments[-1] = Segment(
                last.text + gap + seg.text,
                last.char_offset,
                seg.speaker,
                seg.start_ms,
                seg.end_ms,
            )
            return
    segments.append(seg)


def _blocks(text: str, start: int) -> Iterator[list[tuple[int, str]]]:
    block: list[tuple[int, str]] = []
    for offset, line in _lines(text, start):
        if line.strip():
            block.append((offset, line))
        elif block:
            yield block
            block = []
    if block:
        yield block
