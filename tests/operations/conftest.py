import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from adapters.bootstrap import Container
from adapters.settings import Settings
from api.app import close_app, create_app
from api.terminal_desk import TerminalDesk
from domain.ledger import Ledger
from tests.services import redis_server_url
from tests.terminals.rig import TerminalWorld, terminal_world

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what we ship
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


ORIGIN = "https://parents.example"


@pytest.fixture
def app(database_url: str, ledger: Ledger, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(
        database_url=database_url,
        redis_url=redis_server_url(),
        var_dir=tmp_path,
        cors_origins=[ORIGIN],
        workers_namespace=f"operable-{tmp_path.name}",
    )
    app = create_app(Container(settings, database_url, ledger))
    yield app
    close_app(app)


@pytest.fixture
def http(app: FastAPI) -> httpx.Client:
    return TestClient(app, raise_server_exceptions=True)


@pytest.fixture
def school(ledger: Ledger, app: FastAPI, http: httpx.Client) -> TerminalWorld:
    desk: TerminalDesk = app.state.terminal_desk
    return terminal_world(ledger, desk, http)
