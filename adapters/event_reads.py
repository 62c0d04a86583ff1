"""Batched reads of the event store that eventsourcing's recorder does one id at a time.

`versions`: the latest stored version of many aggregates in one query (the primary key
`(originator_id, originator_version)` serves it), for the group commit's version check of
its hot accounts and its tap records (`domain/hot_accounts.py`).

`stored`: the latest snapshot of some aggregates and every event after it (of the others,
every event) in one statement, where the library's `Repository.get` asks for one aggregate's
snapshot and then its events; the group commit loads its cold accounts, schools, tap and index
records with it (`domain/lookups.py`).

`after`: the head of the notification log and the next notifications of some topics after a
position, in one statement (the library asks for the head and the page in two), for the
terminal API's in-memory tails (`api/deny_list.py`), which look on every admission.
"""

from collections.abc import Collection, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification, StoredEvent
from eventsourcing.persistence import OperationalError as StoreOperationalError
from eventsourcing.postgres import PostgresAggregateRecorder
from eventsourcing.utils import retry
from psycopg import InterfaceError, OperationalError, sql
from psycopg.rows import tuple_row

# Per aggregate: its latest snapshot (None: none asked for or none taken), then its events
# after that snapshot, in version order.
Stored = dict[UUID, tuple[StoredEvent | None, list[StoredEvent]]]


class EventReads:
    def __init__(
        self,
        recorder: PostgresAggregateRecorder,
        snapshots: PostgresAggregateRecorder | None = None,
    ) -> None:
        self.recorder = recorder
        self.snapshots = snapshots
        self._versions = self._statement(
            "SELECT originator_id, max(originator_version) FROM {schema}.{table} "
            "WHERE originator_id = ANY(%s) GROUP BY originator_id"
        )
        # The snapshot table's primary key (originator_id, originator_version) finds each
        # latest snapshot, the events table's finds the events after it.
        self._stored = self._statement(
            "WITH s AS (SELECT DISTINCT ON (originator_id) originator_id, originator_version,"
            " topic, state FROM {schema}.{snapshots} WHERE originator_id = ANY(%s)"
            " ORDER BY originator_id, originator_version DESC)"
            " SELECT true, originator_id, originator_version, topic, state FROM s"
            " UNION ALL SELECT false, e.originator_id, e.originator_version, e.topic, e.state"
            " FROM {schema}.{table} AS e LEFT JOIN s ON s.originator_id = e.originator_id"
            " WHERE e.originator_id = ANY(%s)"
            " AND e.originator_version > coalesce(s.originator_version, 0)"
            " ORDER BY 1 DESC, 3"
        )
        self._after = self._statement(
            "SELECT head.id, e.notification_id, e.originator_id, e.originator_version,"
            " e.topic, e.state FROM (SELECT max(notification_id) AS id FROM {schema}.{table})"
            " AS head LEFT JOIN LATERAL (SELECT * FROM {schema}.{table}"
            " WHERE notification_id > %s AND notification_id <= head.id AND topic = ANY(%s)"
            " ORDER BY notification_id LIMIT %s) AS e ON true"
        )

    def _statement(self, text: str) -> sql.Composed:
        """`text` with the schema, the events table and the snapshots table named."""
        snapshots = self.snapshots or self.recorder
        return sql.SQL(text).format(
            schema=sql.Identifier(self.recorder.datastore.schema),
            table=sql.Identifier(self.recorder.events_table_name),
            snapshots=sql.Identifier(snapshots.events_table_name),
        )

    def after(
        self, position: int, topics: Sequence[str], limit: int
    ) -> tuple[int, list[Notification]]:
        """(the log's head, up to `limit` notifications of `topics` after `position` and not
        after that head), read in one statement; a dead connection is retried as the
        library's own `select_notifications` does (after a PostgreSQL restart)."""
        rows = self._rows(self._after, (position, list(topics), limit))
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
        rows = self._rows(self._versions, (list(aggregate_ids),))
        return {UUID(str(row[0])): int(row[1]) for row in rows}

    def stored(self, snapshotted: Collection[UUID], aggregate_ids: Collection[UUID]) -> Stored:
        """What `Repository.get` reads for each of `aggregate_ids`, in one statement: for those
        `snapshotted` (a subset) the latest snapshot and the events after it, for the others
        all their events. An aggregate with nothing stored is absent."""
        if not aggregate_ids:
            return {}
        asked = list(snapshotted) if self.snapshots is not None else []
        found: Stored = {}
        for is_snapshot, originator_id, version, topic, state in self._rows(
            self._stored, (asked, list(aggregate_ids))
        ):
            aggregate_id = UUID(str(originator_id))
            stored = StoredEvent(aggregate_id, int(version), topic, bytes(state))
            events = found.setdefault(aggregate_id, (None, []))[1]
            if is_snapshot:
                found[aggregate_id] = (stored, events)
            else:
                events.append(stored)
        return found

    def _rows(self, statement: sql.Composed, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        """The statement's rows; a dead connection is retried as the library's own reads are
        (after a PostgreSQL restart)."""
        rows: list[tuple[Any, ...]] = self._rows_retried(statement, params)
        return rows

    @retry((InterfaceError, OperationalError, StoreOperationalError), max_attempts=10, wait=0.2)
    def _rows_retried(
        self, statement: sql.Composed, params: tuple[Any, ...]
    ) -> list[tuple[Any, ...]]:
        with self.recorder.datastore.get_connection() as conn:
            cursor = conn.cursor(row_factory=tuple_row)
            return cursor.execute(statement, params).fetchall()
