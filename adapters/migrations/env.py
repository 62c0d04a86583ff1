"""Alembic's entry point: migrations run on the connection `upgrade` hands over (there are no
SQLAlchemy models; every revision is plain SQL)."""

from alembic import context

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=None, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
