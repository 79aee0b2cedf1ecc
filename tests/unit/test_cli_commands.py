"""The CLI's top-level table of commands: complete, and a command loads only its own module."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys

import typer
from typer.core import TyperGroup

from interview_graph.cli.app import COMMANDS


def commands_of(module_name: str, app_name: str) -> set[str]:
    """The top-level names a command module's app defines (as the top level adds it)."""
    holder = typer.Typer(add_completion=False)
    holder.add_typer(
        getattr(importlib.import_module(f"interview_graph.cli.{module_name}"), app_name)
    )
    group = typer.main.get_command(holder)
    assert isinstance(group, TyperGroup)
    return set(group.commands)


def test_the_table_names_every_command_of_every_module_once() -> None:
    defined = {
        name: (module_name, app_name)
        for module_name, app_name in set(COMMANDS.values())
        for name in commands_of(module_name, app_name)
    }
    assert defined == COMMANDS


def test_a_read_command_loads_neither_pipeline_nor_event_machinery() -> None:
    probe = (
        "import json, sys\n"
        "from interview_graph.cli.app import LazyCommands\n"
        "for name in ('interviews', 'show', 'export', 'stats', 'search'):\n"
        "    assert LazyCommands(name='probe').get_command(None, name) is not None\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith(\n"
        "    ('interview_graph.pipeline', 'interview_graph.events', 'interview_graph.dualwrite',\n"
        "     'interview_graph.projection', 'interview_graph.domain.events',\n"
        "     'interview_graph.cli.process_cmd', 'interview_graph.cli.events_cmd')))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []
