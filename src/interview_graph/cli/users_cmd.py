"""`interview-graph users add|list|remove|token`: who may use the HTTP API, and their tokens.

A token is printed once, alone on stdout (so `TOKEN=$(interview-graph users add ...)` works),
with what it is for on stderr; the data directory keeps only its digest.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from interview_graph import bootstrap
from interview_graph.auth.roles import Role
from interview_graph.auth.users import (
    InvalidUserNameError,
    UserStore,
    UserStoreError,
)
from interview_graph.cli import render
from interview_graph.cli.context import load_settings

users_app = typer.Typer(
    name="users",
    help="Users of the HTTP API and their login tokens (needed when `serve` is not on loopback).",
)

ROLES_HELP = "viewer reads; editor also uploads; admin also manages users."


@contextmanager
def _store() -> Iterator[UserStore]:
    """The user store; its errors become one red line and exit code 1, a bad name exit 2."""
    store = bootstrap.build_user_store(load_settings())
    try:
        yield store
    except InvalidUserNameError as exc:
        render.err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(2) from None
    except UserStoreError as exc:
        render.err_console.print(f"[red]{escape(str(exc))}[/]")
        raise typer.Exit(1) from None
    finally:
        store.close()


def _print_token(token: str, what: str) -> None:
    render.err_console.print(
        f"{what}. The token is printed once, below; keep it somewhere safe (only its digest "
        'is stored). Send it as the header "Authorization: Bearer <token>".'
    )
    typer.echo(token)


@users_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Letters, digits, '.', '_', '@', '-'.")],
    role: Annotated[Role, typer.Option(help=ROLES_HELP, case_sensitive=False)] = Role.VIEWER,
) -> None:
    """Add a user with a role and print their new token (once)."""
    with _store() as store:
        token = store.add(name, role)
    _print_token(token, f"added {name} ({role.value})")


@users_app.command("token")
def token(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Give a user a new token (printed once); their old token stops working."""
    with _store() as store:
        new = store.rotate(name)
    _print_token(new, f"new token for {name}; the old one no longer works")


@users_app.command("remove")
def remove(name: Annotated[str, typer.Argument(help="The user's name.")]) -> None:
    """Remove a user; their token stops working at once."""
    with _store() as store:
        store.remove(name)
    render.console.print(f"removed {name}")


@users_app.command("list")
def list_users(
    json_output: Annotated[
        bool, typer.Option("--json", help="Print the users as a JSON array.")
    ] = False,
) -> None:
    """The users: name, role, when added, when their token was issued and last used."""
    with _store() as store:
        users = store.users()
    if json_output:
        render.print_json([user.as_json() for user in users])
        return
    if not users:
        render.console.print("no users yet: `interview-graph users add NAME --role viewer`")
        return
    table = Table("name", "role", "added", "token issued", "last used")
    for user in users:
        table.add_row(
            escape(user.name),
            user.role.value,
            _when(user.created_at),
            _when(user.token_issued_at),
            _when(user.last_used_at),
        )
    render.console.print(table)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment else "never"
