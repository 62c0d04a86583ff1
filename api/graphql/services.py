"""What the resolvers use: the ledger (commands), identity, read-model connections.

Everything here is synchronous (eventsourcing, psycopg, argon2); the resolvers call it
through `run` so the event loop never blocks (STACK.md §2.4-1). GraphQL's threads are a pool
of their own (`graphql_threads`), so however many slow GraphQL requests wait on PostgreSQL,
the terminal routes keep the default thread pool to themselves. The pool is the standard
library's executor, handed work with `loop.run_in_executor` (a C `SimpleQueue`) rather than
anyio's worker threads (a `queue.Queue` and a `Condition` per hand-off, a limiter, a cancel
scope): the hand-offs were about a fifth of a GraphQL request's CPU. Nothing here sends
an SMS: identity writes its messages into the workers' outbox.
"""

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import psycopg

from adapters.acquiring import CheckoutClient
from adapters.people import PeopleStore
from adapters.postgres import checked_pool
from adapters.terminal_auth import TerminalSecrets
from adapters.vapid import vapid_keys
from api.graphql import readiness
from api.graphql.cost import MAX_COST
from app.settings import Settings
from domain.ledger import Ledger
from domain.web_push import PUSH_SERVICES
from identity.service import Identity, IdentitySettings
from privacy.office import PrivacyOffice, build_office

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
    # A streaming replica for the read models (docs/SCALING.md); the position check keeps
    # read-your-writes, since the positions are read from the same server as the rows.
    read_database_url: str | None = None
    acquiring_url: str = "http://127.0.0.1:9103"  # the payment provider (parents' top-ups)
    acquiring_key: str = ""
    acquiring_webhook_secret: str = ""  # no secret: every webhook is refused
    public_url: str = "http://127.0.0.1:8000"  # where the provider calls back and returns to
    # Web Push: the VAPID key (its public half is what browsers subscribe with); unset, the
    # data directory's own (`adapters/vapid.py`); neither: the cabinet offers no push.
    vapid_private_key: str | None = None
    web_push_services: tuple[str, ...] = PUSH_SERVICES  # hosts a subscription may point at
    var_dir: Path | None = None

    @classmethod
    def from_env(cls, env: Any = None) -> "ApiSettings":
        """From the one settings model (`app/settings.py`): each field from the setting of
        its name (`read_wait_seconds` has none and keeps its default)."""
        s = Settings.from_env(env)
        named = {f.name: getattr(s, f.name) for f in fields(cls) if hasattr(s, f.name)}
        return cls(**{**named, "web_push_services": tuple(s.web_push_services)})


class Services:
    def __init__(
        self,
        ledger: Ledger,
        database_url: str,
        settings: ApiSettings,
        people: PeopleStore | None = None,
        privacy: PrivacyOffice | None = None,
    ) -> None:
        self.ledger = ledger
        self.database_url = database_url
        self.settings = settings
        self.people = people or PeopleStore(database_url)
        self.privacy = privacy or build_office(
            ledger, database_url, Path("var") / "blobs", None, people=self.people
        )
        self.identity = Identity(
            database_url, IdentitySettings(jwt_secret=settings.jwt_secret), ledger.clock
        )
        self.terminal_secrets = TerminalSecrets(database_url, pool_size=2)
        self.read_database_url = settings.read_database_url or database_url
        self.reads = checked_pool(self.read_database_url, max_size=10)  # survives a restart
        self.threads = ThreadPoolExecutor(settings.graphql_threads, thread_name_prefix="graphql")
        self.checkout = CheckoutClient(
            settings.acquiring_url,
            settings.acquiring_key,
            f"{settings.public_url.rstrip('/')}/acquiring/webhook",
        )

    @cached_property
    def vapid_public_key(self) -> str | None:
        s = self.settings
        if s.vapid_private_key is None and s.var_dir is None:
            return None
        return vapid_keys(s.vapid_private_key, s.var_dir or Path("var")).public_key

    def create_tables(self) -> None:
        self.identity.create_tables()
        self.people.create_tables()
        self.terminal_secrets.create_tables()
        self.privacy.create_tables()

    def close(self) -> None:
        self.reads.close()
        self.identity.close()
        self.terminal_secrets.close()
        self.privacy.close()
        self.threads.shutdown(wait=False)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(*args)` in one of GraphQL's threads, in the caller's context (the request id
        of its log lines)."""
        context = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.threads, context.run, fn, *args)

    def now(self) -> datetime:
        """The one clock of the process (the ledger's)."""
        return self.ledger.clock()

    async def read(self, fn: Callable[..., T], *args: Any) -> T:
        """`read_now(fn, *args)` off the event loop."""
        return await self.run(self.read_now, fn, *args)

    def read_now(self, fn: Callable[..., T], *args: Any) -> T:
        """`fn(conn, *args)` on a read-model connection; a read model the projections runner
        has not created yet is `NOT_YET_CONSISTENT`, not a failure."""
        with self.reads.connection() as conn:
            try:
                return fn(conn, *args)
            except psycopg.errors.UndefinedTable as error:
                if readiness.never_built(conn, error):
                    raise readiness.NotYetBuiltError from None
                raise


def read_connection(services: Services) -> psycopg.Connection[Any]:
    return psycopg.connect(services.read_database_url, autocommit=True)
