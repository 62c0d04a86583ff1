from collections.abc import Iterator

import pytest

from tests.projections.helpers import own_database


@pytest.fixture(scope="module")
def database_url() -> Iterator[str]:
    """A database of each module's own. The audit checks read the whole log: a verify or a
    replay of every event, every table searched for a sentinel, the trail rebuilt from zero
    four events at a time. On the test process's shared database they read every earlier
    module's events too, and took longer the later the module ran."""
    with own_database() as url:
        yield url
