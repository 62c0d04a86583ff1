"""Where the tests find PostgreSQL and Redis.

DATABASE_URL / REDIS_URL when given; under CI=true the machine's servers on 127.0.0.1
(a missing one fails the run, it is never skipped); otherwise the embedded servers under
var/test, the same code path `make run` uses.
"""

import os
from collections.abc import Callable
from pathlib import Path
from uuid import uuid4

from adapters import embedded
from adapters.postgres import drop_database, ensure_database, with_database

VAR = Path(__file__).resolve().parent.parent / "var" / "test"


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def server_url(variable: str, in_ci_url: str, embedded_url: Callable[[Path], str]) -> str:
    """The server the environment names, the machine's own in CI, else an embedded one."""
    if url := os.environ.get(variable):
        return url
    return in_ci_url if in_ci() else embedded_url(VAR)


def postgres_server_url() -> str:
    ci_url = "postgresql://postgres@127.0.0.1:5432/postgres"
    return server_url("DATABASE_URL", ci_url, embedded.postgres_server_url)


def redis_server_url() -> str:
    return server_url("REDIS_URL", "redis://127.0.0.1:6379/0", embedded.redis_url)


def fresh_database() -> str:
    """A new empty database on the test server; the caller drops it with `drop_database`."""
    url = with_database(postgres_server_url(), f"test_{os.getpid()}_{uuid4().hex[:8]}")
    ensure_database(url)
    return url


__all__ = ["drop_database", "fresh_database", "in_ci", "postgres_server_url", "redis_server_url"]
