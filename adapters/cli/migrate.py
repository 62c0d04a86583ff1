"""`infoshkola migrate`: bring the database's own tables (not the read models) to the newest
revision (adapters/migrations); `--check` only says whether it is there."""

from typing import Annotated

import typer

from adapters import migrations
from adapters.bootstrap import resolve_database_url
from adapters.settings import Settings


def migrate(
    check: Annotated[bool, typer.Option("--check", help="exit 1 unless at the newest")] = False,
) -> None:
    """Apply the migrations (what `infoshkola up` and compose's `migrate` service run)."""
    url = resolve_database_url(Settings.from_env())
    head = migrations.head()
    if check:
        at = migrations.current(url)
        typer.echo(f"database at {at or 'no revision'}; newest {head}")
        if at != head:
            raise typer.Exit(1)
        return
    before = migrations.current(url)
    migrations.upgrade(url)
    typer.echo(f"database migrated from {before or 'no revision'} to {head}")
