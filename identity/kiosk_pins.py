"""The kiosk PIN: with the card, it lets a parent use the school's self-service kiosk.

As in the article, activating a card at the kiosk sends the parent the cabinet's password and
a PIN for the kiosk. Only a hash is kept; the PIN goes out once by SMS (through the workers'
outbox, `identity/messages.py`), never in a response or a log. `check` compares in
constant time through argon2, like passwords.
"""

import re
import secrets as random
from datetime import timedelta
from uuid import UUID

from adapters import migrations
from identity import messages, secrets, throttle
from identity.service import Identity

PIN = re.compile(r"[0-9]{4}")
ATTEMPTS = 5  # PIN tries per account within `LOCKOUT`; then the kiosk is locked for it
LOCKOUT = timedelta(minutes=15)


class PinError(Exception):
    """A kiosk PIN refused: `code` is what the kiosk (or the cabinet) branches on; nothing is
    recorded in the ledger for it."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(message)
        self.code, self.status = code, status


def pin_of(value: object) -> str:
    if not isinstance(value, str) or not PIN.fullmatch(value):
        raise PinError("invalid_pin", "a kiosk PIN is exactly 4 digits", 400)
    return value


def attempts_key(account_id: UUID) -> str:
    return f"kiosk_pin:account:{account_id}"


INSERT = (
    "INSERT INTO identity_kiosk_pins (account_id, pin_hash, issued_at) VALUES (%s, %s, %s)"
    " ON CONFLICT (account_id) DO NOTHING RETURNING account_id"
)
REPLACE = (
    "INSERT INTO identity_kiosk_pins (account_id, pin_hash, issued_at) VALUES (%s, %s, %s)"
    " ON CONFLICT (account_id) DO UPDATE SET pin_hash = EXCLUDED.pin_hash,"
    " issued_at = EXCLUDED.issued_at RETURNING account_id"
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
            made = conn.execute(
                query, (account_id, secrets.hash_secret(pin), self.identity.clock())
            ).fetchone()
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

    def set(self, account_id: UUID, pin: object) -> None:
        """The parent chooses the PIN (in the cabinet): it replaces any other and unlocks."""
        hashed = secrets.hash_secret(pin_of(pin))
        with self.identity.pool.connection() as conn, conn.transaction():
            conn.execute(REPLACE, (account_id, hashed, self.identity.clock()))
            throttle.forget(conn, attempts_key(account_id))

    def is_set(self, account_id: UUID) -> bool:
        with self.identity.pool.connection() as conn:
            return (
                conn.execute(
                    "SELECT 1 FROM identity_kiosk_pins WHERE account_id = %s", (account_id,)
                ).fetchone()
                is not None
            )

    def verify(self, account_id: UUID, pin: object) -> None:
        """Pass, or a `PinError`: malformed, locked (`ATTEMPTS` within `LOCKOUT`, counted
        before the check, so parallel tries cannot slip past), not set, or wrong. A right
        PIN forgets the account's failed tries."""
        given = pin_of(pin)
        key = attempts_key(account_id)
        with self.identity.pool.connection() as conn:
            if not throttle.admit(conn, {key: ATTEMPTS}, LOCKOUT, self.identity.clock()):
                raise PinError("pin_locked", "too many wrong PINs: try again later", 429)
        if not self.check(account_id, given):
            if not self.is_set(account_id):
                raise PinError("pin_not_set", "no kiosk PIN yet: set one in the cabinet", 403)
            raise PinError("wrong_pin", "the kiosk PIN is wrong", 403)
        with self.identity.pool.connection() as conn:
            throttle.forget(conn, key)

    def check(self, account_id: UUID, pin: str) -> bool:
        with self.identity.pool.connection() as conn:
            row = conn.execute(
                "SELECT pin_hash FROM identity_kiosk_pins WHERE account_id = %s", (account_id,)
            ).fetchone()
        return secrets.verify(row[0] if row else None, pin)
