"""Personal data (152-FZ) kept beside the event store, never inside it.

Events carry only subject references ("subject:<uuid>"); names, phones, e-mails and photo
hashes live here, one row per data subject, so erasing a person is one delete while every
balance still replays from the events.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from adapters import migrations
from adapters.postgres import checked_pool


class PeopleStore:
    """Connections come from a small pool opened on first use (a terminal's answer reads a
    pupil's name on every tap: a new connection each time cost more than the query)."""

    def __init__(self, database_url: str, pool_size: int = 4) -> None:
        self.database_url = database_url
        self.pool_size = pool_size
        self._pool: ConnectionPool[Any] | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection[Any]]:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = checked_pool(self.database_url, max_size=self.pool_size)
        with self._pool.connection() as conn:
            yield conn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def create_tables(self) -> None:
        migrations.upgrade(self.database_url)

    def put(self, subject_ref: str, **fields: str) -> None:
        """Set (merge) fields of a subject: name, class, phone, email, photo …"""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO personal_data (subject_ref, fields) VALUES (%s, %s) "
                "ON CONFLICT (subject_ref) DO UPDATE "
                "SET fields = personal_data.fields || EXCLUDED.fields, updated_at = now()",
                (subject_ref, Jsonb(fields)),
            )

    def get(self, subject_ref: str) -> dict[str, str] | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT fields FROM personal_data WHERE subject_ref = %s", (subject_ref,)
            ).fetchone()
        return dict(row[0]) if row else None

    def get_many(self, subject_refs: list[str]) -> dict[str, dict[str, str]]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT subject_ref, fields FROM personal_data WHERE subject_ref = ANY(%s)",
                (subject_refs,),
            ).fetchall()
        return {ref: dict(fields) for ref, fields in rows}

    def drop_fields(self, subject_refs: list[str], fields: list[str]) -> int:
        """Destroy some fields (contacts, a photo) of subjects, keeping the rest."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE personal_data SET fields = fields - %s::text[], updated_at = now()"
                " WHERE subject_ref = ANY(%s) AND fields ?| %s::text[]",
                (fields, subject_refs, fields),
            )
            return cur.rowcount

    def erase(self, subject_ref: str) -> bool:
        """Destroy a subject's personal data; True when there was something to destroy."""
        with self._connect() as conn:
            cur = conn.execute("DELETE FROM personal_data WHERE subject_ref = %s", (subject_ref,))
            return cur.rowcount > 0
