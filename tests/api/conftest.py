from collections.abc import Iterator
from datetime import datetime

import pytest

from adapters.postgres import eventsourcing_env
from domain.ledger import Ledger
from tests.api.barrage import Barrage, running_barrage
from tests.api.stack import Stack, running_stack


@pytest.fixture(scope="module")
def stack(database_url: str) -> Iterator[Stack]:
    ledger = Ledger(eventsourcing_env(database_url), snapshot_interval=10)
    with running_stack(ledger, database_url) as found:
        yield found
    ledger.close()


@pytest.fixture(scope="module")
def dev(database_url: str) -> Iterator[Stack]:
    """A server in development mode (GraphiQL, introspection, suggestions)."""
    ledger = Ledger(eventsourcing_env(database_url))
    with running_stack(ledger, database_url, development=True) as found:
        yield found
    ledger.close()


@pytest.fixture
def barrage(travelled: datetime) -> Iterator[Barrage]:
    """The stack, its schools and its workers, started at the travelled instant."""
    with running_barrage() as found:
        yield found
