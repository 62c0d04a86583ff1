import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from api.app import close_app, create_app
from api.terminal_desk import TerminalDesk
from app.composition import Container
from app.settings import Settings
from domain.ledger import Ledger
from tests.terminals.rig import TerminalWorld, terminal_world

with warnings.catch_warnings():  # starlette asks for httpx2; httpx is what we ship
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def app(database_url: str, ledger: Ledger, tmp_path: Path) -> Iterator[FastAPI]:
    settings = Settings(database_url=database_url, var_dir=tmp_path, offline_cap=25_000)
    app = create_app(Container(settings, database_url, ledger))
    yield app
    close_app(app)


@pytest.fixture
def desk(app: FastAPI) -> TerminalDesk:
    desk: TerminalDesk = app.state.terminal_desk
    return desk


@pytest.fixture
def http(app: FastAPI) -> httpx.Client:
    return TestClient(app, raise_server_exceptions=True)


@pytest.fixture
def school(ledger: Ledger, desk: TerminalDesk, http: httpx.Client) -> TerminalWorld:
    return terminal_world(ledger, desk, http)


@pytest.fixture
def other_school(ledger: Ledger, desk: TerminalDesk, http: httpx.Client) -> TerminalWorld:
    return terminal_world(ledger, desk, http)
