"""One exit-code rule for every command, through the real CLI: 0 done, 1 failed or not found
(stderr names what and what to run), 2 usage (Typer's errors, bad option values, an ambiguous
interview id prefix). Interview ids are accepted as any unique prefix wherever one is taken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.cli_helpers import CliResult, base_env, run_cli

# Enough transcripts that two ids must share their first character (16 hex digits).
TRANSCRIPTS = 17
ABSENT_FULL_ID = "00000000-0000-5000-8000-000000000000"


@dataclass(frozen=True)
class Graph:
    """A data directory holding TRANSCRIPTS interviews in the graph and in the event log."""

    env: dict[str, str]
    ids: list[str]
    tmp: Path

    @property
    def one(self) -> str:
        """An id no other id shares its first 8 characters with."""
        return next(i for i in self.ids if sum(j[:8] == i[:8] for j in self.ids) == 1)

    @property
    def ambiguous(self) -> str:
        """A one-character prefix that at least two ids start with."""
        return next(i[0] for i in self.ids if sum(j[0] == i[0] for j in self.ids) > 1)

    @property
    def absent(self) -> str:
        """A two-character prefix no id starts with."""
        used = {i[:2] for i in self.ids}
        return next(f"{n:02x}" for n in range(256) if f"{n:02x}" not in used)

    def fill(self, arg: str) -> str:
        return arg.format(
            one=self.one[:8], ambiguous=self.ambiguous, absent=self.absent, tmp=self.tmp
        )


@pytest.fixture(scope="module")
def graph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Graph]:
    root = tmp_path_factory.mktemp("exit-codes")
    inputs = root / "inputs"
    inputs.mkdir()
    for number in range(TRANSCRIPTS):
        (inputs / f"call-{number:02d}.txt").write_text(
            f"Ann: How do you plan sprint number {number}?\nBob: We use a board.\n",
            encoding="utf-8",
        )
    # The embedded server stays up between the commands of this module; stopped at the end.
    env = base_env(root / "data", FALKORDB_IDLE_SECONDS="600", COLUMNS="80", TERM="dumb")
    processed = run_cli(["process", str(inputs), "--events", "--json"], env)
    assert processed.returncode == 0, processed.stderr
    ids = sorted(f["interview_id"] for f in processed.json()["files"])
    assert len(ids) == TRANSCRIPTS and ABSENT_FULL_ID not in ids
    try:
        yield Graph(env, ids, root)
    finally:
        run_cli(["graph", "stop"], env)


def plain(text: str) -> str:
    """Text without Rich's box drawing and line wrapping, for matching messages."""
    return " ".join(re.sub(r"[│╭╮╰╯─]", " ", text).split())


EVERY_COMMAND = (
    ["process", "{tmp}"], ["interviews"], ["show", "{one}"], ["export"], ["stats"], ["search", "x"],
    ["events", "list"], ["events", "stats"], ["events", "tail"], ["outbox", "status"],
    ["outbox", "flush"], ["outbox", "retry-parked"], ["rebuild"], ["project"], ["verify"],
    ["backfill"], ["graph", "status"], ["graph", "stop"],
)  # fmt: skip
NOT_FOUND = "no interview id starts with '{absent}'"
# (args, exit code, what stderr must say)
CASES: list[tuple[list[str], int, list[str]]] = [
    # 1: not found
    (["show", "{absent}"], 1, [NOT_FOUND + " in the graph", "`interview-graph interviews`"]),
    (["show", ABSENT_FULL_ID], 1, [f"no interview {ABSENT_FULL_ID} in the graph"]),
    (["export", "--interview", "{absent}"], 1, [NOT_FOUND + " in the graph"]),
    (
        ["events", "list", "--interview", "{absent}"],
        1,
        [NOT_FOUND + " in the event log", "`interview-graph events list --type InterviewCreated`"],
    ),
    (["verify", "--interview", "{absent}"], 1, [NOT_FOUND + " in the graph or the event log"]),
    (["backfill", "--interview", "{absent}"], 1, [NOT_FOUND + " in the graph"]),
    (["search", "sprint", "--interview", "{absent}"], 1, [NOT_FOUND + " in the graph"]),
    # 2: an id that cannot be one, or a prefix several interviews share
    (["show", "nope"], 2, ["'nope' is not an interview id or the start of one"]),
    (["export", "--interview", "nope"], 2, ["'nope' is not an interview id"]),
    (["events", "list", "--interview", "nope"], 2, ["'nope' is not an interview id"]),
    (["verify", "--interview", "nope"], 2, ["'nope' is not an interview id"]),
    (["backfill", "--interview", "nope"], 2, ["'nope' is not an interview id"]),
    (["show", "{ambiguous}"], 2, ["interview id '{ambiguous}' is ambiguous", "in the graph"]),
    (["export", "--interview", "{ambiguous}"], 2, ["'{ambiguous}' is ambiguous"]),
    (["events", "list", "--interview", "{ambiguous}"], 2, ["is ambiguous", "in the event log"]),
    (["verify", "--interview", "{ambiguous}"], 2, ["is ambiguous", "the graph or the event log"]),
    (["backfill", "--interview", "{ambiguous}"], 2, ["'{ambiguous}' is ambiguous"]),
    (["search", "sprint", "--interview", "nope"], 2, ["'nope' is not an interview id"]),
    (["search", "sprint", "--interview", "{ambiguous}"], 2, ["'{ambiguous}' is ambiguous"]),
    (["search", '"sprint'], 2, ["unbalanced quote"]),
    (["search", "*"], 2, ["a lone '*' searches for nothing"]),
    (["search", "sprint", "--limit", "0"], 2, ["Invalid value for '--limit'"]),
    # 2: other bad option values and Typer's own usage errors
    (["export", "--format", "xml"], 2, ["unknown format 'xml'"]),
    (["events", "list", "--limit", "0"], 2, ["Invalid value for '--limit'"]),
    (["events", "tail", "--limit", "0"], 2, ["Invalid value for '--limit'"]),
    (["rebuild", "--target", "bogus"], 2, ["unknown --target 'bogus'"]),
    (["project", "--target", "falkordb:"], 2, ["needs a graph name"]),
    (["process"], 2, ["Missing argument"]),
    *[
        ([*command, "--no-such-option"], 2, ["No such option: --no-such-option"])
        for command in EVERY_COMMAND
    ],
]


def _case_id(case: tuple[list[str], int, list[str]]) -> str:
    args, code, _ = case
    return f"{code}-" + " ".join(args)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_exit_code_and_message(graph: Graph, case: tuple[list[str], int, list[str]]) -> None:
    args, code, messages = case

    result = run_cli([graph.fill(a) for a in args], graph.env)

    assert result.returncode == code, (result.stdout, result.stderr)
    stderr = plain(result.stderr)
    for message in messages:
        assert plain(graph.fill(message)) in stderr
    assert "Traceback" not in result.stderr


def test_a_missing_file_fails_with_exit_code_1(graph: Graph) -> None:
    result = run_cli(["process", str(graph.tmp / "missing.txt"), "--json"], graph.env)

    assert result.returncode == 1
    (only,) = result.json()["files"]
    assert only["status"] == "failed" and "no such file" in only["error"].lower()


def test_an_ambiguous_prefix_lists_the_interviews_that_share_it(graph: Graph) -> None:
    result = run_cli(["show", graph.ambiguous], graph.env)

    sharing = [i for i in graph.ids if i.startswith(graph.ambiguous)]
    assert len(sharing) >= 2
    for interview_id in sharing:
        assert interview_id in result.stderr  # whole, on one line


def _ok(result: CliResult) -> CliResult:
    assert result.returncode == 0, result.stderr
    return result


def test_every_command_taking_an_interview_id_accepts_a_unique_prefix(graph: Graph) -> None:
    full, prefix = graph.one, graph.one[:8]

    assert (
        _ok(run_cli(["show", prefix, "--json"], graph.env)).json()["interview"]["interview_id"]
        == full
    )
    assert _ok(run_cli(["show", prefix.upper()], graph.env))
    exported = _ok(run_cli(["export", "--interview", prefix], graph.env)).stdout
    whole = _ok(run_cli(["export", "--interview", full], graph.env)).stdout
    assert exported == whole and full in exported
    events = _ok(run_cli(["events", "list", "--interview", prefix, "--json"], graph.env)).json()
    assert events and {e["data"].get("interview_id", e["aggregate_id"]) for e in events} == {full}
    searched = _ok(run_cli(["search", "sprint", "--interview", prefix, "--json"], graph.env))
    assert {hit["interview_id"] for hit in searched.json()["hits"]} == {full}
    verified = _ok(run_cli(["verify", "--interview", prefix, "--json"], graph.env)).json()
    assert verified["interviews"] == 1
    backfilled = _ok(
        run_cli(["backfill", "--interview", prefix, "--dry-run", "--json"], graph.env)
    ).json()
    assert backfilled["interviews"] == 1 and backfilled["events"] == 0
