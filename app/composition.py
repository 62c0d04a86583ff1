"""The composition root: settings in, wired application (and later projections, workers) out.

Nothing connects at import time; every process calls `bootstrap` once.
"""

from dataclasses import dataclass

from adapters import embedded
from adapters.clock import parse_clock, stamp_events_with
from adapters.postgres import ensure_database, eventsourcing_env, with_database
from app.settings import Settings
from domain.clock import Clock
from domain.ledger import Ledger


def resolve_database_url(settings: Settings) -> str:
    """DATABASE_URL when given, else the embedded server; the database is created if missing."""
    if settings.database_url:
        url = settings.database_url
    else:
        url = with_database(embedded.postgres_server_url(settings.var_dir), settings.database_name)
    ensure_database(url)
    return url


def resolve_redis_url(settings: Settings) -> str:
    return settings.redis_url or embedded.redis_url(settings.var_dir)


@dataclass
class Container:
    settings: Settings
    database_url: str
    ledger: Ledger

    def close(self) -> None:
        self.ledger.close()


def build_clock(settings: Settings) -> Clock:
    """The process's one clock: every component and every event timestamp reads it."""
    clock = parse_clock(settings.clock)
    stamp_events_with(clock)
    return clock


def build_ledger(settings: Settings, database_url: str) -> Ledger:
    return Ledger(
        eventsourcing_env(database_url, settings.pool_size),
        commission_rates=settings.commission_rates,
        snapshot_interval=settings.snapshot_interval,
        clock=build_clock(settings),
        offline_cap=settings.offline_cap,
    )


def bootstrap(settings: Settings | None = None) -> Container:
    settings = settings or Settings.from_env()
    url = resolve_database_url(settings)
    return Container(settings, url, build_ledger(settings, url))
