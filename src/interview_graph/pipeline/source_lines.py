"""The lines of a decoded transcript, streamed with their offsets and 1-based numbers, and the
warnings that point at them.

Lines end where `str.splitlines` ends them. The text is split a chunk at a time, never into
one list of all its lines, so memory stays flat for large files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

ReadProgress = Callable[[int, int], None]
"""Called now and then while a file is read: (characters read, characters in the file)."""

_BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # where str.splitlines splits
_CHUNK_CHARS = 1 << 20


@dataclass(frozen=True, slots=True)
class ReadWarning:
    """Something in a file that was skipped or repaired while reading it, and where."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class SourceLine(NamedTuple):
    number: int  # 1-based
    offset: int  # of the line's first character in the text
    text: str  # without its line break


def iter_lines(text: str, start: int, progress: ReadProgress | None = None) -> Iterator[SourceLine]:
    """Every line from `start` (a line's first character) to the end of the text.

    The text is split a chunk at a time, each chunk ending after a newline (always a line
    boundary), so only one chunk's lines exist at once whatever the size of the file.
    """
    number = 1 + len(text[:start].splitlines())
    total = len(text)
    offset = start
    while offset < total:
        cut = text.find("\n", offset + _CHUNK_CHARS)
        chunk_end = total if cut < 0 else cut + 1
        for raw_line in text[offset:chunk_end].splitlines(keepends=True):
            yield SourceLine(number, offset, raw_line.rstrip(_BREAKS))
            offset += len(raw_line)
            number += 1
        if progress is not None:
            progress(offset, total)


def iter_blocks(
    text: str, start: int, progress: ReadProgress | None = None
) -> Iterator[list[SourceLine]]:
    """Runs of non-blank lines, as separated by blank lines (subtitle cues, paragraphs)."""
    block: list[SourceLine] = []
    for line in iter_lines(text, start, progress):
        if line.text.strip():
            block.append(line)
        elif block:
            yield block
            block = []
    if block:
        yield block


def excerpt(line: str, limit: int = 60) -> str:
    """A line quoted in a warning: stripped and cut to `limit` characters."""
    stripped = line.strip()
    return repr(stripped if len(stripped) <= limit else stripped[: limit - 1] + "…")
