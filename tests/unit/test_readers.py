"""Transcript readers: formats, encodings, front matter, offsets and every user-facing error."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from interview_graph.pipeline.readers import (
    Transcript,
    TranscriptError,
    discover_files,
    parse_stamp_ms,
    read_transcript,
)

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
MB = 1_048_576


def read(path: Path, max_bytes: int = 10 * MB) -> Transcript:
    return read_transcript(path, max_bytes=max_bytes)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def assert_segments_index_text(transcript: Transcript) -> None:
    for segment in transcript.segments:
        end = segment.char_offset + len(segment.text)
        assert transcript.text[segment.char_offset : end] == segment.text
        assert segment.text == segment.text.strip()


# -- samples ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected_format"),
    [
        ("onboarding-interview.txt", "speaker"),
        ("pricing-call.md", "speaker"),
        ("reporting-workflow.vtt", "vtt"),
        ("support-tooling.srt", "srt"),
        ("field-notes.txt", "text"),
    ],
)
def test_every_sample_is_detected_and_its_segments_index_the_text(
    name: str, expected_format: str
) -> None:
    transcript = read(SAMPLES / name)
    assert transcript.format == expected_format
    assert len(transcript.segments) >= 5
    assert_segments_index_text(transcript)
    assert len(transcript.content_sha256) == 64


def test_front_matter_fills_the_metadata() -> None:
    transcript = read(SAMPLES / "pricing-call.md")
    assert transcript.meta.title == "Pricing and plan limits, small consultancy"
    assert transcript.meta.date == "2026-04-02"
    assert transcript.meta.participants == ("Alex Kim", "Rosa Delgado")
    assert transcript.meta.project == "Pricing Research"
    assert "title:" not in "".join(segment.text for segment in transcript.segments)


def test_participants_default_to_the_speakers_in_order_of_appearance() -> None:
    transcript = read(SAMPLES / "support-tooling.srt")
    assert transcript.meta.participants == ("Mei", "Jordan")


# -- speaker-labelled lines -------------------------------------------------------------------


def test_speaker_lines_with_leading_stamps_and_continuations(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "[00:00:05] Ann: Hello there.\n"
        "[00:01:02] Bob: First line of my answer.\n"
        "Second line, still Bob.\n"
        "\n"
        "[01:00:00] Ann: Last question?\n",
    )
    transcript = read(path)
    assert transcript.format == "speaker"
    speakers = [(s.speaker, s.start_ms, s.end_ms) for s in transcript.segments]
    assert speakers == [
        ("Ann", 5_000, 62_000),
        ("Bob", 62_000, 3_600_000),
        ("Ann", 3_600_000, None),
    ]
    assert transcript.segments[1].text == "First line of my answer.\nSecond line, still Bob."
    assert_segments_index_text(transcript)


def test_speaker_lines_with_trailing_stamps_and_without_stamps(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "Dr. Lee [00:02]: We start here.\nMaria Lopez (00:07.5): Fine by me.\nDr. Lee: No stamp.\n",
    )
    transcript = read(path)
    assert [(s.speaker, s.start_ms, s.end_ms) for s in transcript.segments] == [
        ("Dr. Lee", 2_000, 7_500),
        ("Maria Lopez", 7_500, None),
        ("Dr. Lee", None, None),
    ]


def test_text_before_the_first_label_has_no_speaker(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "Recorded on site.\nAnn: Hi.\nBob: Hello.\nAnn: Bye.\n")
    transcript = read(path)
    assert transcript.segments[0].speaker is None
    assert transcript.segments[0].text == "Recorded on site."


def test_plain_text_paragraphs_have_no_speaker(tmp_path: Path) -> None:
    path = write(tmp_path, "notes.txt", "First paragraph.\nStill first.\n\n\nSecond: with colon.\n")
    transcript = read(path)
    assert transcript.format == "text"
    assert [s.text for s in transcript.segments] == [
        "First paragraph.\nStill first.",
        "Second: with colon.",
    ]
    assert all(s.speaker is None for s in transcript.segments)


def test_stamp_parsing() -> None:
    assert parse_stamp_ms("01:02:03") == 3_723_000
    assert parse_stamp_ms("02:03") == 123_000
    assert parse_stamp_ms("00:00:01,5") == 1_500
    assert parse_stamp_ms("00:00:01.250") == 1_250


# -- WebVTT and SubRip ------------------------------------------------------------------------

VTT = """WEBVTT

NOTE this block is a comment
with two lines

intro
00:00:01.000 --> 00:00:04.000 align:start
<v Ann>Hello <i>there</i>, Bob.</v>

00:00:04.500 --> 00:01:05.250
<v.loud Bob>Hi Ann.
Good to be here.</v>

00:01:06.000 --> 00:01:08.000
<v Ann>One.</v>
<v Bob>Two.</v>
"""


def test_webvtt_voices_times_and_blanked_markup(tmp_path: Path) -> None:
    transcript = read(write(tmp_path, "call.vtt", VTT))
    assert transcript.format == "vtt"
    assert len(transcript.text) == len(VTT)
    got = [(s.speaker, s.start_ms, s.end_ms, s.text) for s in transcript.segments]
    assert got == [
        ("Ann", 1_000, 4_000, "Hello    there    , Bob."),
        ("Bob", 4_500, 65_250, "Hi Ann.\nGood to be here."),
        ("Ann", 66_000, 68_000, "One."),
        ("Bob", 66_000, 68_000, "Two."),
    ]
    first = transcript.segments[0]
    assert VTT[first.char_offset : first.char_offset + 5] == "Hello"
    assert "<" not in transcript.text.split("\n\n", 2)[2]
    assert_segments_index_text(transcript)


SRT = """1
00:00:01,000 --> 00:00:02,500
Ann: Hello, <b>Bob</b>.

2
00:00:03,000 --> 00:00:06,000
- Bob: Hi Ann.
How are you?

3
00:00:06,500 --> 00:00:07,000
Fine, thanks.
"""


def test_subrip_speakers_times_and_carried_speaker(tmp_path: Path) -> None:
    transcript = read(write(tmp_path, "call.srt", SRT))
    assert transcript.format == "srt"
    got = [(s.speaker, s.start_ms, s.end_ms, s.text) for s in transcript.segments]
    assert got == [
        ("Ann", 1_000, 2_500, "Hello,    Bob    ."),
        ("Bob", 3_000, 6_000, "Hi Ann.\nHow are you?"),
        ("Bob", 6_500, 7_000, "Fine, thanks."),
    ]
    assert_segments_index_text(transcript)


def test_subrip_is_detected_by_content_without_extension(tmp_path: Path) -> None:
    assert read(write(tmp_path, "call.txt", SRT)).format == "srt"


def test_webvtt_is_detected_by_content_without_extension(tmp_path: Path) -> None:
    assert read(write(tmp_path, "call.txt", VTT)).format == "vtt"


# -- encodings --------------------------------------------------------------------------------

TEXT = "Ann: Café au lait — très bien.\nBob: Ja, schön.\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16-le", "utf-16-be"])
def test_encodings_with_byte_order_marks(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "t.txt"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(encoding, b"")
    path.write_bytes(bom + TEXT.encode(encoding))
    transcript = read(path)
    assert transcript.text == TEXT
    assert [s.speaker for s in transcript.segments] == ["Ann", "Bob"]
    assert transcript.segments[0].text == "Café au lait — très bien."


def test_content_hash_is_of_the_raw_bytes(tmp_path: Path) -> None:
    one = tmp_path / "a.txt"
    two = tmp_path / "b.txt"
    one.write_bytes(TEXT.encode("utf-8"))
    two.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert read(one).text == read(two).text
    assert read(one).content_sha256 != read(two).content_sha256


# -- errors -----------------------------------------------------------------------------------


def error_of(call: Callable[[], object]) -> TranscriptError:
    with pytest.raises(TranscriptError) as caught:
        call()
    return caught.value


def test_missing_file(tmp_path: Path) -> None:
    error = error_of(lambda: read(tmp_path / "nope.txt"))
    assert error.path == tmp_path / "nope.txt"
    assert "no such file" in error.message


def test_directory_instead_of_file(tmp_path: Path) -> None:
    assert "folder" in error_of(lambda: read(tmp_path)).message


@pytest.mark.parametrize("content", [b"", b"   \n\t\r\n  "])
def test_empty_and_whitespace_only(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    assert "empty" in error_of(lambda: read(path)).message


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "image.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    assert "binary" in error_of(lambda: read(path)).message


def test_control_characters_without_nul_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "weird.txt"
    path.write_bytes(b"ab\x01\x02\x03\x04\x05\x06cd" * 100)
    assert "binary" in error_of(lambda: read(path)).message


def test_invalid_utf8_names_offset_and_bytes(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Ann: hello\nBob: café\n".encode("latin-1"))
    message = error_of(lambda: read(path)).message
    assert "byte offset 19" in message
    assert "e9" in message
    assert "line 2" in message
    assert "UTF-8" in message


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 300_000)
    message = error_of(lambda: read(path, max_bytes=MB)).message
    assert "MAX_FILE_MB" in message
    assert "1.0 MB" in message


def test_invalid_front_matter_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "---\ntitle: ok\nparticipants: [a, b\n---\nAnn: hi\n")
    error = error_of(lambda: read(path))
    assert error.path == path
    assert "front matter" in error.message
    assert "line 4" in error.message


def test_unclosed_front_matter(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "---\ntitle: ok\nAnn: hi\n")
    assert "never closed" in error_of(lambda: read(path)).message


def test_front_matter_must_be_a_mapping(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "---\n- a\n- b\n---\nAnn: hi\n")
    assert "mapping" in error_of(lambda: read(path)).message


def test_front_matter_only_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "---\ntitle: x\n---\n\n")
    assert "empty" in error_of(lambda: read(path)).message


def test_errors_survive_pickling(tmp_path: Path) -> None:
    import pickle

    error = TranscriptError(tmp_path, "broken")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.path, copy.message, str(copy)) == (error.path, error.message, str(error))


# -- discovery --------------------------------------------------------------------------------


def make_tree(root: Path) -> None:
    (root / "b").mkdir()
    (root / "a" / "deep").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for name in ["b/2.txt", "a/deep/1.vtt", "a/x.srt", "a/skip.pdf", ".hidden/h.txt", "z.md"]:
        (root / name).write_text("Ann: hi\n", encoding="utf-8")
    (root / "a" / ".secret.txt").write_text("x", encoding="utf-8")


def test_discovery_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    make_tree(tmp_path)
    found = discover_files([tmp_path])
    assert [p.relative_to(tmp_path).as_posix() for p in found] == [
        "a/deep/1.vtt",
        "a/x.srt",
        "b/2.txt",
        "z.md",
    ]
    assert found.errors == []


def test_discovery_keeps_explicit_files_dedupes_and_reports_missing(tmp_path: Path) -> None:
    make_tree(tmp_path)
    explicit = tmp_path / "a" / "skip.pdf"
    found = discover_files(
        [explicit, tmp_path / "missing", tmp_path / "b", tmp_path / "b" / "2.txt"]
    )
    assert list(found) == [explicit, tmp_path / "b" / "2.txt"]
    assert [error.path for error in found.errors] == [tmp_path / "missing"]


def test_discovery_survives_symlink_loops(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / "a" / "loop").symlink_to(tmp_path)
    assert len(discover_files([tmp_path])) == 4


def _as_unprivileged(action: Callable[[], object], queue: multiprocessing.Queue[object]) -> None:
    """Runs in a forked child: drop root so that file permissions apply, then report."""
    if os.geteuid() == 0:
        os.setgid(65534)
        os.setuid(65534)
    try:
        queue.put(action())
    except TranscriptError as error:
        queue.put(("error", error.message))


def run_unprivileged(action: Callable[[], object]) -> object:
    context = multiprocessing.get_context("fork")
    queue: multiprocessing.Queue[object] = context.Queue()
    child = context.Process(target=_as_unprivileged, args=(action, queue))
    child.start()
    result = queue.get(timeout=30)
    child.join(timeout=30)
    return result


@pytest.fixture
def shared_tree() -> Iterator[Path]:
    """A tree outside root's private temp dir, so an unprivileged child can reach it."""
    root = Path(tempfile.mkdtemp(prefix="readers-perm-"))
    root.chmod(0o755)
    try:
        yield root
    finally:
        for folder, _, _ in os.walk(root):
            Path(folder).chmod(0o755)
        for path in sorted(root.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink()
        root.rmdir()


def test_unreadable_folder_is_reported_and_others_still_found(shared_tree: Path) -> None:
    for name in ("open", "locked"):
        (shared_tree / name).mkdir()
        (shared_tree / name / "t.txt").write_text("Ann: hi\n", encoding="utf-8")
        (shared_tree / name).chmod(0o755)
    (shared_tree / "open" / "t.txt").chmod(0o644)
    (shared_tree / "locked").chmod(0o000)

    def discover() -> object:
        found = discover_files([shared_tree])
        return [p.name for p in found], [(e.path.name, e.message) for e in found.errors]

    result = run_unprivileged(discover)
    assert isinstance(result, tuple)
    files, errors = result
    assert files == ["t.txt"]
    assert len(errors) == 1
    assert errors[0][0] == "locked"
    assert "permission" in errors[0][1].lower()


def test_unreadable_file_is_a_permission_error(shared_tree: Path) -> None:
    path = shared_tree / "secret.txt"
    path.write_text("Ann: hi\n", encoding="utf-8")
    path.chmod(0o000)
    result = run_unprivileged(lambda: read(path).text)
    assert result == ("error", "permission denied; make the file readable")
