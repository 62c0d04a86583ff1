"""What the resolvers use: the ledger (commands), identity, read-model connections.

Everything here is synchronous (eventsourcing, psycopg, argon2); the resolvers call it
through `run` so the event loop never blocks (STACK.md §2.4-1). GraphQL's threads come from a
limiter of their own (`graphql_threads`), so however many slow GraphQL requests wait on
PostgreSQL, the terminal routes keep the default thread pool to themselves. Nothing here sends
an SMS: identity writes its messages into the workers' outbox.
"""

import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import psycopg
from anyio import CapacityLimiter, to_thread

from adapters.acquiring import CheckoutClient
from adapters.identity.service import Identity, IdentitySettings
from adapters.people import PeopleStore
from adapters.postgres import checked_pool
from adapters.terminal_auth import TerminalSecrets
from api.graphql import readiness
from api.graphql.cost import MAX_COST
from domain.ledger import Ledger

T = TypeVar("T")


@dataclass(frozen=True)
class ApiSettings:
    development: bool = False  # GraphiQL, introspection and suggestions only then
    jwt_secret: str | None = None
    read_wait_seconds: float = 5.0  # longest wait for a read model to reach `after`
    live_poll_seconds: float = 0.5  # how often a subscription looks at the read model
    graphql_threads: int = 16  # GraphQL's own thread limiter (the terminals keep the default)
    max_query_cost: int = MAX_COST  # fields after fragment expansion, times page sizes
    terminal_max_body: int = 1024 * 1024  # a batch of 500 taps is well below
    graphql_max_body_anonymous: int = 64 * 1024  # login, refresh, reset: a few hundred bytes
    graphql_max_body: int = 256 * 1024  # with a valid access token
    acquiring_url: str = "http://127.0.0.1:9103"  # the payment provider (parents' top-ups)
    acquiring_key: str = ""
    acquiring_webhook_secret: str = ""  # no secret: every webhook is refused
    public_url: str = "http://127.0.0.1:8000"  # where the provider calls back and returns to

    @classmethod
    def from_env(cls, env: Any = os.environ) -> "ApiSettings":
        return cls(
            development=env.get("INFOSHKOLA_MODE", "production") == "development",
            jwt_secret=env.get("JWT_SECRET") or None,
            live_poll_seconds=float(env.get("API_LIVE_POLL_SECONDS", cls.live_poll_seconds)),
            graphql_threads=int(env.get("API_GRAPHQL_THREADS", cls.graphql_threads)),
            max_query_cost=int(env.get("API_MAX_QUERY_COST", cls.max_query_cost)),
            terminal_max_body=int(env.get("API_TERMINAL_MAX_BODY", cls.terminal_max_body)),
            graphql_max_body_anonymous=int(
                env.get("API_GRAPHQL_MAX_BODY_ANONYMOUS", cls.graphql_max_body_anonymous)
            ),
            graphql_max_body=int(env.get("API_GRAPHQL_MAX_BODY", cls.graphql_max_body)),
            acquiring_url=env.get("ACQUIRING_URL", cls.acquiring_url),
            acquiring_key=env.get("ACQUIRING_KEY", cls.acquiring_key),
            acquiring_webhook_secret=env.get(
                "ACQUIRING_WEBHOOK_SECRET", cls.acquiring_webhook_secret
            ),
            public_url=env.get("API_PUBLIC_URL", cls.public_url),
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
        self.reads = checked_pool(database_url, max_size=10)  # survives a PostgreSQL restart
        self.threads = CapacityLimiter(settings.graphql_threads)
        self.checkout = CheckoutClient(
            settings.acquiring_url,
            settings.acquiring_key,
            f"{settings.public_url.rstrip('/')}/acquiring/webhook",
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
        """`fn(*args)` in one of GraphQL's threads."""
        return await to_thread.run_sync(fn, *args, limiter=self.threads)

    def now(self) -> datetime:
        """The one clock of the process (the ledger's)."""
        return self.ledger.clock()

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(conn, *args)` on a read-model connection, off the event loop; a read model the
        projections runner has not created yet is `NOT_YET_CONSISTENT`, not a failure."""

        def call() -> T:
            with self.reads.connection() as conn:
                try:
                    return fn(conn, *args)
                except psycopg.errors.UndefinedTable as error:
                    if readiness.never_built(conn, error):
                        raise readiness.NotYetBuiltError from None
                    raise

        return await self.run(call)


def read_connection(services: Services) -> psycopg.Connection[Any]:
    return psycopg.connect(services.database_url, autocommit=True)
