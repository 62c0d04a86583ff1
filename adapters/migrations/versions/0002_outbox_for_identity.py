"""The outbox carries identity's messages too (a phone as address, secrets emptied once final,
a pick-up flag, an expiry), sweeps are recorded, and a pending activation keeps the
notification id of its latest activation.

Idempotent like the baseline: a database whose older code already added these is unchanged.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
        ALTER TABLE wk_outbox ALTER COLUMN account_id DROP NOT NULL,
            ADD COLUMN IF NOT EXISTS swept_at timestamptz,
            ADD COLUMN IF NOT EXISTS address text,
            ADD COLUMN IF NOT EXISTS sensitive boolean NOT NULL DEFAULT false,
            ADD COLUMN IF NOT EXISTS pickup boolean NOT NULL DEFAULT false,
            ADD COLUMN IF NOT EXISTS expires_at timestamptz;
        CREATE INDEX IF NOT EXISTS wk_outbox_pickup ON wk_outbox (created_at) WHERE pickup;
        CREATE INDEX IF NOT EXISTS wk_outbox_secrets ON wk_outbox (subject_ref, kind)
            WHERE sensitive AND status = 'pending';
        ALTER TABLE identity_pending_activations ADD COLUMN IF NOT EXISTS notification_id bigint;
    """)


def downgrade() -> None:
    raise NotImplementedError("migrations only go forward; restore a backup to go back")
