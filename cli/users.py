"""`infoshkola users …`: staff users, parent logins, disabling and support's reset.

Passwords of parents go by SMS only: these commands write them into the workers' outbox and
`infoshkola workers` sends them (SMS_GATEWAY_URL / SMS_GATEWAY_TOKEN are the workers'
settings); a staff password is typed at a hidden prompt (or given in
INFOSHKOLA_STAFF_PASSWORD for scripts).
"""

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from uuid import UUID

import typer

from adapters.people import PeopleStore
from api.graphql.services import ApiSettings
from app.composition import Container
from app.logs import configure_logging
from cli.sessions import operator_session
from identity.activations import ActivationLogins
from identity.provisioning import grant_parent_access
from identity.service import Identity, IdentitySettings, Role

users_app = typer.Typer(no_args_is_help=True, help="Staff users and parent logins")


@contextmanager
def session() -> Iterator[tuple[Container, Identity]]:
    with operator_session("system") as container:
        settings = ApiSettings.from_env()
        secret = IdentitySettings(jwt_secret=settings.jwt_secret)
        identity = Identity(container.database_url, secret, container.ledger.clock)
        try:
            identity.create_tables()
            yield container, identity
        finally:
            identity.close()


@users_app.command("create-staff")
def create_staff(
    username: Annotated[str, typer.Option(help="the login name")],
    role: Annotated[Role, typer.Option(help="canteen_operator, school_admin, support, auditor")],
    school: Annotated[list[UUID] | None, typer.Option(help="a school (repeat for several)")] = None,
    all_schools: Annotated[bool, typer.Option(help="support/auditors: every school")] = False,
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True,
            envvar="INFOSHKOLA_STAFF_PASSWORD", help="typed at a hidden prompt",
        ),
    ] = "",
    exist_ok: Annotated[
        bool, typer.Option("--exist-ok", help="succeed, changing nothing, if the name is taken")
    ] = False,
) -> None:  # fmt: skip
    """Create a staff user bound to a school (support and auditors may span schools)."""
    with session() as (_, identity):
        if exist_ok and identity.has_login(username):
            typer.echo(f"staff user {username} exists; left as it is")
            return
        principal = identity.create_staff(username, password, role, school or [], all_schools)
        typer.echo(f"staff user {username} ({role.value}): {principal}")


@users_app.command("grant-parent")
def grant_parent(
    contract: Annotated[str, typer.Option(help="the contract number")],
    phone: Annotated[str | None, typer.Option(help="else the phone on record")] = None,
) -> None:
    """Give the contract's parent a login; a new login's password (a fresh one when the
    contract was granted before) goes by SMS."""
    with session() as (container, identity):
        people = PeopleStore(container.database_url)
        found = grant_parent_access(container.ledger, people, identity, contract, phone)
        if found is None:
            typer.echo("error: no phone is known for this contract; pass --phone", err=True)
            raise typer.Exit(2)
        typer.echo(f"contract {contract} attached to login {found}; the SMS is queued")


@users_app.command("disable")
def disable(
    name: Annotated[str, typer.Argument(help="contract number, phone or username")],
) -> None:
    """Disable a login: every session ends at once."""
    with session() as (_, identity):
        identity.set_disabled(identity.principal_of(name), True)
        typer.echo(f"login {name} disabled")


@users_app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="contract number, phone or username")]) -> None:
    with session() as (_, identity):
        identity.set_disabled(identity.principal_of(name), False)
        typer.echo(f"login {name} enabled")


@users_app.command("reset-access")
def reset_access(contract: Annotated[str, typer.Option(help="the contract number")]) -> None:
    """Support: a new password by SMS to the contract's parent; their sessions end."""
    with session() as (_, identity):
        if not identity.reset_access(contract):
            typer.echo("error: this contract has no parent login", err=True)
            raise typer.Exit(2)
        typer.echo("a new password is queued for SMS")


@users_app.command("provision")
def provision(
    follow: Annotated[bool, typer.Option(help="keep following new activations")] = False,
) -> None:
    """Give the parents of newly activated cards a login (password by SMS)."""
    with session() as (container, identity):
        people = PeopleStore(container.database_url)
        people.create_tables()  # on a new database this may be the first process up
        logins = ActivationLogins(container.ledger, people, identity, container.database_url)
        if not follow:
            typer.echo(f"{logins.step(limit=10_000)} activations handled")
            return
        configure_logging(container.settings)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        signal.signal(signal.SIGINT, lambda *_: stop.set())
        logins.follow(stop)
