from collections.abc import Iterator

import pytest

from tests.adapters.private_postgres import PrivatePostgres


@pytest.fixture
def server() -> Iterator[PrivatePostgres]:
    """A PostgreSQL of the test's own, to crash and restart (never the shared one)."""
    found = PrivatePostgres().init()
    found.start()
    try:
        yield found
    finally:
        found.remove()
