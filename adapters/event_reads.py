"""Batched reads of the event store that eventsourcing's recorder does one id at a time.

`versions`: the latest stored version of many aggregates in one query (the primary key
`(originator_id, originator_version)` serves it), for the group commit's version check of
its hot accounts and its tap records (`domain/hot_accounts.py`).
"""

from collections.abc import Collection
from uuid import UUID

from eventsourcing.postgres import PostgresAggregateRecorder
from psycopg import sql
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

    def versions(self, aggregate_ids: Collection[UUID]) -> dict[UUID, int]:
        if not aggregate_ids:
            return {}
        with self.recorder.datastore.get_connection() as conn:
            cursor = conn.cursor(row_factory=tuple_row)
            rows = cursor.execute(self._versions, (list(aggregate_ids),)).fetchall()
        return {UUID(str(row[0])): int(row[1]) for row in rows}
