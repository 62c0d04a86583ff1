"""Alembic migrations of every table that is not a rebuildable read model: identity, personal
data, photos' access, terminal credentials, the workers' outbox and their state.

`upgrade(database_url)` brings a database to the newest revision under an advisory lock, so
the processes of a stack starting together migrate once; `infoshkola migrate` (run by
`infoshkola up` and by compose's `migrate` service) does the same. A process that needs these
tables calls `upgrade` through its stores' `create_tables` (once per database and process).
The read models are not here: the projections create and rebuild their own tables
(docs/projections.md). A database from before the migrations (its tables made by the older
`CREATE TABLE IF NOT EXISTS` code, no `alembic_version`) is taken over by the baseline, whose
statements are idempotent.
"""

import threading
from pathlib import Path
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool

HERE = Path(__file__).parent
LOCK = "SELECT pg_advisory_lock(hashtextextended('infoshkola.migrations', 0))"
UNLOCK = "SELECT pg_advisory_unlock(hashtextextended('infoshkola.migrations', 0))"

_done: set[str] = set()
_guard = threading.Lock()


def config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    return cfg


def head() -> str:
    found = ScriptDirectory.from_config(config()).get_current_head()
    assert found is not None
    return found


def _engine(database_url: str) -> Any:
    return create_engine(
        "postgresql+psycopg://",
        creator=lambda: psycopg.connect(database_url),
        poolclass=NullPool,
    )


def current(database_url: str) -> str | None:
    """The revision the database is at (None: never migrated)."""
    engine = _engine(database_url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate to `revision` (once per database in this process for "head")."""
    with _guard:
        if revision == "head" and database_url in _done:
            return
        engine = _engine(database_url)
        try:
            with engine.connect() as connection:
                connection.exec_driver_sql(LOCK)
                connection.commit()
                try:
                    cfg = config()
                    cfg.attributes["connection"] = connection
                    command.upgrade(cfg, revision)
                    connection.commit()
                finally:
                    connection.exec_driver_sql(UNLOCK)
                    connection.commit()
        finally:
            engine.dispose()
        if revision == "head":
            _done.add(database_url)
