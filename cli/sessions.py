"""The one shape of an operator's command: a bootstrapped container and events attributed to
the operator. A refused command is told by `cli.failures.reported` (one line, exit code 2)."""

from collections.abc import Iterator
from contextlib import contextmanager

from app.composition import Container, bootstrap
from domain.recorded import acting_as


@contextmanager
def operator_session(actor: str) -> Iterator[Container]:
    container = bootstrap()
    try:
        with acting_as(actor):
            yield container
    finally:
        container.close()
