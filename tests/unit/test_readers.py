"""Transcript readers: formats, encodings, front matter, offsets and every user-facing error."""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from interview_graph.pipeline.discovery import discover_files
from interview_graph.pipeline.errors import TranscriptError
from interview_graph.pipeline.readers import Transcript, read_transcript
from interview_graph.pipeline.stamps import parse_stamp_ms

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


def test_discovery_lists_every_skipped_path_with_its_reason(tmp_path: Path) -> None:
    make_tree(tmp_path)
    (tmp_path / "b" / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / "b" / "call.transcript").write_text("Ann: hi\n", encoding="utf-8")
    (tmp_path / "b" / "README").write_text("x", encoding="utf-8")
    (tmp_path / "b" / "gone.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(tmp_path / "b" / "pipe.txt")

    found = discover_files([tmp_path])

    assert len(found) == 4 and found.errors == []
    reasons = {s.path.relative_to(tmp_path).as_posix(): s.reason for s in found.skipped}
    assert sorted(reasons) == [
        ".hidden",
        "a/.secret.txt",
        "a/skip.pdf",
        "b/README",
        "b/call.transcript",
        "b/gone.txt",
        "b/notes.docx",
        "b/pipe.txt",
    ]
    assert "not supported yet" in reasons["a/skip.pdf"]
    assert "not supported yet" in reasons["b/notes.docx"]
    assert "unsupported file type .transcript" in reasons["b/call.transcript"]
    assert "no file extension" in reasons["b/README"]
    assert "broken symbolic link" in reasons["b/gone.txt"]
    assert "nowhere.txt" in reasons["b/gone.txt"]
    assert "named pipe" in reasons["b/pipe.txt"]
    assert "hidden" in reasons[".hidden"]


def test_an_explicit_broken_symlink_is_an_error_naming_its_target(tmp_path: Path) -> None:
    link = tmp_path / "call.txt"
    link.symlink_to(tmp_path / "moved.txt")
    found = discover_files([link])
    assert list(found) == []
    assert [(e.path, "broken symbolic link" in e.message) for e in found.errors] == [(link, True)]


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
    found = discover_files([tmp_path])
    assert len(found) == 4
    assert [s.path for s in found.skipped if "already searched" in s.reason] == [
        tmp_path / "a" / "loop"
    ]


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


# -- malformed subtitle cues ------------------------------------------------------------------

MALFORMED_VTT = """WEBVTT

1
00:00:01.000 --> 00:00:04.000
<v Ann>Hello there.</v>

2
00:00:xx.000 --> 00:00:08.000
<v Bob>Lost one.</v>

3
00:00:10.000 -> 00:00:12.000
<v Bob>Lost two.</v>

4
00:00:15.000 --> 00:00:13.000
<v Ann>Backwards.</v>
00:00:16.000 --> 00:00:18.000
<v Bob>Glued on.</v>

stray words without a cue

5
00:00:20.000 --> 00:00:21.000
"""


def warning_lines(transcript: Transcript) -> dict[int, str]:
    return {warning.line: warning.message for warning in transcript.warnings}


def test_every_skipped_or_repaired_webvtt_cue_is_a_warning_with_its_line(tmp_path: Path) -> None:
    transcript = read(write(tmp_path, "call.vtt", MALFORMED_VTT))

    got = [(s.speaker, s.start_ms, s.end_ms, s.text) for s in transcript.segments]
    assert got == [
        ("Ann", 1_000, 4_000, "Hello there."),
        ("Ann", 15_000, None, "Backwards."),
        ("Bob", 16_000, 18_000, "Glued on."),
    ]
    warnings = warning_lines(transcript)
    assert sorted(warnings) == [8, 12, 16, 18, 21, 24]
    assert "00:00:xx.000" in warnings[8] and "not a valid timing line" in warnings[8]
    assert "00:00:10.000 -> 00:00:12.000" in warnings[12]
    assert "before it starts" in warnings[16] and "end time is dropped" in warnings[16]
    assert "no blank line" in warnings[18]
    assert "stray words" in warnings[21] and "skipped" in warnings[21]
    assert "no text" in warnings[24]
    assert str(transcript.warnings[0]).startswith("line 8: ")
    assert_segments_index_text(transcript)


def test_every_skipped_or_repaired_subrip_cue_is_a_warning_with_its_line(tmp_path: Path) -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nAnn: hi\n\n"
        "2\n00:00:0x,000 --> 00:00:04,000\nBob: lost\n\n"
        "3\n00:00:09,000 --> 00:00:05,000\nAnn: backwards\n\n"
        "4\n00:00:10,000 00:00:12,000\nBob: no arrow\n"
    )
    transcript = read(write(tmp_path, "call.srt", srt))

    got = [(s.speaker, s.start_ms, s.end_ms, s.text) for s in transcript.segments]
    assert got == [("Ann", 1_000, 2_000, "hi"), ("Ann", 9_000, None, "backwards")]
    warnings = warning_lines(transcript)
    assert sorted(warnings) == [6, 10, 14]
    assert "00:00:0x,000" in warnings[6]
    assert "00:00:05,000, before it starts at 00:00:09,000" in warnings[10]
    assert "00:00:10,000 00:00:12,000" in warnings[14]
    assert_segments_index_text(transcript)


@pytest.mark.parametrize(
    ("name", "content", "first_bad_line"),
    [
        ("bad.vtt", "WEBVTT\n\n00:00:xx.000 --> 00:00:04.000\nHi\n\n00:00:05.000 -> 6\nHo\n", 3),
        ("bad.srt", "1\n00:00:xx,000 --> 00:00:04,000\nHi\n\n2\n00:00:05 -> 6\nHo\n", 2),
    ],
)
def test_a_subtitle_file_without_a_usable_cue_names_its_first_bad_line(
    tmp_path: Path, name: str, content: str, first_bad_line: int
) -> None:
    message = error_of(lambda: read(write(tmp_path, name, content))).message
    assert "no usable cue" in message
    assert f"line {first_bad_line}: " in message and "00:00:xx" in message
    assert "1 more problem" in message


def test_well_formed_subtitles_have_no_warnings() -> None:
    for name in ("reporting-workflow.vtt", "support-tooling.srt", "onboarding-interview.txt"):
        assert read(SAMPLES / name).warnings == ()


# -- speaker labels and prose -----------------------------------------------------------------


def test_prose_with_a_colon_continues_the_turn(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "Interviewer: What was slow?\n"
        "Participant: Mostly reporting.\n"
        "The main issue: exports were slow.\n"
        "Note to self: ask about the CSV.\n"
        "Interviewer: Thanks.\n",
    )
    transcript = read(path)
    assert transcript.format == "speaker"
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("Interviewer", "What was slow?"),
        (
            "Participant",
            "Mostly reporting.\nThe main issue: exports were slow.\n"
            "Note to self: ask about the CSV.",
        ),
        ("Interviewer", "Thanks."),
    ]
    assert transcript.speakers == ("Interviewer", "Participant")
    assert_segments_index_text(transcript)


def test_short_names_roles_and_one_off_names_are_labels(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "P1: Hi.\nSpeaker 2: Hello.\nDr. Smith: Yes.\nP1: Fine.\nMaria de la Cruz: Once.\n",
    )
    assert read(path).speakers == ("P1", "Speaker 2", "Dr. Smith", "Maria de la Cruz")


def test_a_stamped_prose_line_starts_a_turn_without_a_speaker(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "[00:00:01] Ann: Hi.\n[00:00:04] So basically: that was it.\n[00:00:09] Ann: Bye.\n",
    )
    got = [(s.speaker, s.start_ms, s.end_ms, s.text) for s in read(path).segments]
    assert got == [
        ("Ann", 1_000, 4_000, "Hi."),
        (None, 4_000, 9_000, "So basically: that was it."),
        ("Ann", 9_000, None, "Bye."),
    ]


def test_front_matter_participants_are_labels_even_lowercase(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "t.txt",
        "---\nparticipants: [Priya Nair, tomas berg]\n---\n"
        "priya: Hi.\ntomas berg: Hello there.\nwe agreed on this: fine.\n",
    )
    transcript = read(path)
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("priya", "Hi."),
        ("tomas berg", "Hello there.\nwe agreed on this: fine."),
    ]


def test_a_recurring_label_is_a_speaker_and_a_heading_word_is_not(tmp_path: Path) -> None:
    path = write(tmp_path, "t.txt", "ann: hi\nbob: yo\nann: so\nSummary: we agreed.\nbob: ok\n")
    transcript = read(path)
    assert transcript.speakers == ("ann", "bob")
    assert transcript.segments[2].text == "so\nSummary: we agreed."


def test_prose_colons_alone_do_not_make_a_speaker_transcript(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "notes.txt",
        "The main issue: exports were slow.\nOur plan for today: fix them.\nAll good.\n",
    )
    transcript = read(path)
    assert transcript.format == "text"
    assert transcript.speakers == ()


def test_subtitle_prefix_labels_tell_prose_from_speakers(tmp_path: Path) -> None:
    srt = (
        "1\n00:00:01,000 --> 00:00:02,000\nAnn: Hi.\n\n"
        "2\n00:00:03,000 --> 00:00:04,000\nThe main issue: exports.\n\n"
        "3\n00:00:05,000 --> 00:00:06,000\nBob: Yes.\n"
    )
    transcript = read(write(tmp_path, "call.srt", srt))
    assert [(s.speaker, s.text) for s in transcript.segments] == [
        ("Ann", "Hi."),
        ("Ann", "The main issue: exports."),
        ("Bob", "Yes."),
    ]


# -- reading large files ----------------------------------------------------------------------


def test_reading_reports_progress_up_to_the_whole_text(tmp_path: Path) -> None:
    lines = [f"[00:{i // 60 % 60:02d}:{i % 60:02d}] Ann: line {i}." for i in range(50_000)]
    path = write(tmp_path, "long.txt", "\n".join(lines) + "\n")
    calls: list[tuple[int, int]] = []

    transcript = read_transcript(path, max_bytes=100 * MB, on_progress=lambda *c: calls.append(c))

    total = len(transcript.text)
    assert len(calls) >= 2
    assert calls[-1] == (total, total)
    assert all(done <= total and each_total == total for done, each_total in calls)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)
    assert len(transcript.segments) == 50_000
    assert transcript.segments[-2].end_ms == transcript.segments[-1].start_ms


def test_every_kind_of_line_break_keeps_offsets_and_line_numbers(tmp_path: Path) -> None:
    text = "WEBVTT\r\n\r\n00:00:01.000 --> 00:00:02.000\rHi.\u2028\u2028bad line -> here\n"
    transcript = read(write(tmp_path, "t.vtt", text))
    assert [s.text for s in transcript.segments] == ["Hi."]
    assert [w.line for w in transcript.warnings] == [6]
    assert_segments_index_text(transcript)
