"""Uploaded transcripts, stored in `DATA_DIR/uploads` under their content hash.

A file is streamed to a temporary file beside the store while its sha256 is computed, synced,
then renamed to `<sha256><extension>` in one atomic step: a reader never sees half a file,
the same bytes are stored once, and no name a client sends ever becomes a path. The original
name is kept only as metadata, sanitized (`sanitize_name`). The extension (one the readers
take, lower-cased) stays on the stored file because the readers tell subtitles apart by it.

Files are refused on upload, and never stored, when their type is not a transcript type or
they exceed MAX_FILE_MB; everything else the readers refuse (empty, binary, not UTF-8) is
found when the file is processed, with the CLI's words. Stored files stay: they are the
sources of the interviews (`content_sha256`), and a job that resumes after a restart reads
them again.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from pathlib import Path

from interview_graph.jobs.port import NewJobFile
from interview_graph.pipeline.discovery import unsupported_type
from interview_graph.pipeline.source_bytes import oversize

MAX_NAME_CHARS = 200
FALLBACK_NAME = "upload"
_STORED_NAME = re.compile(r"[0-9a-f]{64}(\.[a-z0-9]{1,10})?")
_PARTIAL_SUFFIX = ".part"


def sanitize_name(raw: str) -> str:
    """A client's file name made safe to show and to keep: its last path component (after
    `/` or `\\`), NFC, without control or format characters, leading dots or surrounding
    blanks, at most MAX_NAME_CHARS (its extension kept); `upload` if nothing is left."""
    name = unicodedata.normalize("NFC", raw).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        keep = extension if dot and len(extension) <= 10 else ""
        cut = MAX_NAME_CHARS - len(keep) - (1 if keep else 0)
        name = (stem if keep else name)[:cut].rstrip() + (f".{keep}" if keep else "")
    return name or FALLBACK_NAME


class UploadStore:
    """The upload folder of one data directory."""

    def __init__(self, directory: Path, *, max_file_bytes: int) -> None:
        self.directory = directory
        self.max_file_bytes = max_file_bytes

    def path_of(self, stored_as: str) -> Path:
        """Where a stored file is; refuses anything but a name this store gave."""
        if not _STORED_NAME.fullmatch(stored_as):
            raise ValueError(f"{stored_as!r} is not a stored upload's name")
        return self.directory / stored_as

    def receive(self, original_name: str) -> UploadWriter:
        """A writer for one file; write its bytes in order, then `finish` (or `abort`)."""
        self.directory.mkdir(parents=True, exist_ok=True)
        return UploadWriter(self, sanitize_name(original_name))

    def remove_partial_files(self) -> int:
        """Remove the temporary files of uploads whose process is gone; returns how many."""
        removed = 0
        for partial in self.directory.glob(f"*{_PARTIAL_SUFFIX}"):
            pid = partial.name.partition("-")[0]
            if pid.isdigit() and not _process_exists(int(pid)):
                partial.unlink(missing_ok=True)
                removed += 1
        return removed


class UploadWriter:
    """One file on its way in: hashed and counted as it comes, written only while it can
    still be accepted."""

    def __init__(self, store: UploadStore, name: str) -> None:
        self.name = name
        self._store = store
        self._sha256 = hashlib.sha256()
        self._size = 0
        self._extension = Path(name).suffix.lower()
        self._refused = unsupported_type(name)
        self._handle: int | None = None
        self._partial: Path | None = None
        if self._refused is None:
            handle, partial = tempfile.mkstemp(
                prefix=f"{os.getpid()}-", suffix=_PARTIAL_SUFFIX, dir=store.directory
            )
            self._handle, self._partial = handle, Path(partial)

    @property
    def size_bytes(self) -> int:
        return self._size

    def write(self, chunk: bytes) -> None:
        self._sha256.update(chunk)
        self._size += len(chunk)
        if self._handle is None:
            return
        if self._size > self._store.max_file_bytes:
            self.abort()
            return
        view = memoryview(chunk)
        while view:
            view = view[os.write(self._handle, view) :]

    def finish(self) -> NewJobFile:
        """The file as a job gets it: stored under its hash, or refused with the reason."""
        sha256 = self._sha256.hexdigest()
        error = self._refusal()
        if error is not None:
            self.abort()
            return NewJobFile(self.name, sha256, self._size, None, f"{self.name}: {error}")
        assert self._handle is not None and self._partial is not None
        stored_as = f"{sha256}{self._extension}"
        try:
            os.fsync(self._handle)
            os.close(self._handle)
            self._handle = None
            os.replace(self._partial, self._store.path_of(stored_as))
            self._partial = None
            _sync_directory(self._store.directory)
        finally:
            self.abort()
        return NewJobFile(self.name, sha256, self._size, stored_as)

    def _refusal(self) -> str | None:
        if self._refused is not None:
            return self._refused
        if self._size > self._store.max_file_bytes:
            return oversize(self._size, self._store.max_file_bytes)
        return None

    def abort(self) -> None:
        """Drop what was written (idempotent)."""
        if self._handle is not None:
            os.close(self._handle)
            self._handle = None
        if self._partial is not None:
            self._partial.unlink(missing_ok=True)
            self._partial = None


def _sync_directory(directory: Path) -> None:
    """The rename survives a power cut once the folder itself is synced."""
    handle = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
