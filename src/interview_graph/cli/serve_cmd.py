"""`interview-graph serve`: the HTTP API on uvicorn, on the same settings as every command.

On loopback the API needs no login (one researcher on their own machine) unless `--auth` or
API_AUTH asks for tokens; on any other address every request needs one, and `serve` refuses
to start while no user holds a token. The choice reaches the app (in this process or in each
of `--workers` processes) through the environment, as API_AUTH and API_ACCESS_LOG, since
uvicorn's workers build their app with `app_from_env`.

SIGTERM or Ctrl-C stops accepting connections, gives running requests GRACE_S seconds to
finish, closes the graph and ends every worker.
"""

from __future__ import annotations

import ipaddress
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from interview_graph import bootstrap
from interview_graph.auth.users import UserStoreError
from interview_graph.cli import render
from interview_graph.cli.context import load_settings
from interview_graph.settings import Settings

serve_app = typer.Typer()

APP_FACTORY = "interview_graph.api.app:app_from_env"
GRACE_S = 10


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and localhost: reachable from this machine only."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@serve_app.command("serve")
def serve(
    host: Annotated[
        str, typer.Option(help="The address to listen on; beyond loopback, tokens are required.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="The TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, max=64, help="Worker processes (each with its own connections).")
    ] = 1,
    auth: Annotated[
        bool, typer.Option("--auth", help="Require tokens on loopback too (API_AUTH=true).")
    ] = False,
    access_log: Annotated[
        bool | None,
        typer.Option(
            "--access-log/--no-access-log",
            help="One JSON line per request on stderr (default: API_ACCESS_LOG, on).",
        ),
    ] = None,
) -> None:
    """Serve the HTTP API (JSON reads of the graph; docs at /docs) until Ctrl-C or SIGTERM."""
    settings = load_settings()
    tokens_required = auth or settings.api_auth or not is_loopback(host)
    if tokens_required:
        _refuse_without_users(settings, host, auth)
    os.environ["API_AUTH"] = "true" if tokens_required else "false"
    if access_log is not None:
        os.environ["API_ACCESS_LOG"] = "true" if access_log else "false"
    render.err_console.print(
        "tokens required: every request needs 'Authorization: Bearer <token>'"
        if tokens_required
        else "no login needed: listening on loopback, for this machine only (--auth asks for "
        "tokens)"
    )
    import uvicorn

    with _shared_metrics(workers):
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            access_log=False,  # the app writes its own, as JSON
            log_level="info",
            timeout_graceful_shutdown=GRACE_S,
        )


def _refuse_without_users(settings: Settings, host: str, auth_flag: bool) -> None:
    store = bootstrap.build_user_store(settings)
    try:
        users = store.count()
    except UserStoreError as exc:
        render.err_console.print(f"[red]cannot serve[/]: {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    if users:
        return
    why = (
        f"{host} is reachable from other machines, so every request needs a token"
        if not is_loopback(host)
        else f"{'--auth' if auth_flag else 'API_AUTH'} asks for tokens"
    )
    render.err_console.print(
        f"[red]refusing to serve on {host}[/]: {why}, and no user has one yet. Add one with "
        "`interview-graph users add NAME --role admin` (it prints the token), then start again."
    )
    raise typer.Exit(2)


@contextmanager
def _shared_metrics(workers: int) -> Iterator[None]:
    """Several workers write their metrics to one fresh directory, so /metrics sums them
    (an existing PROMETHEUS_MULTIPROC_DIR is used as it is)."""
    from interview_graph.metrics import MULTIPROCESS_DIR_VARIABLE

    if workers == 1 or os.environ.get(MULTIPROCESS_DIR_VARIABLE):
        yield
        return
    directory = tempfile.mkdtemp(prefix="interview-graph-metrics-")
    os.environ[MULTIPROCESS_DIR_VARIABLE] = directory
    try:
        yield
    finally:
        del os.environ[MULTIPROCESS_DIR_VARIABLE]
        shutil.rmtree(directory, ignore_errors=True)
