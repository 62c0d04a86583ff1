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

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from adapters.postgres import checked_pool

DDL = (
    "CREATE TABLE IF NOT EXISTS privacy_access_log ("
    " entry_id bigserial PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL,"
    " account_id uuid, subject_ref text, operation text NOT NULL)",
    # newest first per account and per subject: `page`'s keyset scans (and `entries`')
    "CREATE INDEX IF NOT EXISTS privacy_access_log_account_at"
    " ON privacy_access_log (account_id, at DESC, entry_id DESC)",
    "CREATE INDEX IF NOT EXISTS privacy_access_log_subject_at"
    " ON privacy_access_log (subject_ref, at DESC, entry_id DESC)",
    "DROP INDEX IF EXISTS privacy_access_log_account",  # the single-column ones they replace
    "DROP INDEX IF EXISTS privacy_access_log_subject",
)
COLUMNS = "entry_id, at, actor, account_id, subject_ref, operation"
# Reads as four arrays (actor, account, subject, operation), one row each, in order, at %(at)s.
INSERT_READS = (
    "INSERT INTO privacy_access_log (at, actor, account_id, subject_ref, operation)"
    " SELECT %(at)s, r.actor, r.account_id, r.subject_ref, r.operation"
    " FROM unnest(%(actors)s::text[], %(accounts)s::uuid[], %(subjects)s::text[],"
    " %(operations)s::text[]) WITH ORDINALITY AS r(actor, account_id, subject_ref, operation, n)"
)


def keyset_page(past: str) -> str:
    """A page of an account's reads and its subjects' newest first, `past` a key: the union
    of two index range scans (one per index above), each at most a page long."""
    newest = " ORDER BY at DESC, entry_id DESC LIMIT %(n)s"
    half = f"(SELECT {COLUMNS} FROM privacy_access_log WHERE {{}}{past}{newest})"  # noqa: S608
    account, subject = (
        half.format("account_id = %(account)s"),
        half.format("subject_ref = ANY(%(refs)s)"),
    )
    return f"SELECT {COLUMNS} FROM ({account} UNION {subject}) page{newest}"  # noqa: S608


PAGES = {False: keyset_page(""), True: keyset_page(" AND (at, entry_id) < (%(at)s, %(entry)s)")}


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
        actors, accounts, subjects, operations = (list(c) for c in zip(*rows, strict=True))
        with self.pool.connection() as conn:
            conn.execute(
                INSERT_READS + " ORDER BY r.n",
                {"at": at, "actors": actors, "accounts": accounts, "subjects": subjects,
                 "operations": operations},
            )  # fmt: skip

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

    def page(
        self,
        account_id: UUID,
        subject_refs: Sequence[str],
        after: tuple[datetime, int] | None,
        first: int,
    ) -> list[dict[str, Any]]:
        """Up to `first + 1` reads of the account or its subjects, newest first, past the key
        `after` (when, entry): a keyset page, each half an index range scan."""
        at, entry = after or (None, None)
        args = {"account": account_id, "refs": list(subject_refs), "at": at, "entry": entry,
                "n": first + 1}  # fmt: skip
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            found: list[dict[str, Any]] = cur.execute(PAGES[after is not None], args).fetchall()
        return found

    def entry(
        self, entry_id: int, account_id: UUID, subject_refs: Sequence[str]
    ) -> dict[str, Any] | None:
        """The read `entry_id` if it is one of the account's or its subjects'."""
        with self.pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row: dict[str, Any] | None = cur.execute(
                f"SELECT {COLUMNS} FROM privacy_access_log WHERE entry_id = %s"  # noqa: S608
                " AND (account_id = %s OR subject_ref = ANY(%s))",
                (entry_id, account_id, list(subject_refs)),
            ).fetchone()
        return row
