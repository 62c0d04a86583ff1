from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.postgres import eventsourcing_env
from domain.ledger import Ledger
from tests.api.stack import Stack, running_stack


@pytest.fixture(scope="module")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def stack(database_url: str, var_dir: Path) -> Iterator[Stack]:
    ledger = Ledger(eventsourcing_env(database_url), snapshot_interval=10)
    with running_stack(ledger, database_url, var_dir=var_dir) as found:
        yield found
    ledger.close()
