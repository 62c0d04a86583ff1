from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters.terminal_auth import TerminalSecrets
from tests.reader.rig import ApiServer, Pcscd, pcscd


@pytest.fixture
def api_server(database_url: str, tmp_path: Path) -> Iterator[ApiServer]:
    server = ApiServer(database_url, tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def pcsc(tmp_path: Path) -> Iterator[Pcscd]:
    with pcscd(tmp_path) as daemon:
        yield daemon


@pytest.fixture
def secrets_store(database_url: str) -> Iterator[TerminalSecrets]:
    store = TerminalSecrets(database_url, pool_size=2)
    store.create_tables()
    yield store
    store.close()


def secret_file(directory: Path, secret: str) -> Path:
    path = directory / "terminal.secret"
    path.write_text(secret + "\n")
    return path
