"""`--help` works for every command and subcommand, on a dumb terminal and into a pipe.

The commands are discovered from the Typer app, so a command added later is covered too.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from interview_graph.cli.app import app
from tests.integration.cli_helpers import base_env, run_cli


def _command_paths(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command under `command`, asked for by name as the CLI does (the top level
    builds its commands on first use)."""
    yield path
    for name in sorted(getattr(command, "list_commands", lambda _ctx: [])(None)):
        yield from _command_paths(command.get_command(None, name), (*path, name))


COMMAND_PATHS = list(_command_paths(typer.main.get_command(app)))


def test_discovery_finds_the_nested_commands() -> None:
    assert ("events", "list") in COMMAND_PATHS
    assert ("verify",) in COMMAND_PATHS and ("process",) in COMMAND_PATHS


@pytest.mark.parametrize("path", COMMAND_PATHS, ids=lambda p: " ".join(p) or "(main)")
def test_help_exits_0_with_usage(path: tuple[str, ...], tmp_path: Path) -> None:
    env = base_env(tmp_path / "data", TERM="dumb")
    env.pop("COLUMNS", None)

    result = run_cli([*path, "--help"], env, timeout=60)  # stdout and stderr are pipes

    assert result.returncode == 0, result.stderr
    assert "Usage:" in result.stdout
    assert " ".join(("interview-graph", *path)) in result.stdout
    assert "Traceback" not in result.stderr and "Error" not in result.stderr


def test_bracketed_help_text_is_shown_literally(tmp_path: Path) -> None:
    result = run_cli(["project", "--help"], base_env(tmp_path / "data", TERM="dumb"))

    assert result.returncode == 0, result.stderr
    assert "neo4j://host:port[/database]" in result.stdout
    assert "\\[" not in result.stdout


def _command_at(path: tuple[str, ...]) -> Any:
    command = typer.main.get_command(app)
    for name in path:
        command = command.get_command(None, name)  # type: ignore[attr-defined]
    return command


JSON_COMMANDS = [
    path
    for path in COMMAND_PATHS
    if any("--json" in param.opts for param in _command_at(path).params)
]


def test_json_commands_are_found() -> None:
    assert {("show",), ("events", "list"), ("outbox", "status"), ("verify",)} <= set(JSON_COMMANDS)


@pytest.mark.parametrize("path", JSON_COMMANDS, ids=" ".join)
def test_every_json_option_says_what_it_prints(path: tuple[str, ...]) -> None:
    (json_option,) = [p for p in _command_at(path).params if "--json" in p.opts]
    assert json_option.help and "JSON" in json_option.help
