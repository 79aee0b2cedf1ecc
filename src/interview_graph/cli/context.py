"""What every command needs before it starts: the settings, checked, and logging set up.

Command modules call `load_settings()` instead of `get_settings()`, so that a bad value in the
environment or `.env` is one red line naming every offending variable and exit code 2 (a usage
error), never a traceback, whichever command the user ran.
"""

from __future__ import annotations

import typer
from pydantic import ValidationError

from interview_graph.cli import render
from interview_graph.logs import configure_logging
from interview_graph.settings import Settings, get_settings


def load_settings() -> Settings:
    """The settings (read once per process), with structured logging at their LOG_LEVEL."""
    try:
        settings = get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, error['loc']))}: {error['msg']}" for error in exc.errors()
        )
        render.err_console.print(f"[red]invalid settings[/] (environment or .env): {problems}")
        raise typer.Exit(2) from None
    configure_logging(settings.log_level)
    return settings
