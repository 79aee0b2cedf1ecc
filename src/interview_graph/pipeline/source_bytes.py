"""A transcript file's bytes and their text: size limit, encodings (UTF-8, UTF-8 or UTF-16 with a
byte order mark), binary files refused. Every refusal names the file, the place and the fix."""

from __future__ import annotations

from pathlib import Path

from interview_graph.pipeline.errors import TranscriptError

_SNIFF_BYTES = 8192
_MAX_CONTROL_RATIO = 0.05


def read_bytes(path: Path, max_bytes: int) -> bytes:
    if not path.exists():
        raise TranscriptError(path, "no such file; check the path")
    if path.is_dir():
        raise TranscriptError(path, "this is a folder, not a file; pass files or use a folder run")
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise TranscriptError(path, oversize(size, max_bytes))
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


def oversize(size: int, max_bytes: int) -> str:
    """What to say about a file of `size` bytes over the limit."""
    return (
        f"the file is {size / 1_048_576:.1f} MB, over the limit of "
        f"{max_bytes / 1_048_576:.1f} MB; split it or raise the MAX_FILE_MB setting"
    )


def decode(path: Path, raw: bytes) -> str:
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
