"""What a scrape reads from the servers, so every API process reports the same figures: the
projections' positions and lag (`projections/metrics.py`), the outbox by status and the
dramatiq queues' depths; then this process's own instruments (`adapters/metrics.py`)."""

from collections.abc import Iterator
from typing import Any

import psycopg
import redis
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from projections import positions
from projections.metrics import Standings

QUEUES = ("notifications", "credentials", "billing")  # workers/actors.py: QUEUES


class OutboxAndQueues(Collector):
    """The outbox's rows by status and each dramatiq queue's waiting messages, at scrape."""

    def __init__(self, outbox: dict[str, int], queues: dict[str, int]) -> None:
        self.outbox, self.queues = outbox, queues

    def collect(self) -> Iterator[Metric]:
        rows = GaugeMetricFamily(
            "infoshkola_outbox_messages", "Outbox rows by status.", labels=["status"]
        )
        for status, count in sorted(self.outbox.items()):
            rows.add_metric([status], count)
        yield rows
        depth = GaugeMetricFamily(
            "infoshkola_queue_depth",
            "Messages waiting in a dramatiq queue (delayed ones included).",
            labels=["queue"],
        )
        for queue, count in sorted(self.queues.items()):
            depth.add_metric([queue], count)
        yield depth


def outbox_by_status(conn: psycopg.Connection[Any]) -> dict[str, int]:
    try:
        rows = conn.execute("SELECT status, count(*) FROM wk_outbox GROUP BY status").fetchall()
    except psycopg.errors.UndefinedTable:
        return {}
    return {str(status): int(count) for status, count in rows}


def queue_depths(client: redis.Redis, namespace: str) -> dict[str, int]:
    prefix = f"{namespace}:dramatiq"
    return {
        queue: int(client.llen(f"{prefix}:{queue}")) + int(client.llen(f"{prefix}:{queue}.DQ"))
        for queue in QUEUES
    }


def scraped(database_url: str, events_table: str, redis_url: str | None, namespace: str) -> bytes:
    """This process's instruments, then what the database and Redis hold now."""
    registry = CollectorRegistry(auto_describe=False)
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as conn:
        registry.register(
            Standings(
                positions.max_notification_id(conn, events_table),
                positions.status(conn, events_table),
            )
        )
        outbox = outbox_by_status(conn)
    queues = {}
    if redis_url:
        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        try:
            queues = queue_depths(client, namespace)
        finally:
            client.close()
    registry.register(OutboxAndQueues(outbox, queues))
    return generate_latest(REGISTRY) + generate_latest(registry)
