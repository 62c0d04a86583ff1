from collections.abc import Iterator

import pytest

from tests.services import drop_database, fresh_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of the module's own: parity is checked over every account in it, so the
    other test modules' histories must not be there."""
    url = fresh_database()
    yield url
    drop_database(url)
