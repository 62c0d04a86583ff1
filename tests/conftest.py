import os
from collections.abc import Iterator

import pytest
from argon2 import PasswordHasher

from adapters.postgres import eventsourcing_env
from domain.ledger import Ledger
from identity import secrets
from tests.builders import SchoolWorld, new_school
from tests.clock import deselect_dateless, parametrize_sweep, travelled
from tests.services import drop_database, fresh_database

# Tests start many ledgers and servers side by side: each keeps few idle connections.
os.environ.setdefault("POSTGRES_POOL_SIZE", "2")

# argon2id at a test cost in this process (the API servers the tests run in it): the production
# profile (64 MiB, 3 passes) costs a few hundred ms of CPU a hash on a busy 2-core machine and
# every parent and staff login a test makes pays it. The code path is the same: hash and verify
# through `identity.secrets`, the parameters travel in each hash, the dummy hash is one too.
secrets.HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
secrets.DUMMY_HASH = secrets.HASHER.hash("not a password of anyone")

__all__ = ["travelled"]  # a fixture for every test module


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """One fresh database per test process on the real PostgreSQL server."""
    url = fresh_database()
    yield url
    drop_database(url)


@pytest.fixture
def ledger(database_url: str) -> Iterator[Ledger]:
    app = Ledger(eventsourcing_env(database_url, pool_size=2), snapshot_interval=10)
    yield app
    app.close()


@pytest.fixture
def world(ledger: Ledger) -> SchoolWorld:
    return new_school(ledger)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_sweep(metafunc)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    deselect_dateless(config, items)
