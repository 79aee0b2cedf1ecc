"""`interview-graph`: process transcripts, inspect the graph, manage events and the outbox.

Every command lives in a `*_cmd` module that defines its own Typer app and imports nothing
from here; this module only puts them together. Exit codes, the same for every command: 0
done; 1 failed or not found (a file, a check, a store, an interview id); 2 usage error (an
unknown option, a bad option value, an ambiguous interview id prefix).
"""

from __future__ import annotations

import typer

from interview_graph.cli.events_cmd import events_app
from interview_graph.cli.graph_cmd import graph_app, show_server_starts
from interview_graph.cli.outbox_cmd import outbox_app
from interview_graph.cli.process_cmd import process_app
from interview_graph.cli.projection_cmd import projection_app
from interview_graph.cli.read_cmd import read_app

app = typer.Typer(
    name="interview-graph",
    help="Turn interview transcripts into a queryable graph, with every fact also an event.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

# Apps without a name add their commands at the top level; named ones become command groups.
# `--help` lists the commands in this order, groups last.
for commands in (process_app, read_app, projection_app, graph_app, events_app, outbox_app):
    app.add_typer(commands)


def main() -> None:
    show_server_starts()
    app()
