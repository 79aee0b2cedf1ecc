"""A progress bar over files and sentences, on stderr so stdout stays parseable."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from interview_graph.cli.render import err_console
from interview_graph.pipeline.service import FileReport


class FileProgress:
    def __init__(self, file_count: int, *, enabled: bool) -> None:
        self._enabled = enabled and err_console.is_terminal
        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=not self._enabled,
        )
        self._files: TaskID = self._progress.add_task("files", total=file_count)
        self._reading: TaskID = self._progress.add_task("reading", total=None, visible=False)
        self._sentences: TaskID = self._progress.add_task("sentences", total=None)

    def __enter__(self) -> FileProgress:
        self._progress.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.__exit__(exc_type, exc, tb)

    def start_file(self, path: Path) -> None:
        self._progress.update(self._files, description=f"files ({path.name})")

    def reading(self, characters_read: int, characters: int) -> None:
        """While a file is read (called from the reading thread; Rich's updates are locked)."""
        self._progress.update(
            self._reading,
            completed=characters_read,
            total=characters,
            visible=characters_read < characters,
        )

    def advance(self, sentences: int) -> None:
        self._progress.advance(self._sentences, sentences)

    def finish_file(self, report: FileReport) -> None:
        self._progress.advance(self._files)
