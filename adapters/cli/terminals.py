"""`infoshkola terminal register|issue-secret|rotate-secret|revoke`: terminal credentials.

A secret is printed once, when it is issued; the server keeps it only to verify signatures.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from uuid import UUID

import typer

from adapters.bootstrap import Container, bootstrap
from adapters.terminal_auth import TerminalSecrets, enrol_terminal
from domain.fleet import rename_terminal
from domain.recorded import acting_as

terminal_app = typer.Typer(no_args_is_help=True, help="Register terminals and their secrets")


@contextmanager
def session() -> Iterator[tuple[Container, TerminalSecrets]]:
    container = bootstrap()
    store = TerminalSecrets(container.database_url, pool_size=1)
    try:
        store.create_tables()
        with acting_as("operator:cli"):
            yield container, store
    finally:
        store.close()
        container.close()


def print_secret(terminal_id: UUID, secret: str) -> None:
    typer.echo(f"terminal_id: {terminal_id}")
    typer.echo(f"secret:      {secret}")
    typer.echo("Put the secret on the device now: it is not shown again.", err=True)


@terminal_app.command("register")
def register(
    school: Annotated[UUID, typer.Option(help="the school's id")],
    kind: Annotated[str, typer.Option(help="canteen_pos, turnstile, kiosk, vending, …")],
    label: Annotated[str, typer.Option(help="where it stands")] = "",
    terminal_id: Annotated[UUID | None, typer.Option(help="the device's own id")] = None,
) -> None:
    """Register a terminal and print its secret, once."""
    with session() as (container, store):
        new_id, secret = enrol_terminal(
            container.ledger, store, school, kind, label or kind, terminal_id
        )
        print_secret(new_id, secret)


@terminal_app.command("issue-secret")
def issue_secret(terminal_id: UUID) -> None:
    """Issue the secret of a terminal registered without one (e.g. by `demo`)."""
    with session() as (container, store):
        school_id = container.ledger.terminal_school_id(terminal_id)
        print_secret(terminal_id, store.issue(terminal_id, school_id))


@terminal_app.command("rotate-secret")
def rotate_secret(terminal_id: UUID) -> None:
    """Replace a lost or leaked secret; the old one stops working at once."""
    with session() as (_, store):
        print_secret(terminal_id, store.rotate(terminal_id))


@terminal_app.command("revoke")
def revoke(terminal_id: UUID, reason: Annotated[str, typer.Option()] = "revoked") -> None:
    """Revoke a terminal: every request it signs is refused from now on."""
    with session() as (container, _):
        container.ledger.revoke_terminal(terminal_id, reason)
        typer.echo(f"terminal {terminal_id} revoked")


@terminal_app.command("rename")
def rename(terminal_id: UUID, name: str) -> None:
    """Name a terminal after where it stands (reports list terminals by name)."""
    with session() as (container, _):
        rename_terminal(container.ledger, terminal_id, name)
        typer.echo(f"terminal {terminal_id} is {name!r}")
