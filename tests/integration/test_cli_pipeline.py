"""End to end through the real CLI: transcripts into FalkorDB (embedded) and Neo4j."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.integration.cli_helpers import (
    CLI,
    SAMPLES,
    base_env,
    run_cli,
    sample_files,
)


def test_samples_processed_and_reprocessing_gives_identical_export(
    graph_env: dict[str, str],
) -> None:
    first = run_cli(["process", str(SAMPLES), "--project", "demo", "--json"], graph_env)
    assert first.returncode == 0, first.stderr
    summary = first.json()
    files = summary["files"]
    assert len(files) == len(sample_files())
    assert all(f["status"] == "done" for f in files), files
    assert summary["totals"]["sentences"] > 100
    assert all(f["analyses"] == f["sentences"] > 0 for f in files)

    export_one = run_cli(["export", "--format", "jsonl"], graph_env)
    assert export_one.returncode == 0, export_one.stderr
    again = run_cli(["process", str(SAMPLES), "--project", "demo", "--json"], graph_env)
    assert again.returncode == 0, again.stderr
    export_two = run_cli(["export", "--format", "jsonl"], graph_env)
    assert export_one.stdout == export_two.stdout
    assert export_one.stdout.count("\n") > summary["totals"]["sentences"]

    listed = run_cli(["interviews", "--json"], graph_env).json()
    assert {row["interview_id"] for row in listed} == {f["interview_id"] for f in files}
    assert all(row["status"] == "completed" for row in listed)

    one = files[0]
    shown = run_cli(["show", one["interview_id"], "--json"], graph_env)
    assert shown.returncode == 0, shown.stderr
    detail = shown.json()
    assert len(detail["sentences"]) == one["sentences"]
    orders = [s["sequence_order"] for s in detail["sentences"]]
    assert orders == list(range(one["sentences"]))
    assert all(len(s["analyses"]) == 1 for s in detail["sentences"])
    assert detail["next_from"] is None
    show = ["show", one["interview_id"], "--json", "--limit", "4"]
    first_page = run_cli([*show, "--from", "0"], graph_env).json()
    second_page = run_cli([*show, "--from", "4"], graph_env).json()
    assert (first_page["sentences"], first_page["next_from"]) == (detail["sentences"][:4], 4)
    assert second_page["sentences"] == detail["sentences"][4:8]
    assert run_cli([*show, "--all"], graph_env).json()["sentences"] == detail["sentences"]
    table = run_cli(["show", one["interview_id"], "--limit", "4"], graph_env).stdout
    assert f"show {one['interview_id']} --from 4" in table

    stats = run_cli(["stats", "--json"], graph_env).json()
    assert stats["Sentence"] == summary["totals"]["sentences"]
    assert stats["Analysis"] == summary["totals"]["analyses"]


def test_bad_inputs_fail_clearly_and_do_not_stop_good_files(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "blank.txt").write_text("   \n\t\n")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (inputs / "latin1.txt").write_bytes("Caf\xe9 au lait is what we drink.".encode("latin-1"))
    (inputs / "good.txt").write_text("Alice: How do you plan sprints?\nBob: We use a board.\n")
    missing = tmp_path / "missing.txt"
    env = base_env(tmp_path / "data")

    result = run_cli(["process", str(inputs), str(missing), "--json"], env)

    assert result.returncode == 1, result.stderr
    by_name = {Path(f["path"]).name: f for f in result.json()["files"]}
    assert by_name["good.txt"]["status"] == "done"
    assert by_name["good.txt"]["sentences"] == 2
    errors = {name: (f["error"] or "").lower() for name, f in by_name.items()}
    assert "empty" in errors["empty.txt"]
    assert "empty" in errors["blank.txt"] or "whitespace" in errors["blank.txt"]
    assert "binary" in errors["binary.txt"]
    assert "utf-8" in errors["latin1.txt"] and "offset 3" in errors["latin1.txt"]
    assert "no such file" in errors["missing.txt"] and "missing.txt" in errors["missing.txt"]


def test_usage_error_exits_2(tmp_path: Path) -> None:
    result = run_cli(["process", "--no-such-option"], base_env(tmp_path / "data"))
    assert result.returncode == 2


def test_two_processes_share_one_embedded_graph(tmp_path: Path) -> None:
    env = base_env(tmp_path / "data")
    samples = sample_files()
    first_half, second_half = samples[: len(samples) // 2], samples[len(samples) // 2 :]
    procs = [
        subprocess.Popen(
            [str(CLI), "process", *map(str, group), "--json"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for group in (first_half, second_half)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    listed = run_cli(["interviews", "--json"], env).json()
    assert len(listed) == len(samples)


def test_graph_outage_fails_every_file_with_a_clear_message(tmp_path: Path) -> None:
    env = base_env(
        tmp_path / "data",
        GRAPH_BACKEND="neo4j",
        NEO4J_URI="bolt://127.0.0.1:9",
        NEO4J_PASSWORD="not-a-real-secret",
    )
    result = run_cli(["process", str(sample_files()[0]), "--json"], env)
    assert result.returncode == 1
    (only,) = result.json()["files"]
    assert only["status"] == "failed"
    assert "bolt://127.0.0.1:9" in only["error"] and "NEO4J_URI" in only["error"]
    assert "not-a-real-secret" not in result.stdout + result.stderr


def test_invalid_settings_are_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(["stats"], base_env(tmp_path / "data", GRAPH_BACKEND="oracle"))
    assert result.returncode == 2
    assert "GRAPH_BACKEND" in result.stderr


BROKEN_CUES_VTT = (
    "WEBVTT\n\n"
    "00:00:01.000 --> 00:00:04.000\n<v Ann>How do you plan sprints?</v>\n\n"
    "00:00:xx.000 --> 00:00:08.000\n<v Bob>Lost.</v>\n\n"
    "00:00:15.000 --> 00:00:13.000\n<v Bob>We use a board.</v>\n"
)
PROSE_TRANSCRIPT = (
    "Interviewer: What was slow?\n"
    "Participant: Mostly reporting.\n"
    "The main issue: exports were slow.\n"
    "Interviewer: Thanks.\n"
)


PROSE_NAME = "[draft] prose [red].txt"  # brackets must print as they are, not as markup


def _mixed_folder(root: Path) -> Path:
    inputs = root / "inputs"
    (inputs / "sub").mkdir(parents=True)
    (inputs / "cues.vtt").write_text(BROKEN_CUES_VTT, encoding="utf-8")
    (inputs / "sub" / PROSE_NAME).write_text(PROSE_TRANSCRIPT, encoding="utf-8")
    (inputs / "notes.docx").write_bytes(b"PK\x03\x04")
    (inputs / "call.transcript").write_text("Ann: hi\n", encoding="utf-8")
    (inputs / "moved.txt").symlink_to(root / "elsewhere.txt")
    return inputs


def test_warnings_speakers_and_skipped_files_in_the_json_summary(tmp_path: Path) -> None:
    inputs = _mixed_folder(tmp_path)

    result = run_cli(["process", str(inputs), "--json"], base_env(tmp_path / "data"))

    assert result.returncode == 0, result.stderr
    summary = result.json()
    by_name = {Path(f["path"]).name: f for f in summary["files"]}
    assert set(by_name) == {"cues.vtt", PROSE_NAME}
    assert all(f["status"] == "done" for f in by_name.values())
    cues = by_name["cues.vtt"]
    assert [w["line"] for w in cues["warnings"]] == [6, 9]
    assert "00:00:xx.000" in cues["warnings"][0]["message"]
    assert "before it starts" in cues["warnings"][1]["message"]
    assert cues["speakers"] == ["Ann", "Bob"]
    assert cues["sentences"] == 2
    prose = by_name[PROSE_NAME]
    assert prose["speakers"] == ["Interviewer", "Participant"]
    assert prose["warnings"] == []
    skipped = {Path(s["path"]).name: s["reason"] for s in summary["skipped"]}
    assert set(skipped) == {"notes.docx", "call.transcript", "moved.txt"}
    assert "not supported yet" in skipped["notes.docx"]
    assert "broken symbolic link" in skipped["moved.txt"]
    assert summary["totals"]["files_skipped"] == 3
    assert summary["totals"]["files_failed"] == 0

    shown = run_cli(["show", prose["interview_id"], "--json"], base_env(tmp_path / "data"))
    speakers = [s["speaker"] for s in shown.json()["sentences"]]
    assert "The main issue" not in speakers


def test_the_human_summary_names_warnings_speakers_and_skipped_files(tmp_path: Path) -> None:
    inputs = _mixed_folder(tmp_path)
    env = base_env(tmp_path / "data", COLUMNS="250", TERM="dumb")

    result = run_cli(["process", str(inputs)], env)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"warning {inputs / 'cues.vtt'} line 6: cue skipped" in out
    assert f"warning {inputs / 'cues.vtt'} line 9: the cue ends at 00:00:13.000" in out
    assert "Interviewer, Participant" in out
    assert f"sub/{PROSE_NAME}" in out and f"in {inputs}" in out  # named within their folder
    assert f"skipped {inputs / 'notes.docx'}: .docx files are not supported yet" in out
    assert f"skipped {inputs / 'call.transcript'}: unsupported file type" in out
    assert "files_skipped=3" in out


def test_a_folder_of_only_unsupported_files_says_what_was_skipped(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "notes.docx").write_bytes(b"PK\x03\x04")

    result = run_cli(["process", str(inputs)], base_env(tmp_path / "data"))

    assert result.returncode == 2
    assert "no transcript files found" in result.stderr
    assert "notes.docx" in result.stderr and "not supported yet" in result.stderr


def test_a_subtitle_file_without_usable_cues_fails_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.vtt"
    path.write_text("WEBVTT\n\n00:00:xx.000 --> 00:00:04.000\nHi\n", encoding="utf-8")

    result = run_cli(["process", str(path), "--json"], base_env(tmp_path / "data"))

    assert result.returncode == 1
    (only,) = result.json()["files"]
    assert only["status"] == "failed"
    assert "line 3" in only["error"] and "no usable cue" in only["error"]
