"""A terminal's row remembers which request last moved its counter (`last_claim`), so a save
of that request's tap that is tried again after its commit's answer was lost (the connection
broke at COMMIT) knows its counter as its own, not as a replay (`adapters/terminal_auth.py`).

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE terminal_credentials ADD COLUMN IF NOT EXISTS last_claim uuid")


def downgrade() -> None:
    raise NotImplementedError("migrations only go forward; restore a backup to go back")
