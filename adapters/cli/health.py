"""`infoshkola health SERVICE`: the health check of one long-running process, for compose and
for an operator; exit 0 with `ok: …`, or 1 with one line saying what is wrong.

Each check looks at what the process itself produces, so a stuck process fails it too: the
API answers `/ready`; the projections, the feed, the audit chain and the activation logins
are within `--max-lag` events of the ledger's head (and the projections have no error); a
dramatiq worker has fetched from Redis within the heartbeat timeout; the scheduler holds its
lock; the webhook endpoint accepts connections.
"""

import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import Annotated, Any

import httpx
import psycopg
import redis
import typer

from adapters.bootstrap import bootstrap, resolve_redis_url
from adapters.settings import Settings
from projections import positions


class Service(StrEnum):
    API = "api"
    PROJECTIONS = "projections"
    WORKER = "worker"
    FEED = "feed"
    SCHEDULER = "scheduler"
    WEBHOOKS = "webhooks"
    AUDIT_CHAIN = "audit-chain"
    ACTIVATION_LOGINS = "activation-logins"


class UnhealthyError(Exception):
    """One line: what is wrong with the service."""


@contextmanager
def ledger_connection(settings: Settings) -> Iterator[tuple[psycopg.Connection[Any], str]]:
    """A connection to the stack's database and the name of its events table."""
    container = bootstrap(settings)
    try:
        table = str(container.ledger.recorder.events_table_name)  # type: ignore[attr-defined]
        with psycopg.connect(container.database_url, autocommit=True) as conn:
            yield conn, table
    finally:
        container.close()


def check_projections(settings: Settings, max_lag: int) -> str:
    with ledger_connection(settings) as (conn, table):
        rows = positions.status(conn, table)
        head = positions.max_notification_id(conn, table)
    found = [p for r in rows if (p := positions.problem(r, max_lag))]
    if not rows and head > max_lag:
        found.append(f"no projection has run; the ledger holds {head} events")
    if found:
        raise UnhealthyError("; ".join(found))
    return f"{len(rows)} projections within {max_lag} events of the head"


def check_position(settings: Settings, max_lag: int, what: str, position_sql: str) -> str:
    """`what` (whose position `position_sql` reads) is within `max_lag` of the head."""
    with ledger_connection(settings) as (conn, table):
        try:
            row = conn.execute(position_sql).fetchone()
        except psycopg.errors.UndefinedTable:
            row = None
        position = int(row[0]) if row and row[0] is not None else 0
        lag = positions.max_notification_id(conn, table) - position
    if lag > max_lag:
        raise UnhealthyError(f"{what} is {lag} events behind the ledger (over {max_lag})")
    return f"{what} is {lag} events behind the ledger"


def check_api(settings: Settings) -> str:
    host = "127.0.0.1" if settings.api_host in ("0.0.0.0", "::") else settings.api_host  # noqa: S104
    try:
        answer = httpx.get(f"http://{host}:{settings.api_port}/ready", timeout=5)
    except httpx.HTTPError as error:
        raise UnhealthyError(f"the API does not answer: {error}") from None
    if answer.status_code != 200:
        raise UnhealthyError(f"the API is not ready: {answer.text}")
    return "the API is ready"


def check_redis(settings: Settings, service: Service) -> str:
    client = redis.Redis.from_url(resolve_redis_url(settings), socket_timeout=5)
    try:
        ns = settings.workers_namespace
        if service == Service.SCHEDULER:
            if not client.exists(f"{ns}:scheduler:lock"):
                raise UnhealthyError("no scheduler holds the lock")
            return "a scheduler holds the lock"
        newest = client.zrange(f"{ns}:dramatiq:__heartbeats__", -1, -1, withscores=True)
        seconds, micros = client.time()
        now_ms = seconds * 1000 + micros // 1000
        last_ms = float(newest[0][1]) if newest else 0.0
        if now_ms - last_ms > settings.heartbeat_timeout_ms:
            raise UnhealthyError("no dramatiq worker has fetched within the heartbeat timeout")
        return "a dramatiq worker is fetching"
    finally:
        client.close()


def check_webhooks(settings: Settings) -> str:
    host = settings.webhook_host
    host = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
    try:
        socket.create_connection((host, settings.webhook_port), timeout=5).close()
    except OSError as error:
        raise UnhealthyError(f"the webhook endpoint does not accept connections: {error}") from None
    return "the webhook endpoint accepts connections"


POSITIONS = {
    Service.FEED: (
        "the feed",
        "SELECT notification_id FROM wk_position WHERE name = 'notifications'",
    ),
    Service.AUDIT_CHAIN: ("the audit chain", "SELECT max(notification_id) FROM audit_chain"),
    Service.ACTIVATION_LOGINS: (
        "activation logins",
        "SELECT position FROM identity_feeds WHERE name = 'card_activations'",
    ),
}


def health(
    service: Annotated[Service, typer.Argument(help="the process to check")],
    max_lag: Annotated[
        int | None, typer.Option(help="events behind the head that count as unhealthy")
    ] = None,
) -> None:
    """Check one process of the stack (compose's health checks run this)."""
    settings = Settings.from_env()
    lag = settings.projections_max_lag if max_lag is None else max_lag
    checks: dict[Service, Callable[[], str]] = {
        Service.API: lambda: check_api(settings),
        Service.PROJECTIONS: lambda: check_projections(settings, lag),
        Service.WORKER: lambda: check_redis(settings, Service.WORKER),
        Service.SCHEDULER: lambda: check_redis(settings, Service.SCHEDULER),
        Service.WEBHOOKS: lambda: check_webhooks(settings),
    }
    try:
        if service in POSITIONS:
            what, sql = POSITIONS[service]
            typer.echo(f"ok: {check_position(settings, lag, what, sql)}")
        else:
            typer.echo(f"ok: {checks[service]()}")
    except UnhealthyError as error:
        typer.echo(f"unhealthy: {error}", err=True)
        raise typer.Exit(1) from None
