"""Parent logins from card activations: the kiosk takes the parent's phone, this tail gives
the contract's parent a login and a kiosk PIN, each by SMS (through the workers' outbox).

It follows the ledger's `CardActivated` events after its own stored position (one instance
at a time, under an advisory lock): each activation becomes a pending row, retried until the
phone is in the personal-data store (given up after `PHONE_GRACE`). Every activation grants:
a new parent gets a login and its password; the same parent activating again gets a FRESH
password (`Identity.grant_parent`). The grant is keyed by the activation's notification id,
so a crash between the grant and the row's removal changes and sends nothing twice; the PIN
goes once per account.
"""

import logging
import threading
from datetime import timedelta
from typing import Any
from uuid import UUID

import psycopg
from psycopg import sql

from adapters import migrations
from adapters.people import PeopleStore
from domain.account import Account
from domain.ledger import Ledger
from identity.kiosk_pins import KioskPins
from identity.provisioning import grant_parent_access, parent_phone
from identity.service import Identity

log = logging.getLogger("infoshkola.identity.activations")

FEED = "card_activations"
PHONE_GRACE = timedelta(minutes=10)  # the kiosk stores the phone right after the activation


class ActivationLogins:
    def __init__(
        self, ledger: Ledger, people: PeopleStore, identity: Identity, database_url: str
    ) -> None:
        self.ledger, self.people, self.identity = ledger, people, identity
        self.pins = KioskPins(identity)
        self.database_url = database_url
        self.events_table = str(ledger.recorder.events_table_name)  # type: ignore[attr-defined]
        migrations.upgrade(database_url)  # identity_feeds, identity_pending_activations

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.database_url, autocommit=True)

    def step(self, limit: int = 100) -> int:
        """Handle activations recorded since the last step, and retry those still waiting for
        their phone; returns how many were granted (a login given or its password renewed, or
        a replayed activation found done)."""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO identity_feeds (name, position) VALUES (%s, 0)"
                " ON CONFLICT (name) DO NOTHING",
                (FEED,),
            )
            row = conn.execute(
                "SELECT position FROM identity_feeds WHERE name = %s", (FEED,)
            ).fetchone()
            position = int(row[0]) if row else 0
            found = conn.execute(
                sql.SQL(
                    "SELECT notification_id, originator_id FROM {} WHERE notification_id > %s"
                    " AND topic = %s ORDER BY notification_id LIMIT %s"
                ).format(sql.Identifier(self.events_table)),
                (position, Account.CardActivated.TOPIC, limit),
            ).fetchall()
            done = 0
            for notification_id, account_id in found:
                with conn.transaction():
                    conn.execute(
                        "INSERT INTO identity_pending_activations"
                        " (account_id, notification_id, first_seen) VALUES (%s, %s, %s)"
                        " ON CONFLICT (account_id)"
                        " DO UPDATE SET notification_id = EXCLUDED.notification_id",
                        (account_id, notification_id, self.ledger.clock()),
                    )
                    conn.execute(
                        "UPDATE identity_feeds SET position = %s WHERE name = %s",
                        (notification_id, FEED),
                    )
            pending = conn.execute(
                "SELECT account_id, first_seen, notification_id FROM identity_pending_activations"
                " ORDER BY first_seen"
            ).fetchall()
            for account_id, first_seen, activation in pending:
                if self._provision(account_id, activation):
                    done += 1
                elif self.ledger.clock() - first_seen <= PHONE_GRACE:
                    continue
                elif self.identity.holders(account_id):
                    log.info("account %s: no parent phone; its login stays as it was", account_id)
                else:
                    log.warning("account %s has no parent phone; no login given", account_id)
                conn.execute(
                    "DELETE FROM identity_pending_activations WHERE account_id = %s",
                    (account_id,),
                )
        return done

    def _provision(self, account_id: UUID, activation: int | None) -> bool:
        """Grant the contract to the parent of the phone on record (a new login's password, or
        a fresh one for the same parent activating again) and queue the kiosk PIN (once per
        account); False while no phone is known."""
        phone = parent_phone(self.ledger, self.people, account_id)
        if phone is None:
            return False
        contract = self.ledger.account(account_id).contract_number
        key = f"activation/{account_id}/{activation}" if activation is not None else None
        grant_parent_access(self.ledger, self.people, self.identity, contract, phone, key=key)
        self.pins.issue(account_id, phone)
        return True

    def follow(self, stop: threading.Event, every: float = 1.0) -> None:
        """Step every `every` seconds until `stop`; one process at a time (advisory lock)."""
        with self._connect() as lock:
            while not stop.is_set():
                row = lock.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended('identity.activations', 0))"
                ).fetchone()
                if row and row[0]:
                    break
                log.info("activation logins run elsewhere; waiting for the lock")
                stop.wait(5.0)
            while not stop.is_set():
                try:
                    self.step()
                except Exception:
                    log.exception("activation logins failed; retrying")
                stop.wait(every)
