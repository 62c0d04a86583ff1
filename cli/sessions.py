"""The one shape of an operator's command: a bootstrapped container, events attributed to the
operator, and a refused command told as `error [code]: …` with exit code 2."""

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from app.composition import Container, bootstrap
from domain.errors import DomainError
from domain.recorded import acting_as


@contextmanager
def operator_session(actor: str, *refused: type[Exception]) -> Iterator[Container]:
    """`refused`: error types besides the domain's that a command may end with."""
    container = bootstrap()
    told: tuple[type[Exception], ...] = (DomainError, *refused)
    try:
        with acting_as(actor):
            yield container
    except told as error:
        typer.echo(f"error [{getattr(error, 'code', 'error')}]: {error}", err=True)
        raise typer.Exit(2) from None
    finally:
        container.close()
