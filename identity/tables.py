"""The identity tables (idempotent DDL)."""

DDL = (
    """CREATE TABLE IF NOT EXISTS identity_principals (
        principal_id uuid PRIMARY KEY,
        kind text NOT NULL,              -- parent | representative | staff
        role text NOT NULL,              -- parent | representative | canteen_operator | ...
        phone text,                      -- where SMS credentials go (parents, representatives)
        password_hash text,
        school_ids uuid[] NOT NULL DEFAULT '{}',
        all_schools boolean NOT NULL DEFAULT false,
        disabled boolean NOT NULL DEFAULT false,
        created_at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX IF NOT EXISTS identity_principals_phone_idx ON identity_principals (kind, phone)",
    """CREATE TABLE IF NOT EXISTS identity_names (
        name text PRIMARY KEY,           -- a contract number, a phone or a staff username
        principal_id uuid NOT NULL REFERENCES identity_principals ON DELETE CASCADE
    )""",
    """CREATE TABLE IF NOT EXISTS identity_grants (
        principal_id uuid NOT NULL REFERENCES identity_principals ON DELETE CASCADE,
        account_id uuid NOT NULL,
        contract_number text NOT NULL,
        access text NOT NULL,            -- manage | read
        PRIMARY KEY (principal_id, account_id)
    )""",
    """CREATE TABLE IF NOT EXISTS identity_sessions (
        session_id uuid PRIMARY KEY,
        principal_id uuid NOT NULL REFERENCES identity_principals ON DELETE CASCADE,
        refresh_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
    )""",
    "CREATE INDEX IF NOT EXISTS identity_sessions_principal_idx"
    " ON identity_sessions (principal_id)",
    """CREATE TABLE IF NOT EXISTS identity_reset_codes (
        principal_id uuid PRIMARY KEY REFERENCES identity_principals ON DELETE CASCADE,
        code_hash text NOT NULL,
        expires_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS identity_attempts (
        key text NOT NULL,
        at timestamptz NOT NULL DEFAULT now()
    )""",
    "CREATE INDEX IF NOT EXISTS identity_attempts_key_idx ON identity_attempts (key, at)",
    """CREATE TABLE IF NOT EXISTS identity_secret (
        id integer PRIMARY KEY CHECK (id = 1),
        secret text NOT NULL
    )""",
)
