"""What the resolvers use: the ledger (commands), identity, read-model connections.

Everything here is synchronous (eventsourcing, psycopg, argon2); the resolvers call it
through `run` so the event loop never blocks (STACK.md §2.4-1). Nothing here sends an SMS:
identity writes its messages into the workers' outbox.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from psycopg_pool import ConnectionPool
from starlette.concurrency import run_in_threadpool

from adapters.identity.service import Identity, IdentitySettings
from adapters.people import PeopleStore
from adapters.terminal_auth import TerminalSecrets
from domain.ledger import Ledger

T = TypeVar("T")


@dataclass(frozen=True)
class ApiSettings:
    development: bool = False  # GraphiQL, introspection and suggestions only then
    jwt_secret: str | None = None
    read_wait_seconds: float = 5.0  # longest wait for a read model to reach `after`
    live_poll_seconds: float = 0.5  # how often a subscription looks at the read model

    @classmethod
    def from_env(cls, env: Any = os.environ) -> "ApiSettings":
        return cls(
            development=env.get("INFOSHKOLA_MODE", "production") == "development",
            jwt_secret=env.get("JWT_SECRET") or None,
            live_poll_seconds=float(env.get("API_LIVE_POLL_SECONDS", cls.live_poll_seconds)),
        )


class Services:
    def __init__(
        self,
        ledger: Ledger,
        database_url: str,
        settings: ApiSettings,
        people: PeopleStore | None = None,
    ) -> None:
        self.ledger = ledger
        self.database_url = database_url
        self.settings = settings
        self.people = people or PeopleStore(database_url)
        self.identity = Identity(database_url, IdentitySettings(jwt_secret=settings.jwt_secret))
        self.terminal_secrets = TerminalSecrets(database_url, pool_size=2)
        self.reads = ConnectionPool(
            database_url, min_size=1, max_size=10, kwargs={"autocommit": True}, open=True
        )

    def create_tables(self) -> None:
        self.identity.create_tables()
        self.people.create_tables()
        self.terminal_secrets.create_tables()

    def close(self) -> None:
        self.reads.close()
        self.identity.close()
        self.terminal_secrets.close()

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        return await run_in_threadpool(fn, *args)

    def now(self) -> datetime:
        """The one clock of the process (the ledger's)."""
        return self.ledger.clock()

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(conn, *args)` on a read-model connection, off the event loop."""

        def call() -> T:
            with self.reads.connection() as conn:
                return fn(conn, *args)

        return await run_in_threadpool(call)


def read_connection(services: Services) -> psycopg.Connection[Any]:
    return psycopg.connect(services.database_url, autocommit=True)
