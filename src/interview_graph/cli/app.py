"""`interview-graph`: process transcripts, inspect the graph, manage events and the outbox.

Every command lives in a `*_cmd` module that defines its own Typer app and imports nothing
from here; this module only puts them together, and loads a command's module only when that
command runs: `interview-graph show` imports the graph's reads, not the pipeline, the event
stores or the projection. Exit codes, the same for every command: 0 done; 1 failed or not
found (a file, a check, a store, an interview id); 2 usage error (an unknown option, a bad
option value, an ambiguous interview id prefix).
"""

from __future__ import annotations

import importlib

import typer
from typer._click.core import Command, Context  # the click that Typer builds on
from typer.core import TyperGroup

# Each top-level command or command group -> (its module in this package, the module's Typer
# app), in the order `--help` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "process": ("process_cmd", "process_app"),
    "interviews": ("read_cmd", "read_app"),
    "show": ("read_cmd", "read_app"),
    "export": ("read_cmd", "read_app"),
    "stats": ("read_cmd", "read_app"),
    "search": ("search_cmd", "search_app"),
    "rebuild": ("projection_cmd", "projection_app"),
    "project": ("projection_cmd", "projection_app"),
    "verify": ("projection_cmd", "projection_app"),
    "backfill": ("projection_cmd", "projection_app"),
    "graph": ("graph_cmd", "graph_app"),
    "events": ("events_cmd", "events_app"),
    "outbox": ("outbox_cmd", "outbox_app"),
    "serve": ("serve_cmd", "serve_app"),
    "users": ("users_cmd", "users_app"),
}


class LazyCommands(TyperGroup):
    """The top-level group: commands are looked up in COMMANDS and built on first use."""

    def list_commands(self, ctx: Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, app_name = COMMANDS[cmd_name]
        module = importlib.import_module(f"interview_graph.cli.{module_name}")
        # Added to a holder as it used to be added to the top level: an unnamed app's
        # commands sit at the top, a named app becomes a group.
        holder = typer.Typer(add_completion=False)
        holder.add_typer(getattr(module, app_name))
        group = typer.main.get_command(holder)
        assert isinstance(group, TyperGroup)
        return group.commands.get(cmd_name)


app = typer.Typer(
    name="interview-graph",
    cls=LazyCommands,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def interview_graph() -> None:
    """Turn interview transcripts into a queryable graph, with every fact also an event."""


def main() -> None:
    from interview_graph.cli.graph_cmd import show_server_starts

    show_server_starts()
    app()
