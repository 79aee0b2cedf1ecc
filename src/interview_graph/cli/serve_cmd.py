"""`interview-graph serve`: the HTTP API on uvicorn, on the same settings as every command."""

from __future__ import annotations

import ipaddress
from typing import Annotated

import typer

from interview_graph.cli import render
from interview_graph.cli.context import load_settings

serve_app = typer.Typer()


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@serve_app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="The address to listen on; loopback needs no login.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The TCP port.")] = 8000,
) -> None:
    """Serve the HTTP API (JSON reads of the graph; OpenAPI at /openapi.json) until Ctrl-C."""
    if not is_loopback(host):
        # Tokens and roles (`users add`) are not built yet: until they are, the API is for
        # this machine only rather than open to anyone who can reach the address.
        render.err_console.print(
            f"[red]refusing to serve on {host}[/]: any other address than loopback needs "
            "login tokens, which this version does not have yet; serve on 127.0.0.1 and reach "
            "it through an SSH tunnel or a reverse proxy that authenticates"
        )
        raise typer.Exit(2)
    settings = load_settings()
    import uvicorn

    from interview_graph.api.app import create_app

    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
