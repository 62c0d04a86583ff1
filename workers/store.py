"""The workers' own PostgreSQL tables: feed position, outbox, directory, scheduler runs.

The feed writes outbox rows, directory rows and its position in one transaction. A message
is claimed for sending with a lease and marked sent once, by its primary key, so a second
enqueue or a redelivery finds it taken or done.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from adapters.postgres import checked_pool

MAX_ATTEMPTS = 20

DDL = """
CREATE TABLE IF NOT EXISTS wk_position (
    name text PRIMARY KEY, notification_id bigint NOT NULL);
CREATE TABLE IF NOT EXISTS wk_outbox (
    message_id text PRIMARY KEY, account_id uuid NOT NULL, subject_ref text NOT NULL,
    channel text NOT NULL, kind text NOT NULL, title text NOT NULL, body text NOT NULL,
    status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
    claimed_until timestamptz, sent_at timestamptz, provider_ref text, error text,
    swept_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS wk_outbox_open ON wk_outbox (created_at)
    WHERE status IN ('pending', 'sending');
CREATE TABLE IF NOT EXISTS wk_schools (
    school_id uuid PRIMARY KEY, time_zone text NOT NULL, first_period text NOT NULL);
CREATE TABLE IF NOT EXISTS wk_accounts (
    account_id uuid PRIMARY KEY, school_id uuid NOT NULL, first_period text NOT NULL,
    regular bigint NOT NULL DEFAULT 0, below boolean NOT NULL DEFAULT false);
CREATE TABLE IF NOT EXISTS wk_autopay (
    schedule_id uuid PRIMARY KEY, account_id uuid NOT NULL, kind text NOT NULL,
    day int NOT NULL, below bigint NOT NULL, active boolean NOT NULL, first_period text NOT NULL);
CREATE TABLE IF NOT EXISTS wk_runs (
    job text NOT NULL, key text NOT NULL, period text NOT NULL,
    done_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (job, key, period));
"""


@dataclass(frozen=True)
class Outgoing:
    message_id: str
    account_id: UUID
    subject_ref: str
    channel: str
    kind: str
    title: str
    body: str


class WorkerStore:
    def __init__(self, database_url: str, max_size: int = 8) -> None:
        self.pool = checked_pool(database_url, max_size=max_size, open=False)
        self._opened = False

    def open(self) -> "WorkerStore":
        if not self._opened:
            self.pool.open(wait=True)
            self._opened = True
        return self

    def close(self) -> None:
        if self._opened:
            self.pool.close()
            self._opened = False

    def create_tables(self) -> None:
        with self.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(hashtext('wk_ddl'))")
            try:
                conn.execute(DDL)
            finally:
                conn.execute("SELECT pg_advisory_unlock(hashtext('wk_ddl'))")

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

    @staticmethod
    def add_message(conn: psycopg.Connection[Any], m: Outgoing) -> bool:
        """Queue a message once; False when this (event, channel) already has one."""
        row = conn.execute(
            "INSERT INTO wk_outbox (message_id, account_id, subject_ref, channel, kind, title, "
            "body) VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
            (m.message_id, m.account_id, m.subject_ref, m.channel, m.kind, m.title, m.body),
        ).fetchone()
        return row is not None

    # Sending

    def claim(self, message_id: str, lease_seconds: float) -> Outgoing | None:
        """Take a pending message (or one whose sender's lease ran out) for sending."""
        with self.connection() as conn:
            row = conn.execute(
                "UPDATE wk_outbox SET status = 'sending', attempts = attempts + 1, "
                "claimed_until = now() + make_interval(secs => %s) "
                "WHERE message_id = %s AND (status = 'pending' "
                "OR (status = 'sending' AND claimed_until < now())) "
                "RETURNING message_id, account_id, subject_ref, channel, kind, title, body",
                (lease_seconds, message_id),
            ).fetchone()
        return Outgoing(*row) if row else None

    def finish(self, message_id: str, status: str, provider_ref: str = "", error: str = "") -> None:
        with self.connection() as conn:
            conn.execute(
                "UPDATE wk_outbox SET status = %s, provider_ref = %s, error = %s, "
                "sent_at = CASE WHEN %s = 'sent' THEN now() END, claimed_until = NULL "
                "WHERE message_id = %s AND status = 'sending'",
                (status, provider_ref, error[:500], status, message_id),
            )

    def release(self, message_id: str, error: str) -> None:
        """Sending failed: try again later, or give up after MAX_ATTEMPTS (status 'failed')."""
        with self.connection() as conn:
            conn.execute(
                "UPDATE wk_outbox SET claimed_until = NULL, error = %s, status = "
                "CASE WHEN attempts >= %s THEN 'failed' ELSE 'pending' END "
                "WHERE message_id = %s AND status = 'sending'",
                (error[:500], MAX_ATTEMPTS, message_id),
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
