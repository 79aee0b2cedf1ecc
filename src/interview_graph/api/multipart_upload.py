"""Reading an upload request (multipart/form-data) as it streams in: each file part goes
straight into the upload store, never whole into memory or a temporary folder elsewhere.

Accepted parts: `files` (one or more file parts) and `project` (text). What is refused as a
whole, with a JSON message and nothing queued: another body type (415), a malformed body
(400), more files than MAX_UPLOAD_FILES or a body larger than all of them could be (413),
no file, an unknown field, a `files` part that is not a file (422). A single file that is
too large or not a transcript type is not stored and fails alone in the job.
"""

from __future__ import annotations

import asyncio
import codecs
from dataclasses import dataclass, field

from fastapi import HTTPException, Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from interview_graph.jobs.port import NewJobFile
from interview_graph.jobs.uploads import UploadStore, UploadWriter

FILES_FIELD = "files"
PROJECT_FIELD = "project"
MAX_PROJECT_CHARS = 200
BODY_OVERHEAD_BYTES = 1 << 20  # headers and boundaries, beyond the files themselves
CURL_EXAMPLE = "curl -F files=@interview.vtt -F project=demo .../api/transcripts"


@dataclass
class ReceivedUpload:
    project: str | None
    files: list[NewJobFile]


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    header_name: bytes = b""
    header_value: bytes = b""
    field_name: str = ""
    writer: UploadWriter | None = None
    text: bytearray = field(default_factory=bytearray)
    skipped: bool = False  # a file input left empty (no file name): not a file


class _UploadReader:
    """The parser's callbacks (plain calls) collect work; `read` does the file writes off the
    event loop after each chunk of the body."""

    def __init__(self, uploads: UploadStore, max_files: int, charset: str) -> None:
        self._uploads = uploads
        self._max_files = max_files
        self._charset = charset
        self._part = _Part()
        self._writes: list[tuple[UploadWriter, bytes]] = []
        self._finished: list[UploadWriter] = []
        self._open: list[UploadWriter] = []
        self.files: list[NewJobFile] = []
        self.project: str | None = None
        self.file_count = 0
        self.ended = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_end": self._body_end,
        }

    def _begin(self) -> None:
        self._part = _Part()

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._part.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._part.header_value += data[start:end]

    def _header_end(self) -> None:
        part = self._part
        part.headers[part.header_name.strip().lower()] = part.header_value.strip()
        part.header_name, part.header_value = b"", b""

    def _headers_finished(self) -> None:
        part = self._part
        _, options = parse_options_header(part.headers.get(b"content-disposition"))
        if b"name" not in options:
            raise HTTPException(400, "a part of the body has no Content-Disposition name")
        part.field_name = self._decode(options[b"name"])
        if part.field_name == FILES_FIELD:
            if b"filename" not in options:
                raise HTTPException(
                    422, f"`{FILES_FIELD}` must be file parts, e.g. `{CURL_EXAMPLE}`"
                )
            filename = self._decode(options[b"filename"])
            if filename:
                self._start_file(filename)
            else:
                part.skipped = True
        elif part.field_name != PROJECT_FIELD:
            raise HTTPException(
                422,
                f"unknown form field {part.field_name!r}: send `{FILES_FIELD}` (one or more "
                f"files) and optionally `{PROJECT_FIELD}`",
            )

    def _start_file(self, filename: str) -> None:
        self.file_count += 1
        if self.file_count > self._max_files:
            raise HTTPException(
                413,
                f"too many files: at most {self._max_files} per upload (MAX_UPLOAD_FILES); "
                "send the others in another upload",
            )
        writer = self._uploads.receive(filename)
        self._open.append(writer)
        self._part.writer = writer

    def _data(self, data: bytes, start: int, end: int) -> None:
        part = self._part
        if part.writer is not None:
            self._writes.append((part.writer, data[start:end]))
            return
        if part.skipped:
            return
        part.text += data[start:end]
        if len(part.text) > MAX_PROJECT_CHARS * 4:
            raise HTTPException(422, f"`{PROJECT_FIELD}` is longer than {MAX_PROJECT_CHARS}")

    def _end(self) -> None:
        part = self._part
        if part.writer is not None:
            self._finished.append(part.writer)
        elif part.field_name == PROJECT_FIELD:
            self.project = self._project(bytes(part.text))

    def _body_end(self) -> None:
        self.ended = True

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode(self._charset)
        except UnicodeDecodeError:
            return raw.decode("latin-1")

    def _project(self, raw: bytes) -> str | None:
        try:
            project = raw.decode("utf-8").strip()
        except UnicodeDecodeError as exc:
            raise HTTPException(422, f"`{PROJECT_FIELD}` is not valid UTF-8") from exc
        if len(project) > MAX_PROJECT_CHARS:
            raise HTTPException(422, f"`{PROJECT_FIELD}` is longer than {MAX_PROJECT_CHARS}")
        return project or None

    async def store_pending(self) -> None:
        """Write what the last chunk brought, then finish the files that ended in it."""
        writes, self._writes = self._writes, []
        finished, self._finished = self._finished, []
        if writes or finished:
            self.files.extend(await asyncio.to_thread(_write_and_finish, writes, finished))
            for writer in finished:
                self._open.remove(writer)

    def abort(self) -> None:
        for writer in self._open:
            writer.abort()
        self._open.clear()


def _write_and_finish(
    writes: list[tuple[UploadWriter, bytes]], finished: list[UploadWriter]
) -> list[NewJobFile]:
    for writer, chunk in writes:
        writer.write(chunk)
    return [writer.finish() for writer in finished]


async def receive_upload(
    request: Request, uploads: UploadStore, *, max_files: int
) -> ReceivedUpload:
    """The request's project and files, each stored or refused (HTTPException for a request
    refused as a whole; nothing it brought is kept then, except whole files already stored,
    which are named by their content and harmless)."""
    boundary, charset = _boundary(request)
    reader = _UploadReader(uploads, max_files, charset)
    parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
    max_body = max_files * uploads.max_file_bytes + BODY_OVERHEAD_BYTES
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > max_body:
                raise HTTPException(413, _too_large(max_files, uploads.max_file_bytes))
            parser.write(chunk)
            await reader.store_pending()
        parser.finalize()
        await reader.store_pending()
    except FormParserError as exc:
        reader.abort()
        raise HTTPException(400, f"malformed multipart body: {exc}") from exc
    except ClientDisconnect as exc:
        reader.abort()
        raise HTTPException(400, "the client disconnected before the upload ended") from exc
    except OSError as exc:
        reader.abort()
        raise HTTPException(
            507, f"could not store the upload ({exc.strerror or exc}); free some disk space"
        ) from exc
    except BaseException:
        reader.abort()
        raise
    if not reader.ended:
        reader.abort()
        raise HTTPException(400, "the multipart body ended before its closing boundary")
    if not reader.files:
        raise HTTPException(
            422, f"no file in the upload: send one or more transcripts, e.g. `{CURL_EXAMPLE}`"
        )
    return ReceivedUpload(reader.project, reader.files)


def _boundary(request: Request) -> tuple[bytes, str]:
    media_type, options = parse_options_header(request.headers.get("content-type"))
    if media_type != b"multipart/form-data":
        raise HTTPException(415, f"send the files as multipart/form-data, e.g. `{CURL_EXAMPLE}`")
    boundary = options.get(b"boundary")
    if not boundary:
        raise HTTPException(400, "the multipart/form-data Content-Type has no boundary")
    charset = options.get(b"charset", b"utf-8").decode("latin-1")
    try:
        return boundary, codecs.lookup(charset).name
    except LookupError:
        return boundary, "utf-8"


def _too_large(max_files: int, max_file_bytes: int) -> str:
    limit = max_files * max_file_bytes / 1_048_576
    return (
        f"the upload is larger than {limit:.0f} MB, more than {max_files} files "
        "(MAX_UPLOAD_FILES) of MAX_FILE_MB each could be; send fewer or smaller files"
    )
