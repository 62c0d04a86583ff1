"""Projection positions, lag and errors as Prometheus metrics, read from the database.

`render` reads `projection_positions` and the newest notification id at scrape time, so
every process (the API's `/metrics`, `infoshkola projections metrics`) reports the same
figures the runner stored, whichever process runs the projections. Alert on
`infoshkola_projection_error == 1` and on a lag that keeps growing.
"""

from collections.abc import Iterator, Sequence
from typing import Any

import psycopg
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from projections import positions

CONTENT_TYPE = CONTENT_TYPE_LATEST

PER_PROJECTION = {  # one gauge per projection each: (metric, help)
    "position": (
        "infoshkola_projection_position",
        "The last notification id the projection has applied.",
    ),
    "lag": (
        "infoshkola_projection_lag_events",
        "Notifications recorded that the projection has not applied yet.",
    ),
    "error": (
        "infoshkola_projection_error",
        "1 while the projection's last attempt failed (see `projections status`).",
    ),
    "failed": (
        "infoshkola_projection_failed_event",
        "The notification id of the event the projection fails on (0: none).",
    ),
    "updated": (
        "infoshkola_projection_last_move_timestamp_seconds",
        "When the projection last stored a new position (Unix time).",
    ),
}


class Standings(Collector):
    """One scrape's snapshot of every projection's row in `projection_positions`."""

    def __init__(self, head: int, rows: Sequence[dict[str, Any]]) -> None:
        self.head, self.rows = head, rows

    def collect(self) -> Iterator[Metric]:
        yield GaugeMetricFamily(
            "infoshkola_ledger_head", "The newest notification id in the ledger.", self.head
        )
        families = {
            key: GaugeMetricFamily(name, text, labels=["projection"])
            for key, (name, text) in PER_PROJECTION.items()
        }
        for row in self.rows:
            name = [row["name"]]
            families["position"].add_metric(name, row["position"])
            families["lag"].add_metric(name, row["lag"])
            families["error"].add_metric(name, 1 if row["last_error"] else 0)
            families["failed"].add_metric(name, row["failed_position"] or 0)
            families["updated"].add_metric(name, row["updated_at"].timestamp())
        yield from families.values()


def render(conn: psycopg.Connection[Any], events_table: str) -> bytes:
    """The metrics in Prometheus' text format (serve with `CONTENT_TYPE`)."""
    head = positions.max_notification_id(conn, events_table)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(Standings(head, positions.status(conn, events_table)))
    return generate_latest(registry)
