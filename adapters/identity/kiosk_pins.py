"""The kiosk PIN: with the card, it lets a parent use the school's self-service kiosk.

As in the article, activating a card at the kiosk sends the parent the cabinet's password and
a PIN for the kiosk. Only a hash is kept; the PIN goes out once by SMS (through the workers'
outbox, `adapters/identity/messages.py`), never in a response or a log. `check` compares in
constant time through argon2, like passwords.
"""

import secrets as random
from uuid import UUID

from adapters import migrations
from adapters.identity import messages, secrets
from adapters.identity.service import Identity

INSERT = (
    "INSERT INTO identity_kiosk_pins (account_id, pin_hash) VALUES (%s, %s)"
    " ON CONFLICT (account_id) DO NOTHING RETURNING account_id"
)
REPLACE = (
    "INSERT INTO identity_kiosk_pins (account_id, pin_hash) VALUES (%s, %s)"
    " ON CONFLICT (account_id) DO UPDATE SET pin_hash = EXCLUDED.pin_hash, issued_at = now()"
    " RETURNING account_id"
)


class KioskPins:
    def __init__(self, identity: Identity) -> None:
        self.identity = identity
        migrations.upgrade(identity.database_url)  # identity_kiosk_pins

    def issue(self, account_id: UUID, phone: str, *, replace: bool = False) -> bool:
        """Give the account a PIN by SMS; once, unless `replace` (support re-issues it). The
        PIN's hash and its SMS (the outbox) are committed together."""
        pin = f"{random.randbelow(10_000):04d}"
        with self.identity.pool.connection() as conn, conn.transaction():
            query = REPLACE if replace else INSERT
            made = conn.execute(query, (account_id, secrets.hash_secret(pin))).fetchone()
            if made is None:
                return False
            messages.queue_sms(
                conn,
                phone=phone,
                kind=messages.KIOSK_PIN,
                text=f"Инфошкола: ПИН-код для автомата в школе: {pin}",
                subject=messages.account_subject(account_id),
                account_id=account_id,
            )
        return True

    def check(self, account_id: UUID, pin: str) -> bool:
        with self.identity.pool.connection() as conn:
            row = conn.execute(
                "SELECT pin_hash FROM identity_kiosk_pins WHERE account_id = %s", (account_id,)
            ).fetchone()
        return secrets.verify(row[0] if row else None, pin)
