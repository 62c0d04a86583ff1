"""`infoshkola workers`: dramatiq worker processes, the notification feed, ONE scheduler and
the acquiring webhook endpoint, each a child process supervised like `infoshkola up` does.

`--only worker|feed|scheduler|webhooks` runs one of them in this process (what the
supervisor starts, and what tests start to kill one with -9). The workers send SMS, push and
e-mail: `all` and `worker` check those settings first and stop with one line if one cannot work.
"""

import os
import signal
import sys
import threading
from enum import StrEnum

import typer

from adapters.bootstrap import build_clock, build_ledger, resolve_database_url, resolve_redis_url
from adapters.gateways import GatewaySettingError
from adapters.logs import configure_logging
from adapters.people import PeopleStore
from adapters.settings import Settings
from workers.config import WorkerSettings


class Part(StrEnum):
    ALL = "all"
    WORKER = "worker"
    FEED = "feed"
    SCHEDULER = "scheduler"
    WEBHOOKS = "webhooks"


def workers(
    only: Part = typer.Option(Part.ALL, help="run one part in this process"),  # noqa: B008
    processes: int = typer.Option(2, help="dramatiq worker processes"),
    threads: int = typer.Option(4, help="threads per worker process"),
) -> None:
    """Start the workers: notifications, monthly fees, autopayments, low-balance alerts."""
    configure_logging()
    if only in (Part.ALL, Part.WORKER):
        require_gateways(WorkerSettings.from_env(os.environ))
    settings = Settings.from_env()
    env = {
        **os.environ,
        "DATABASE_URL": resolve_database_url(settings),
        "REDIS_URL": resolve_redis_url(settings),
    }
    os.environ.update(env)
    if only == Part.ALL:
        from adapters.cli.up import supervise

        parts = [Part.WORKER, Part.FEED, Part.SCHEDULER, Part.WEBHOOKS]
        supervise(
            {
                p.value: ["workers", "--only", p.value, "--processes", str(processes),
                          "--threads", str(threads)]
                for p in parts
            },
            env,
        )  # fmt: skip
    elif only == Part.WORKER:
        from workers.actors import QUEUES

        args = [sys.executable, "-m", "dramatiq", "workers.main", "--processes", str(processes),
                "--threads", str(threads), "--queues", *QUEUES]  # fmt: skip
        os.execv(sys.executable, args)  # noqa: S606 - replace this process with dramatiq
    else:
        run_part(only, settings, env)


def require_gateways(settings: WorkerSettings) -> None:
    """The worker processes send: refuse to start them (one line, exit 2) when a gateway
    setting is missing or cannot work, rather than fail every send."""
    try:
        settings.require_gateways()
    except GatewaySettingError as error:
        typer.echo(f"infoshkola workers: {error}", err=True)
        raise typer.Exit(2) from None


def run_part(part: Part, settings: Settings, env: dict[str, str]) -> None:
    from workers.actors import declare
    from workers.broker import build_broker
    from workers.store import WorkerStore

    ws = WorkerSettings.from_env(env)
    broker = build_broker(env["REDIS_URL"], ws)
    actors = declare(broker)
    store = WorkerStore(env["DATABASE_URL"])
    store.create_tables()
    PeopleStore(env["DATABASE_URL"]).create_tables()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if part == Part.FEED:
        from workers.feed import Feed

        ledger = build_ledger(settings, env["DATABASE_URL"])
        Feed(ledger, store, actors.send).run_forever(
            stop, ws.feed_poll_seconds, ws.send_lease_seconds
        )
    elif part == Part.SCHEDULER:
        import redis

        from workers.scheduler import Scheduler, SingleInstanceLock

        client = redis.Redis.from_url(env["REDIS_URL"])
        ttl = int(max(3 * ws.scheduler_tick_seconds, 5) * 1000)
        lock = SingleInstanceLock(client, f"{ws.namespace}:scheduler:lock", ttl)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        Scheduler(store, actors, ws, lock, build_clock(settings)).run_forever()
    elif part == Part.WEBHOOKS:
        from workers.webhooks import webhook_server

        def settle(payment_id: str, status: str, reason: str) -> None:
            actors.settle_payment.send(payment_id, status, reason)

        server = webhook_server(
            ws.webhook_host, ws.webhook_port, ws.acquiring_webhook_secret, settle
        )

        def shut_down_on_stop() -> None:
            stop.wait()
            server.shutdown()

        threading.Thread(target=shut_down_on_stop, daemon=True).start()
        typer.echo(f"acquiring webhooks on http://{ws.webhook_host}:{server.server_port}")
        server.serve_forever()
