"""Which files a `process` run reads: files named on the command line, and the transcript files
inside folders (recursively). Everything else a folder holds is listed with the reason, so
nothing is passed over without a word; a folder that cannot be read stops nothing else."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from interview_graph.pipeline.errors import TranscriptError

TRANSCRIPT_SUFFIXES: frozenset[str] = frozenset({".txt", ".md", ".vtt", ".srt", ".text"})
NOT_SUPPORTED_YET: frozenset[str] = frozenset({".doc", ".docx", ".odt", ".pages", ".pdf", ".rtf"})


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
    return unsupported_type(path.name)


def unsupported_type(name: str) -> str | None:
    """Why a file of this name is not a transcript by its type; None when its extension is
    one the readers take. The same words for a folder's files and for uploads."""
    suffix = Path(name).suffix.lower()
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
