"""The access log: every read of a person's data or photo by staff or a terminal (152-FZ).

One row per read: when (the process's one clock), who (`terminal:<id>`, `school_admin:<id>`,
`operator:<name>` …), whose (the account and/or the subject reference) and the operation
(`tap.pupil`, `photo.terminal`, `photo.staff`, `subject_access` …). It holds references
only, never a name, a phone or a photo's hash, so it outlives an erasure and the auditor may
read it whole (`accessLog` in GraphQL, `infoshkola privacy access-log`).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg_pool import ConnectionPool

from adapters.postgres import checked_pool

DDL = (
    "CREATE TABLE IF NOT EXISTS privacy_access_log ("
    " entry_id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL,"
    " account_id uuid, subject_ref text, operation text NOT NULL)",
    "CREATE INDEX IF NOT EXISTS privacy_access_log_account ON privacy_access_log (account_id)",
    "CREATE INDEX IF NOT EXISTS privacy_access_log_subject ON privacy_access_log (subject_ref)",
)


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    account_id: UUID | None
    subject_ref: str | None
    operation: str


class AccessLog:
    def __init__(self, database_url: str, clock: Callable[[], datetime]) -> None:
        self.clock = clock
        self.pool: ConnectionPool[Any] = checked_pool(database_url, max_size=2, min_size=0)

    def close(self) -> None:
        self.pool.close()

    def create_tables(self) -> None:
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('privacy.ddl', 0))")
            for ddl in DDL:
                conn.execute(ddl)

    def record(
        self,
        actor: str,
        operation: str,
        account_id: UUID | None = None,
        subject_refs: Sequence[str] = (),
    ) -> None:
        """One row per subject read (one row for the account when no subject is named)."""
        self.record_all([(actor, operation, account_id, subject_refs)])

    def record_all(self, reads: Sequence[tuple[str, str, UUID | None, Sequence[str]]]) -> None:
        """Many `record`s (actor, operation, account, subjects) in one statement."""
        at = self.clock()
        rows = [
            (actor, account_id, ref, operation)
            for actor, operation, account_id, refs in reads
            for ref in ([*refs] if refs else [None])
        ]
        if not rows:
            return
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO privacy_access_log (at, actor, account_id, subject_ref, operation)"
                " SELECT %s, * FROM unnest(%s::text[], %s::uuid[], %s::text[], %s::text[])",
                (at, *(list(column) for column in zip(*rows, strict=True))),
            )

    def photo_read(self, actor: str, operation: str, digest: str) -> None:
        """A photo read by its hash: logged against the subjects whose photo it is."""
        with self.pool.connection() as conn:
            conn.execute(
                "INSERT INTO privacy_access_log (at, actor, account_id, subject_ref, operation)"
                " SELECT %s, %s, NULL, subject_ref, %s FROM personal_data"
                " WHERE fields->>'photo' = %s",
                (self.clock(), actor, operation, digest),
            )

    def entries(
        self, account_id: UUID | None = None, subject_refs: Sequence[str] = (), limit: int = 1000
    ) -> list[Entry]:
        """Reads of an account or its subjects, newest first (everything when neither given)."""
        where, args = "", []
        if account_id is not None or subject_refs:
            where = " WHERE account_id = %s OR subject_ref = ANY(%s)"
            args = [account_id, list(subject_refs)]
        with self.pool.connection() as conn:
            rows = conn.execute(
                "SELECT at, actor, account_id, subject_ref, operation FROM privacy_access_log"  # noqa: S608
                + where
                + " ORDER BY at DESC, entry_id DESC LIMIT %s",
                [*args, limit],
            ).fetchall()
        return [Entry(*r) for r in rows]
