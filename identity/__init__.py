"""Who is asking: parent and staff logins, sessions, tokens, throttling, SMS credentials.

Kept in PostgreSQL beside the event store (not in it): credentials are not facts of the
ledger, and a password hash must be replaceable and erasable.
"""
