"""The workers' own PostgreSQL tables: feed position, outbox, directory, scheduler runs.

The feed writes outbox rows, directory rows and its position in one transaction; identity
writes its own rows (`adapters/outbox.py`). A message is claimed for sending with a lease and
marked sent once, by its primary key, so a second enqueue or a redelivery finds it taken or
done. A final status empties a sensitive row's text and address (`SCRUB`).
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg

from adapters import migrations
from adapters.outbox import SCRUB, Outgoing, add_message
from adapters.postgres import checked_pool

MAX_ATTEMPTS = 20


class WorkerStore:
    def __init__(self, database_url: str, max_size: int = 8) -> None:
        self.database_url = database_url
        self.pool = checked_pool(database_url, max_size=max_size, open=False)
        self._opened = False
        self._opening = threading.Lock()

    def open(self) -> "WorkerStore":
        """Open the pool once, whichever of a worker's threads asks first: two threads opening
        it together failed their jobs (psycopg_pool's `assert not self._pool_full_event`),
        which dramatiq then retried after a backoff."""
        with self._opening:
            if not self._opened:
                self.pool.open(wait=True)
                self._opened = True
        return self

    def close(self) -> None:
        if self._opened:
            self.pool.close()
            self._opened = False

    def create_tables(self) -> None:
        migrations.upgrade(self.database_url)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        self.open()
        with self.pool.connection() as conn:
            yield conn

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with self.connection() as conn, conn.transaction():
            yield conn

    # The feed (inside its transaction)

    @staticmethod
    def lock_position(conn: psycopg.Connection[Any], name: str) -> int:
        conn.execute(
            "INSERT INTO wk_position (name, notification_id) VALUES (%s, 0) ON CONFLICT DO NOTHING",
            (name,),
        )
        row = conn.execute(
            "SELECT notification_id FROM wk_position WHERE name = %s FOR UPDATE", (name,)
        ).fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    def set_position(conn: psycopg.Connection[Any], name: str, notification_id: int) -> None:
        conn.execute(
            "UPDATE wk_position SET notification_id = %s WHERE name = %s", (notification_id, name)
        )

    add_message = staticmethod(add_message)

    # Sending

    def claim(self, message_id: str, lease_seconds: float) -> Outgoing | None:
        """Take a pending message (or one whose sender's lease ran out) for sending."""
        with self.connection() as conn:
            row = conn.execute(
                "UPDATE wk_outbox SET status = 'sending', attempts = attempts + 1, "
                "claimed_until = now() + make_interval(secs => %s) "
                "WHERE message_id = %s AND (status = 'pending' "
                "OR (status = 'sending' AND claimed_until < now())) "
                "AND (expires_at IS NULL OR expires_at > now()) "
                "RETURNING message_id, account_id, subject_ref, channel, kind, title, body, "
                "address",
                (lease_seconds, message_id),
            ).fetchone()
        return Outgoing(*row) if row else None

    def finish(self, message_id: str, status: str, provider_ref: str = "", error: str = "") -> None:
        with self.connection() as conn:
            conn.execute(
                f"UPDATE wk_outbox SET {SCRUB}, status = %s, provider_ref = %s, "  # noqa: S608
                "error = %s, sent_at = CASE WHEN %s = 'sent' THEN now() END, claimed_until = NULL "
                "WHERE message_id = %s AND status = 'sending'",
                (status, provider_ref, error[:500], status, message_id),
            )

    def release(self, message_id: str, error: str) -> None:
        """Sending failed: try again later, or give up after MAX_ATTEMPTS (status 'failed',
        a sensitive row emptied in the same UPDATE)."""
        with self.connection() as conn:
            conn.execute(
                "UPDATE wk_outbox SET claimed_until = NULL, error = %s, status = "
                "CASE WHEN attempts >= %s THEN 'failed' ELSE 'pending' END, "
                "body = CASE WHEN sensitive AND attempts >= %s THEN '' ELSE body END, "
                "address = CASE WHEN sensitive AND attempts >= %s THEN NULL ELSE address END "
                "WHERE message_id = %s AND status = 'sending'",
                (error[:500], MAX_ATTEMPTS, MAX_ATTEMPTS, MAX_ATTEMPTS, message_id),
            )

    def stale_messages(self, older_than_seconds: float) -> list[str]:
        """Messages nobody finished: lost between commit and enqueue, or their sender died.

        Each is returned at most once per `older_than_seconds`, so a message waiting out
        its retries is not enqueued again and again.
        """
        with self.connection() as conn:
            rows = conn.execute(
                "UPDATE wk_outbox SET swept_at = now() WHERE message_id IN ("
                " SELECT message_id FROM wk_outbox WHERE status IN ('pending', 'sending')"
                " AND coalesce(swept_at, created_at) < now() - make_interval(secs => %s)"
                " AND (status = 'pending' OR claimed_until < now())"
                " ORDER BY created_at LIMIT 1000) RETURNING message_id",
                (older_than_seconds,),
            ).fetchall()
        return [r[0] for r in rows]

    def pick_up(self) -> list[str]:
        """Rows written outside the feed (identity's), taken once for the feed to enqueue.

        A row lost between this and its enqueue is found by `stale_messages` later."""
        with self.connection() as conn:
            rows = conn.execute(
                "UPDATE wk_outbox SET pickup = false WHERE message_id IN ("
                " SELECT message_id FROM wk_outbox WHERE pickup ORDER BY created_at LIMIT 1000"
                " FOR UPDATE SKIP LOCKED) RETURNING message_id"
            ).fetchall()
        return [r[0] for r in rows]

    def expire(self) -> int:
        """Messages past their `expires_at` (a reset code's lifetime) are never sent: emptied."""
        with self.connection() as conn:
            done = conn.execute(
                f"UPDATE wk_outbox SET status = 'expired', pickup = false, {SCRUB} "  # noqa: S608
                "WHERE expires_at <= now() AND (status = 'pending'"
                " OR (status = 'sending' AND claimed_until < now()))"
            )
            return done.rowcount

    def add_standalone_message(self, m: Outgoing) -> bool:
        with self.connection() as conn:
            return self.add_message(conn, m)

    # Directory and scheduler runs

    def schools(self) -> list[tuple[UUID, str, str]]:
        with self.connection() as conn:
            rows = conn.execute("SELECT school_id, time_zone, first_period FROM wk_schools")
            return [tuple(r) for r in rows.fetchall()]

    def accounts_of(self, school_id: UUID, period: str) -> list[UUID]:
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT account_id FROM wk_accounts WHERE school_id = %s AND first_period <= %s "
                "ORDER BY account_id",
                (school_id, period),
            ).fetchall()
        return [r[0] for r in rows]

    def autopayments(self) -> list[tuple[UUID, UUID, str, int, str, str]]:
        """Active schedules: (schedule, account, kind, day, first period, school time zone)."""
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT p.schedule_id, p.account_id, p.kind, p.day, p.first_period, s.time_zone "
                "FROM wk_autopay p JOIN wk_accounts a USING (account_id) "
                "JOIN wk_schools s USING (school_id) WHERE p.active"
            ).fetchall()
        return [tuple(r) for r in rows]

    def run_done(self, job: str, key: str, period: str) -> bool:
        with self.connection() as conn:
            row = conn.execute(
                "SELECT 1 FROM wk_runs WHERE job = %s AND key = %s AND period = %s",
                (job, key, period),
            ).fetchone()
        return row is not None

    def mark_run(self, job: str, key: str, period: str) -> None:
        with self.connection() as conn:
            conn.execute(
                "INSERT INTO wk_runs (job, key, period) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (job, key, period),
            )

    def runs(self, job: str) -> list[tuple[str, str]]:
        with self.connection() as conn:
            rows = conn.execute(
                "SELECT key, period FROM wk_runs WHERE job = %s ORDER BY key, period", (job,)
            ).fetchall()
        return [(r[0], r[1]) for r in rows]
