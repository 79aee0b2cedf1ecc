"""Read transcript files (plain, speaker-labelled, WebVTT, SubRip) into text plus segments.

Every segment keeps the offset of its first character in `Transcript.text`, the decoded file,
so that each sentence can be traced back to the exact words of the source (subtitle markup is
blanked in place, see `cues`). Whatever is skipped or repaired on the way is a `ReadWarning`
with its line; whatever a folder holds that is not read is a `SkippedFile` with the reason.
Reading is one streamed pass over the lines (plus one for plain text), linear in the size.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import yaml

from interview_graph.domain.model import Segment, TranscriptMeta
from interview_graph.pipeline.cues import parse_cues
from interview_graph.pipeline.source_lines import ReadProgress, ReadWarning, iter_lines
from interview_graph.pipeline.speaker_labels import SpeakerLabels
from interview_graph.pipeline.stamps import STAMP, parse_stamp_ms

TranscriptFormat = Literal["text", "speaker", "vtt", "srt"]
TRANSCRIPT_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".vtt", ".srt", ".text"})
NOT_SUPPORTED_YET: frozenset[str] = frozenset({".doc", ".docx", ".odt", ".pages", ".pdf", ".rtf"})
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
    warnings: tuple[ReadWarning, ...] = ()  # what was skipped or repaired, in line order

    @property
    def speakers(self) -> tuple[str, ...]:
        """The speakers found in the text, in order of first appearance."""
        return _speakers_in(self.segments)


def _speakers_in(segments: Sequence[Segment]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(segment.speaker for segment in segments if segment.speaker))


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """Something in a folder that is not read, and why."""

    path: Path
    reason: str


class DiscoveredFiles(list[Path]):
    """The transcript files found, in order; folders that could not be read are in `errors`,
    what the folders hold that is not read (and why) in `skipped`."""

    def __init__(
        self,
        files: Sequence[Path] = (),
        errors: Sequence[TranscriptError] = (),
        skipped: Sequence[SkippedFile] = (),
    ) -> None:
        super().__init__(files)
        self.errors: list[TranscriptError] = list(errors)
        self.skipped: list[SkippedFile] = list(skipped)


# ---------------------------------------------------------------------------------------------
# Discovery


def discover_files(paths: Sequence[Path]) -> DiscoveredFiles:
    """Files and folders (recursively) -> transcript files; one bad folder stops nothing.

    A file named on the command line is always read; inside folders only the transcript
    suffixes are, and everything else is listed in `skipped` with the reason.
    """
    found = DiscoveredFiles()
    seen: set[Path] = set()
    for path in paths:
        for file in _expand(Path(path), found):
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                found.append(file)
    found.skipped.sort(key=lambda skipped: skipped.path)
    return found


def _expand(path: Path, found: DiscoveredFiles) -> list[Path]:
    if path.is_file():
        return [path]
    if path.is_symlink() and not path.exists():
        target = os.readlink(path)
        found.errors.append(
            TranscriptError(path, f"a broken symbolic link (to {target}); fix or remove it")
        )
        return []
    if not path.exists():
        found.errors.append(TranscriptError(path, "no such file or folder; check the path"))
        return []
    return sorted(_walk(path, found, set()))


def _walk(folder: Path, found: DiscoveredFiles, visited: set[Path]) -> Iterator[Path]:
    real = folder.resolve()
    if real in visited:
        found.skipped.append(SkippedFile(folder, "a symbolic link to a folder already searched"))
        return
    visited.add(real)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        found.errors.append(
            TranscriptError(folder, f"cannot list this folder ({reason}); check its permissions")
        )
        return
    for entry in entries:
        entry_path = Path(entry.path)
        if entry.name.startswith("."):
            found.skipped.append(SkippedFile(entry_path, "hidden (the name starts with '.')"))
        elif entry.is_dir(follow_symlinks=True):
            yield from _walk(entry_path, found, visited)
        elif (why := _skip_reason(entry, entry_path)) is None:
            yield entry_path
        else:
            found.skipped.append(SkippedFile(entry_path, why))


def _skip_reason(entry: os.DirEntry[str], path: Path) -> str | None:
    """Why a folder entry that is not a folder is not read; None for a transcript file."""
    if entry.is_symlink() and not path.exists():
        return f"a broken symbolic link (to {os.readlink(path)})"
    if not entry.is_file():
        return _special_file_kind(path)
    suffix = path.suffix.lower()
    if suffix in TRANSCRIPT_SUFFIXES:
        return None
    if suffix in NOT_SUPPORTED_YET:
        return f"{suffix} files are not supported yet; save it as plain text (.txt) or subtitles"
    supported = ", ".join(sorted(TRANSCRIPT_SUFFIXES))
    if not suffix:
        return f"no file extension; transcripts are {supported} (rename it to read it)"
    return f"unsupported file type {suffix}; transcripts are {supported}"


def _special_file_kind(path: Path) -> str:
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        return f"cannot be inspected ({exc.strerror or type(exc).__name__})"
    kind = (
        "a named pipe"
        if stat.S_ISFIFO(mode)
        else "a socket"
        if stat.S_ISSOCK(mode)
        else "a device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"{kind}, not a transcript file"


# ---------------------------------------------------------------------------------------------
# Bytes -> text


def read_transcript(
    path: Path, *, max_bytes: int, on_progress: ReadProgress | None = None
) -> Transcript:
    """Read, decode and split one transcript; raises TranscriptError with a fix for the user.

    `on_progress` is called now and then with (characters read, characters in the file).
    """
    path = Path(path)
    raw = _read_bytes(path, max_bytes)
    text = _decode(path, raw)
    if not text or text.isspace():
        raise TranscriptError(path, "the file is empty or holds only whitespace; nothing to read")
    meta, body_start = _front_matter(path, text)
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
