"""`infoshkola`: the one command line for operators, developers and `make run`.

Each command group lives in its own module and is registered here.
"""

import sys
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

from adapters.cli import (
    accounts,
    api,
    audit,
    config,
    demo,
    failures,
    graphql,
    health,
    migrate,
    privacy,
    projections,
    reader,
    school,
    terminals,
    up,
    users,
    workers,
)

app = typer.Typer(no_args_is_help=True, help="Infoshkola school-card system")


def installed_version() -> str:
    try:
        return version("infoshkola")
    except PackageNotFoundError:  # a checkout that was never installed
        return "unknown"


def show_version(value: bool) -> None:
    if value:
        typer.echo(f"infoshkola {installed_version()}")
        raise typer.Exit


@app.callback()
def root(
    _version: Annotated[
        bool,
        typer.Option("--version", callback=show_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Infoshkola school-card system."""


app.command("demo")(demo.demo)
app.command("up")(up.up)
app.command("migrate")(migrate.migrate)
app.command("health")(health.health)
app.command("graphql")(graphql.graphql)
app.command("tap")(accounts.tap)
app.command("top-up")(accounts.top_up)
app.command("reader")(reader.reader)
app.add_typer(accounts.account_app, name="account")
app.add_typer(projections.app, name="projections")
app.command("api")(api.api)
app.add_typer(terminals.terminal_app, name="terminal")
app.command("workers")(workers.workers)
app.add_typer(users.users_app, name="users")
app.add_typer(audit.app, name="audit")
app.add_typer(config.app, name="config")
app.add_typer(school.school_app, name="school")
app.add_typer(privacy.app, name="privacy")


def main() -> None:
    """Every command, with user errors as one line and a non-zero exit (`failures.py`)."""
    try:
        with failures.reported():
            app()
    except typer.Exit as failed:
        sys.exit(failed.exit_code)


if __name__ == "__main__":
    main()
