from collections.abc import Iterator

import pytest

from tests.services import drop_database, fresh_database
from tests.workers.harness import Stack, running_workers


@pytest.fixture
def stack() -> Iterator[Stack]:
    url = fresh_database()
    try:
        with running_workers(url) as s:
            yield s
    finally:
        drop_database(url)
