"""The error every reading step raises: which file, and what the user can do about it."""

from __future__ import annotations

from pathlib import Path


class TranscriptError(Exception):
    """A transcript cannot be read; carries the file and a message saying what to do."""

    def __init__(self, path: Path, message: str) -> None:
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")

    def __reduce__(self) -> tuple[type[TranscriptError], tuple[Path, str]]:
        return (type(self), (self.path, self.message))
