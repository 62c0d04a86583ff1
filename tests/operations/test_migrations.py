"""Migrations: a fresh database gets every table; an old one (made by the code from before
the migrations, with rows in it) is taken over and brought forward without losing a row."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest

from adapters import migrations
from adapters.identity.service import Identity
from tests.services import drop_database, fresh_database
from workers.store import WorkerStore

ROOT = Path(__file__).resolve().parents[2]

# What the start-up code created before the outbox carried identity's messages (the oldest
# form of these tables in the project's history), with a row in each.
OLD_SCHEMA = """
CREATE TABLE wk_outbox (
    message_id text PRIMARY KEY, account_id uuid NOT NULL, subject_ref text NOT NULL,
    channel text NOT NULL, kind text NOT NULL, title text NOT NULL, body text NOT NULL,
    status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
    claimed_until timestamptz, sent_at timestamptz, provider_ref text, error text,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE identity_pending_activations (
    account_id uuid PRIMARY KEY, first_seen timestamptz NOT NULL DEFAULT now());
CREATE TABLE personal_data (
    subject_ref text PRIMARY KEY, fields jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now());
INSERT INTO wk_outbox (message_id, account_id, subject_ref, channel, kind, title, body)
    VALUES ('old-1', '6f1a0c52-8a43-4a57-9c59-3d7fb5d4a9a1', 'subject:p', 'sms', 'purchase',
            't', 'Покупка');
INSERT INTO identity_pending_activations (account_id)
    VALUES ('6f1a0c52-8a43-4a57-9c59-3d7fb5d4a9a1');
INSERT INTO personal_data (subject_ref, fields) VALUES ('subject:p', '{"name": "Иванов"}');
"""


@pytest.fixture
def empty_database() -> Iterator[str]:
    url = fresh_database()
    yield url
    drop_database(url)


def columns(conn: psycopg.Connection[Any], table: str) -> set[str]:
    rows = conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = %s", (table,)
    ).fetchall()
    return {r[0] for r in rows}


def test_an_old_database_is_migrated_forward_keeping_its_rows(empty_database: str) -> None:
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute(OLD_SCHEMA)
    assert migrations.current(empty_database) is None

    migrations.upgrade(empty_database)

    assert migrations.current(empty_database) == migrations.head()
    with psycopg.connect(empty_database, autocommit=True) as conn:
        assert {"address", "sensitive", "pickup", "expires_at", "swept_at"} <= columns(
            conn, "wk_outbox"
        )
        assert "notification_id" in columns(conn, "identity_pending_activations")
        assert conn.execute("SELECT message_id, body, pickup FROM wk_outbox").fetchall() == [
            ("old-1", "Покупка", False)
        ]
        assert conn.execute("SELECT fields->>'name' FROM personal_data").fetchone() == ("Иванов",)
        tables = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables").fetchall()}
    assert {"identity_principals", "terminal_credentials", "wk_runs", "blob_access"} <= tables
    # the migrated tables work for today's code: identity's outbox rows have no account
    identity = Identity(empty_database)
    try:
        identity.create_tables()
        store = WorkerStore(empty_database)
        store.create_tables()
        store.close()
    finally:
        identity.close()


def test_the_cli_migrates_a_fresh_database_and_checks_it(empty_database: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": empty_database}
    command = [sys.executable, "-m", "adapters.cli.main", "migrate"]

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, *extra], env=env, capture_output=True, text=True, check=False
        )

    assert run("--check").returncode == 1
    migrated = run()
    assert migrated.returncode == 0, migrated.stderr
    assert f"to {migrations.head()}" in migrated.stdout
    assert run("--check").returncode == 0
    again = run()  # nothing left to do
    assert again.returncode == 0
    assert f"from {migrations.head()} to {migrations.head()}" in again.stdout
    with psycopg.connect(empty_database, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO identity_principals (principal_id, kind, role) VALUES (%s, 's', 'r')",
            (uuid4(),),
        )
