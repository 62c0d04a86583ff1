"""Baseline: the tables that were created at start-up before there were migrations.

Every statement is idempotent, so a database made by that older code is taken over as it is.

Revision ID: 0001
Revises:
"""

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

IDENTITY = """
CREATE TABLE IF NOT EXISTS identity_principals (
    principal_id uuid PRIMARY KEY,
    kind text NOT NULL,              -- parent | representative | staff
    role text NOT NULL,              -- parent | representative | canteen_operator | ...
    phone text,                      -- where SMS credentials go (parents, representatives)
    password_hash text,
    school_ids uuid[] NOT NULL DEFAULT '{}',
    all_schools boolean NOT NULL DEFAULT false,
    disabled boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS identity_principals_phone_idx ON identity_principals (kind, phone);
CREATE TABLE IF NOT EXISTS identity_names (
    name text PRIMARY KEY,           -- a contract number, a phone or a staff username
    principal_id uuid NOT NULL REFERENCES identity_principals ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS identity_grants (
    principal_id uuid NOT NULL REFERENCES identity_principals ON DELETE CASCADE,
    account_id uuid NOT NULL,
    contract_number text NOT NULL,
    access text NOT NULL,            -- manage | read
    PRIMARY KEY (principal_id, account_id));
CREATE TABLE IF NOT EXISTS identity_sessions (
    session_id uuid PRIMARY KEY,
    principal_id uuid NOT NULL REFERENCES identity_principals ON DELETE CASCADE,
    refresh_hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz);
CREATE INDEX IF NOT EXISTS identity_sessions_principal_idx ON identity_sessions (principal_id);
CREATE TABLE IF NOT EXISTS identity_reset_codes (
    principal_id uuid PRIMARY KEY REFERENCES identity_principals ON DELETE CASCADE,
    code_hash text NOT NULL,
    expires_at timestamptz NOT NULL,
    attempts integer NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS identity_attempts (
    key text NOT NULL,
    at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS identity_attempts_key_idx ON identity_attempts (key, at);
CREATE TABLE IF NOT EXISTS identity_secret (
    id integer PRIMARY KEY CHECK (id = 1),
    secret text NOT NULL);
CREATE TABLE IF NOT EXISTS identity_feeds (name text PRIMARY KEY, position bigint NOT NULL);
CREATE TABLE IF NOT EXISTS identity_pending_activations (
    account_id uuid PRIMARY KEY, first_seen timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS identity_kiosk_pins (
    account_id uuid PRIMARY KEY, pin_hash text NOT NULL,
    issued_at timestamptz NOT NULL DEFAULT now());
"""

PEOPLE_AND_TERMINALS = """
CREATE TABLE IF NOT EXISTS personal_data (
    subject_ref text PRIMARY KEY,
    fields jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS blob_access (
    sha256 text NOT NULL,
    school_id uuid NOT NULL,
    PRIMARY KEY (sha256, school_id));
CREATE TABLE IF NOT EXISTS terminal_credentials (
    terminal_id uuid PRIMARY KEY,
    school_id uuid NOT NULL,
    secret text NOT NULL,
    last_counter bigint NOT NULL DEFAULT -1,
    issued_at timestamptz NOT NULL DEFAULT now());
"""

WORKERS = """
CREATE TABLE IF NOT EXISTS wk_outbox (
    message_id text PRIMARY KEY, account_id uuid NOT NULL, subject_ref text NOT NULL,
    channel text NOT NULL, kind text NOT NULL, title text NOT NULL, body text NOT NULL,
    status text NOT NULL DEFAULT 'pending', attempts int NOT NULL DEFAULT 0,
    claimed_until timestamptz, sent_at timestamptz, provider_ref text, error text,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX IF NOT EXISTS wk_outbox_open ON wk_outbox (created_at)
    WHERE status IN ('pending', 'sending');
CREATE TABLE IF NOT EXISTS wk_position (
    name text PRIMARY KEY, notification_id bigint NOT NULL);
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


def upgrade() -> None:
    op.execute(IDENTITY)
    op.execute(PEOPLE_AND_TERMINALS)
    op.execute(WORKERS)


def downgrade() -> None:
    raise NotImplementedError("migrations only go forward; restore a backup to go back")
