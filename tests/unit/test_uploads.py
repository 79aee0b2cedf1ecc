"""The upload store: names sanitized, files kept under their content hash only, refusals with
the CLI's words, and nothing half-written left behind."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from interview_graph.jobs.port import NewJobFile
from interview_graph.jobs.uploads import MAX_NAME_CHARS, UploadStore, sanitize_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("interview.vtt", "interview.vtt"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\call.srt", "call.srt"),
        ("/abs/path/notes.md", "notes.md"),
        ("..", "upload"),
        ("", "upload"),
        (".hidden.txt", "hidden.txt"),
        ("tab\there\x00nul\u202e.txt", "tabherenul.txt"),
        ("  spaced name .txt ", "spaced name .txt"),
        ("Cafe\u0301.txt", "Café.txt"),  # NFC
    ],
)
def test_names_are_sanitized(raw: str, expected: str) -> None:
    assert sanitize_name(raw) == expected


def test_a_long_name_is_cut_and_keeps_its_extension() -> None:
    name = sanitize_name("x" * 500 + ".vtt")
    assert len(name) == MAX_NAME_CHARS and name.endswith(".vtt")


def store_file(store: UploadStore, name: str, *chunks: bytes) -> NewJobFile:
    writer = store.receive(name)
    for chunk in chunks:
        writer.write(chunk)
    return writer.finish()


def test_a_file_is_stored_under_its_hash_and_only_there(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads", max_file_bytes=1000)
    body = b"Interviewer: hello\nP1: hi\n"
    stored = store_file(store, "../../etc/passwd.TXT", body[:5], body[5:])
    sha = hashlib.sha256(body).hexdigest()
    assert stored == NewJobFile("passwd.TXT", sha, len(body), f"{sha}.txt")
    assert sorted(p.name for p in (tmp_path / "uploads").iterdir()) == [f"{sha}.txt"]
    assert (tmp_path / "uploads" / f"{sha}.txt").read_bytes() == body
    assert not (tmp_path / "etc").exists()
    again = store_file(store, "copy.txt", body)  # the same bytes are kept once
    assert again.stored_as == f"{sha}.txt"
    assert len(list((tmp_path / "uploads").iterdir())) == 1


def test_files_refused_on_upload_are_not_stored(tmp_path: Path) -> None:
    store = UploadStore(tmp_path / "uploads", max_file_bytes=1_048_576)
    docx = store_file(store, "notes.docx", b"PK\x03\x04")
    assert docx.stored_as is None
    assert docx.error == (
        "notes.docx: .docx files are not supported yet; save it as plain text (.txt) or subtitles"
    )
    big = store_file(store, "big.txt", b"a" * 1_048_576, b"b" * 104_858)
    assert big.stored_as is None
    assert big.size_bytes == 1_153_434
    assert big.error == (
        "big.txt: the file is 1.1 MB, over the limit of 1.0 MB; split it or raise the "
        "MAX_FILE_MB setting"
    )
    assert list((tmp_path / "uploads").iterdir()) == []


def test_only_names_the_store_gave_are_paths(tmp_path: Path) -> None:
    store = UploadStore(tmp_path, max_file_bytes=10)
    assert store.path_of("a" * 64 + ".vtt") == tmp_path / ("a" * 64 + ".vtt")
    for bad in ("../x.txt", "a" * 64 + "/../x", "passwd.txt", "A" * 64):
        with pytest.raises(ValueError):
            store.path_of(bad)


def test_partial_files_of_dead_processes_are_removed(tmp_path: Path) -> None:
    store = UploadStore(tmp_path, max_file_bytes=100)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / f"{gone.stdout.strip()}-abc.part").write_bytes(b"half")
    writing = store.receive("live.txt")  # this process's, still being written
    writing.write(b"half")
    assert store.remove_partial_files() == 1
    assert [p.name.startswith(f"{os.getpid()}-") for p in tmp_path.iterdir()] == [True]
    writing.abort()
    assert list(tmp_path.iterdir()) == []
