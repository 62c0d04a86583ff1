"""Batched reads of the event store that eventsourcing's recorder does one id at a time.

`versions`: the latest stored version of many aggregates in one query (the primary key
`(originator_id, originator_version)` serves it), for the group commit's version check of
its hot accounts and its tap records (`domain/hot_accounts.py`).

`after`: the head of the notification log and the next notifications of some topics after a
position, in one statement (the library asks for the head and the page in two), for the
terminal API's in-memory tails (`api/deny_list.py`), which look on every admission.
"""

from collections.abc import Collection, Sequence
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.utils import retry
from psycopg import InterfaceError, OperationalError, sql
from psycopg.rows import tuple_row


class EventReads:
    def __init__(self, recorder: PostgresAggregateRecorder) -> None:
        self.recorder = recorder
        self._versions = sql.SQL(
            "SELECT originator_id, max(originator_version) FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) GROUP BY originator_id"
        ).format(
            schema=sql.Identifier(recorder.datastore.schema),
            table=sql.Identifier(recorder.events_table_name),
        )
        self._after = sql.SQL(
            "SELECT head.id, e.notification_id, e.originator_id, e.originator_version,"
            " e.topic, e.state FROM (SELECT max(notification_id) AS id FROM {schema}.{table})"
            " AS head LEFT JOIN LATERAL (SELECT * FROM {schema}.{table}"
            " WHERE notification_id > %s AND notification_id <= head.id AND topic = ANY(%s)"
            " ORDER BY notification_id LIMIT %s) AS e ON true"
        ).format(
            schema=sql.Identifier(recorder.datastore.schema),
            table=sql.Identifier(recorder.events_table_name),
        )

    def after(
        self, position: int, topics: Sequence[str], limit: int
    ) -> tuple[int, list[Notification]]:
        """(the log's head, up to `limit` notifications of `topics` after `position` and not
        after that head), read in one statement; a dead connection is retried as the
        library's own `select_notifications` does (after a PostgreSQL restart)."""
        found: tuple[int, list[Notification]] = self._after_retried(position, topics, limit)
        return found

    @retry((InterfaceError, OperationalError, StoreOperationalError), max_attempts=10, wait=0.2)
    def _after_retried(
        self, position: int, topics: Sequence[str], limit: int
    ) -> tuple[int, list[Notification]]:
        with self.recorder.datastore.get_connection() as conn:
            cursor = conn.cursor(row_factory=tuple_row)
            rows = cursor.execute(self._after, (position, list(topics), limit)).fetchall()
        head = int(rows[0][0] or 0) if rows else 0
        found = [
            Notification(
                id=row[1], originator_id=row[2], originator_version=row[3], topic=row[4],
                state=bytes(row[5]),
            )
            for row in rows
            if row[1] is not None
        ]  # fmt: skip
        return head, found

    def versions(self, aggregate_ids: Collection[UUID]) -> dict[UUID, int]:
        if not aggregate_ids:
            return {}
        with self.recorder.datastore.get_connection() as conn:
            cursor = conn.cursor(row_factory=tuple_row)
            rows = cursor.execute(self._versions, (list(aggregate_ids),)).fetchall()
        return {UUID(str(row[0])): int(row[1]) for row in rows}
