"""The human output stays readable on narrow terminals: at 80 columns (and at 120) no word of
a transcript, label, title or error is split across lines, ids appear whole, and `--json` does
not depend on the width.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_helpers import base_env, run_cli

TRANSCRIPT = (
    "Interviewer: So um how did you first hear about the product\n"
    "Maria Lopez: A colleague recommended it during our internationalization project.\n"
    "Interviewer: What made the documentation so confusing?\n"
    "Maria Lopez: Honestly, the configuration responsibilities were never communicated.\n"
)
WIDTHS = ("80", "120")


@dataclass(frozen=True)
class Processed:
    env: dict[str, str]
    inputs: Path
    files: dict[str, dict[str, Any]]  # file name -> its `process --json` entry

    def at(self, width: str) -> dict[str, str]:
        return {**self.env, "COLUMNS": width}


@pytest.fixture(scope="module")
def processed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processed]:
    root = tmp_path_factory.mktemp("narrow")
    inputs = root / "in"
    inputs.mkdir()
    (inputs / "onboarding-call.txt").write_text(TRANSCRIPT, encoding="utf-8")
    (inputs / "latin1.txt").write_bytes("Caf\xe9 au lait is what we drink.".encode("latin-1"))
    env = base_env(root / "data", FALKORDB_IDLE_SECONDS="600", TERM="dumb")
    result = run_cli(["process", str(inputs), "--events", "--json"], env)
    assert result.returncode == 1, result.stderr  # the latin-1 file fails
    files = {Path(f["path"]).name: f for f in result.json()["files"]}
    try:
        yield Processed(env, inputs, files)
    finally:
        run_cli(["graph", "stop"], env)


def tokens(output: str) -> set[str]:
    """The words of the output, table borders removed, with and without a trailing comma."""
    words = re.sub(r"[│┃┏┓┗┛┡┩└┘┌┐├┤┬┴┼━─╇╈┳╋]", " ", output).split()
    return set(words) | {word.rstrip(",") for word in words}


def plain(output: str) -> str:
    return " ".join(re.sub(r"[│┃━─┏┓┗┛┡┩└┘╇┳]", " ", output).split())


def assert_whole(words: list[str], output: str) -> None:
    found = tokens(output)
    split = [word for word in words if word not in found]
    assert not split, f"split across lines: {split}\n{output}"


def assert_fits(output: str, width: str) -> None:
    assert max(len(line) for line in output.splitlines()) <= int(width), output


@pytest.mark.parametrize("width", WIDTHS)
def test_show_never_splits_a_word(processed: Processed, width: str) -> None:
    interview_id = processed.files["onboarding-call.txt"]["interview_id"]
    detail = run_cli(["show", interview_id[:8], "--json"], processed.env).json()

    result = run_cli(["show", interview_id[:8]], processed.at(width))

    assert result.returncode == 0, result.stderr
    assert_fits(result.stdout, width)
    words = []
    for sentence in detail["sentences"]:
        words += sentence["text"].split() + (sentence["speaker"] or "").split()
        analysis = sentence["analyses"][0]
        words += [analysis["function_type"], analysis["purpose"]]
        words += [word for keyword in analysis["overall_keywords"] for word in keyword.split()]
    assert "internationalization" in words and "interrogative" in words
    assert_whole(words, result.stdout)


@pytest.mark.parametrize("width", WIDTHS)
def test_interviews_show_whole_ids_and_titles(processed: Processed, width: str) -> None:
    listed = run_cli(["interviews", "--json"], processed.env).json()

    result = run_cli(["interviews"], processed.at(width))

    assert result.returncode == 0, result.stderr
    assert_fits(result.stdout, width)
    words = []
    for row in listed:
        words += [row["interview_id"][:8], row["filename"], *row["title"].split()]
    assert_whole(words, result.stdout)


@pytest.mark.parametrize("width", WIDTHS)
def test_process_prints_whole_errors_under_the_table(processed: Processed, width: str) -> None:
    failed = processed.files["latin1.txt"]
    done = processed.files["onboarding-call.txt"]

    result = run_cli(["process", str(processed.inputs)], processed.at(width))

    assert result.returncode == 1
    assert_fits(result.stdout, width)
    assert_whole(
        [done["interview_id"][:8], "onboarding-call.txt", "latin1.txt", *failed["error"].split()],
        result.stdout,
    )
    assert failed["error"] in plain(result.stdout)  # all of it, in order
    table_end = max(i for i, line in enumerate(result.stdout.splitlines()) if "┘" in line)
    error_at = next(
        i for i, line in enumerate(result.stdout.splitlines()) if line.startswith("failed")
    )
    assert error_at > table_end


@pytest.mark.parametrize("width", WIDTHS)
def test_events_list_shows_whole_types(processed: Processed, width: str) -> None:
    prefix = processed.files["onboarding-call.txt"]["interview_id"][:8]

    result = run_cli(["events", "list", "--interview", prefix], processed.at(width))

    assert result.returncode == 0, result.stderr
    assert_fits(result.stdout, width)
    assert_whole(
        ["InterviewCreated", "SentenceCreated", "AnalysisGenerated", f"Interview-{prefix}@0"],
        result.stdout,
    )


@pytest.mark.parametrize("command", [["show", "{id}"], ["interviews"], ["events", "list"]])
def test_json_does_not_depend_on_the_width(processed: Processed, command: list[str]) -> None:
    interview_id = processed.files["onboarding-call.txt"]["interview_id"]
    args = [arg.format(id=interview_id) for arg in command] + ["--json"]

    narrow = run_cli(args, processed.at("80"))
    wide = run_cli(args, processed.at("200"))

    assert narrow.returncode == wide.returncode == 0, narrow.stderr
    assert narrow.stdout == wide.stdout
