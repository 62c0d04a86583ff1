"""Running the projections from tests: synchronously to a position, in a thread, or as a
real process; and recording an event as an older, laxer version of the code once did."""

import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from app.processes import dies_with_parent
from domain.ledger import Ledger
from domain.menu import Menu
from projections import all_projections, positions
from projections.base import Projection
from projections.runner import Source, Worker, run_all
from tests.services import drop_database, fresh_database

ROOT = Path(__file__).resolve().parents[2]

# A menu line no projection can store (PostgreSQL refuses NUL in text and jsonb).
BROKEN_MENU = [
    {"code": "KASHA", "name": "Ка\x00ша", "price": 3_500, "allergens": [], "nutrition": {}}
]


@contextmanager
def own_database() -> Iterator[str]:
    """A database for one test alone (a stuck projection must not leak into another test)."""
    url = fresh_database()
    try:
        yield url
    finally:
        drop_database(url)


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
            [sys.executable, "-m", "cli.main", "projections", "run", *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=dies_with_parent(),
        )


@contextmanager
def running(
    ledger: Ledger, database_url: str, projections: Sequence[Projection] | None = None
) -> Iterator[None]:
    """`run_all` in a thread (as `projections run` runs it) until the block ends."""
    stop = threading.Event()
    thread = threading.Thread(
        target=run_all,
        args=(database_url, Source(ledger), projections or all_projections(), stop),
        kwargs={"report_every": 3600},
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()


def cli(database_url: str, *args: str) -> "subprocess.CompletedProcess[str]":
    """`infoshkola ARGS` as an operator runs it; its exit code is the caller's to check."""
    env = {**os.environ, "DATABASE_URL": database_url, "COLUMNS": "200"}
    command = [sys.executable, "-m", "cli.main", *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def forge_menu(
    ledger: Ledger, school_id: UUID, day: date, items: Sequence[Mapping[str, Any]]
) -> int:
    """Record a `MenuPublished` without the command's checks, as a laxer earlier version of
    the code could have: the log keeps such an event for ever. `day` has no menu yet.
    Returns the event's position."""
    menu = Menu.start(school_id, day)
    menu.trigger_event(
        Menu.MenuPublished, school_id=school_id, menu_date=day.isoformat(), items=list(items)
    )
    return int(ledger.save(menu)[-1].notification.id)


def standing(database_url: str, ledger: Ledger, name: str) -> dict[str, Any]:
    """The projection's row of `projections status`."""
    table = Source(ledger).events_table
    with psycopg.connect(database_url, autocommit=True) as conn:
        return next(r for r in positions.status(conn, table) if r["name"] == name)


def wait_for_error(database_url: str, ledger: Ledger, name: str) -> dict[str, Any]:
    """Wait (bounded) until the runner has recorded an error for projection `name`."""
    from tests.workers.harness import wait_for  # it imports the workers: only when needed

    def failed() -> dict[str, Any] | None:
        row = standing(database_url, ledger, name)
        return row if row["last_error"] else None

    found: dict[str, Any] = wait_for(failed, 30, f"{name} to record its error")
    return found
