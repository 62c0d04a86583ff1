"""Running the projections from tests: synchronously to a position, or as a real process."""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg

from domain.ledger import Ledger
from projections import all_projections
from projections.runner import Source, Worker

ROOT = Path(__file__).resolve().parents[2]


def catch_up(ledger: Ledger, database_url: str, batch_size: int = 2000) -> None:
    source = Source(ledger)
    with psycopg.connect(database_url, autocommit=True) as conn:
        for projection in all_projections():
            Worker(database_url, source, projection, batch_size).catch_up(conn)


def start_runner(database_url: str, log: Path, *args: str) -> "subprocess.Popen[bytes]":
    """`infoshkola projections run` as its own OS process, as `make run` starts it."""
    env: dict[str, Any] = {**os.environ, "DATABASE_URL": database_url}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "adapters.cli.main", "projections", "run", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
