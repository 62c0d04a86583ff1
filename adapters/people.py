"""Personal data (152-FZ) kept beside the event store, never inside it.

Events carry only subject references ("subject:<uuid>"); names, phones, e-mails and photo
hashes live here, one row per data subject, so erasing a person is one delete while every
balance still replays from the events.
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from adapters import migrations
from adapters.postgres import checked_pool
from adapters.privacy.access_log import INSERT_READS
from domain.web_push import MAX_SUBSCRIPTIONS, PushSubscription

# Subjects' data and a log row per read of one that has data (`get_many_logged`).
READ_AND_LOG = (
    "WITH found AS (SELECT subject_ref, fields FROM personal_data"  # noqa: S608
    " WHERE subject_ref = ANY(%(subjects)s)),"
    f" logged AS ({INSERT_READS} JOIN found f ON f.subject_ref = r.subject_ref"
    " WHERE f.fields <> '{}'::jsonb ORDER BY r.n)"
    " SELECT subject_ref, fields FROM found"
)
WEB_PUSH = "web_push"  # the field of a subject's browser subscriptions (a JSON array; in SQL too)
SAVED_CARDS = "saved_cards"  # the field of a parent's saved bank cards (a JSON array)
MAX_SAVED_CARDS = 5  # cards of one parent's account; the oldest goes when a sixth is saved


@dataclass(frozen=True)
class SavedCard:
    """A bank card the acquirer saved at a parent's top-up: its token charges it again.

    Kept under the parent's personal data (so erasing the parent erases it); the events name
    only its `id`."""

    id: UUID
    account_id: UUID
    token: str
    last4: str
    saved_at: datetime

    def entry(self) -> dict[str, str]:
        return {"id": str(self.id), "account": str(self.account_id), "token": self.token,
                "last4": self.last4, "saved_at": self.saved_at.isoformat()}  # fmt: skip

    @classmethod
    def of(cls, e: dict[str, Any]) -> "SavedCard":
        return cls(UUID(e["id"]), UUID(e["account"]), str(e["token"]), str(e["last4"]),
                   datetime.fromisoformat(e["saved_at"]))  # fmt: skip


def cards_in(fields: dict[str, Any] | None) -> list[SavedCard]:
    entries = (fields or {}).get(SAVED_CARDS)
    return (
        [SavedCard.of(e) for e in entries if isinstance(e, dict)]
        if isinstance(entries, list)
        else []
    )


class PeopleStore:
    """Connections come from a small pool opened on first use (a terminal's answer reads a
    pupil's name on every tap: a new connection each time cost more than the query)."""

    def __init__(self, database_url: str, pool_size: int = 4) -> None:
        self.database_url = database_url
        self.pool_size = pool_size
        self._pool: ConnectionPool[Any] | None = None
        self._lock = threading.Lock()

    @contextmanager
    def _connect(self) -> Iterator[psycopg.Connection[Any]]:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = checked_pool(self.database_url, max_size=self.pool_size)
        with self._pool.connection() as conn:
            yield conn

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def create_tables(self) -> None:
        migrations.upgrade(self.database_url)

    def put(self, subject_ref: str, **fields: str) -> None:
        """Set (merge) fields of a subject: name, class, phone, email, photo …"""
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO personal_data (subject_ref, fields) VALUES (%s, %s) "
                "ON CONFLICT (subject_ref) DO UPDATE "
                "SET fields = personal_data.fields || EXCLUDED.fields, updated_at = now()",
                (subject_ref, Jsonb(fields)),
            )

    def get(self, subject_ref: str) -> dict[str, str] | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT fields FROM personal_data WHERE subject_ref = %s", (subject_ref,)
            ).fetchone()
        return dict(row[0]) if row else None

    def get_many(self, subject_refs: list[str]) -> dict[str, dict[str, str]]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT subject_ref, fields FROM personal_data WHERE subject_ref = ANY(%s)",
                (subject_refs,),
            ).fetchall()
        return {ref: dict(fields) for ref, fields in rows}

    def get_many_logged(
        self, reads: Sequence[tuple[str, str, UUID, str]], at: datetime
    ) -> dict[str, dict[str, str]]:
        """`get_many` of the subjects that `reads` (actor, operation, account, subject) name,
        with one access-log row per read of a subject that has data, in the same statement
        (one round trip, one commit; `adapters/privacy/access_log.py`)."""
        if not reads:
            return {}
        actors, operations, accounts, subjects = (list(c) for c in zip(*reads, strict=True))
        with self._connect() as conn:
            rows = conn.execute(
                READ_AND_LOG,
                {"at": at, "actors": actors, "accounts": accounts, "subjects": subjects,
                 "operations": operations},
            ).fetchall()  # fmt: skip
        return {ref: dict(fields) for ref, fields in rows}

    def drop_fields(self, subject_refs: list[str], fields: list[str]) -> int:
        """Destroy some fields (contacts, a photo) of subjects, keeping the rest."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE personal_data SET fields = fields - %s::text[], updated_at = now()"
                " WHERE subject_ref = ANY(%s) AND fields ?| %s::text[]",
                (fields, subject_refs, fields),
            )
            return cur.rowcount

    def erase(self, subject_ref: str) -> bool:
        """Destroy a subject's personal data; True when there was something to destroy."""
        with self._connect() as conn:
            cur = conn.execute("DELETE FROM personal_data WHERE subject_ref = %s", (subject_ref,))
            return cur.rowcount > 0

    # Web Push subscriptions: a JSON array under one field, so erasing the person (or their
    # contacts) erases them too.

    def add_push_subscription(self, subject_ref: str, sub: PushSubscription) -> None:
        """Keep `sub` (replacing one of the same endpoint); at most `MAX_SUBSCRIPTIONS`, the
        oldest going first. One statement, so two browsers registering at once both stay."""
        entry = {"endpoint": sub.endpoint, "p256dh": sub.p256dh, "auth": sub.auth}
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO personal_data (subject_ref, fields) VALUES (%(ref)s, %(new)s) "
                "ON CONFLICT (subject_ref) DO UPDATE SET updated_at = now(), fields = "
                " personal_data.fields || jsonb_build_object('web_push', (SELECT COALESCE("
                "  jsonb_agg(e ORDER BY n), '[]'::jsonb) FROM (SELECT e, n FROM"
                "  jsonb_array_elements((SELECT COALESCE(jsonb_agg(x), '[]'::jsonb) FROM"
                "   jsonb_array_elements(COALESCE(personal_data.fields -> 'web_push', '[]'::jsonb))"
                "   AS old(x) WHERE x ->> 'endpoint' <> %(endpoint)s) || %(one)s)"
                "  WITH ORDINALITY AS t(e, n) ORDER BY n DESC LIMIT %(most)s) AS kept))",
                {
                    "ref": subject_ref,
                    "new": Jsonb({WEB_PUSH: [entry]}),
                    "one": Jsonb([entry]),
                    "endpoint": sub.endpoint,
                    "most": MAX_SUBSCRIPTIONS,
                },
            )

    def remove_push_subscription(self, subject_refs: list[str], endpoint: str) -> int:
        """Forget the subscription of `endpoint` (unsubscribed, or gone at the push service)."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE personal_data SET updated_at = now(), fields = fields || "
                " jsonb_build_object('web_push', (SELECT COALESCE(jsonb_agg(e), '[]'::jsonb)"
                "  FROM jsonb_array_elements(fields -> 'web_push') AS t(e)"
                "  WHERE e ->> 'endpoint' <> %(endpoint)s))"
                " WHERE subject_ref = ANY(%(refs)s)"
                " AND jsonb_typeof(fields -> 'web_push') = 'array'"
                " AND EXISTS (SELECT 1 FROM jsonb_array_elements(fields -> 'web_push') AS t(e)"
                "  WHERE e ->> 'endpoint' = %(endpoint)s)",
                {"endpoint": endpoint, "refs": subject_refs},
            )
            return cur.rowcount

    def push_subscriptions(self, subject_refs: list[str]) -> list[PushSubscription]:
        """The subjects' subscriptions, newest first, each endpoint once."""
        found: dict[str, PushSubscription] = {}
        people: dict[str, Any] = self.get_many(subject_refs)
        for ref in subject_refs:
            entries = people.get(ref, {}).get(WEB_PUSH)
            for e in reversed(entries if isinstance(entries, list) else []):
                if isinstance(e, dict) and e.get("endpoint") not in found:
                    found[str(e["endpoint"])] = PushSubscription(
                        str(e["endpoint"]), str(e["p256dh"]), str(e["auth"])
                    )
        return list(found.values())

    # Saved cards: a JSON array under one field of the parent's subject, like the browsers'
    # subscriptions, so erasing the parent erases them.

    def save_card(
        self, subject_ref: str, account_id: UUID, token: str, last4: str, at: datetime
    ) -> SavedCard:
        """Keep the card the acquirer saved; the same token saved again is the card already
        kept (a repeated webhook, or the card saved at another top-up): its id stays."""
        with self._connect() as conn, conn.transaction():
            conn.execute(
                "INSERT INTO personal_data (subject_ref, fields) VALUES (%s, '{}'::jsonb)"
                " ON CONFLICT (subject_ref) DO NOTHING",
                (subject_ref,),
            )
            row = conn.execute(
                "SELECT fields FROM personal_data WHERE subject_ref = %s FOR UPDATE",
                (subject_ref,),
            ).fetchone()
            cards = cards_in(row[0] if row else None)
            same = next((c for c in cards if c.token == token and c.account_id == account_id), None)
            if same is not None:
                return same
            card = SavedCard(uuid4(), account_id, token, last4, at)
            kept = [*cards, card][-MAX_SAVED_CARDS:]
            conn.execute(
                "UPDATE personal_data SET updated_at = now(),"
                " fields = fields || jsonb_build_object('saved_cards', %s::jsonb)"
                " WHERE subject_ref = %s",
                (Jsonb([c.entry() for c in kept]), subject_ref),
            )
            return card

    def saved_cards(self, subject_ref: str, account_id: UUID) -> list[SavedCard]:
        """The account's saved cards, newest first."""
        cards = cards_in(self.get(subject_ref))
        return [c for c in reversed(cards) if c.account_id == account_id]

    def saved_card(self, subject_ref: str, account_id: UUID, card_id: UUID) -> SavedCard | None:
        return next((c for c in self.saved_cards(subject_ref, account_id) if c.id == card_id), None)

    def forget_card(self, subject_ref: str, account_id: UUID, card_id: UUID) -> bool:
        """Destroy a saved card; True when it was kept."""
        with self._connect() as conn:
            cur = conn.execute(
                "UPDATE personal_data SET updated_at = now(), fields = fields || "
                " jsonb_build_object('saved_cards', (SELECT COALESCE(jsonb_agg(e), '[]'::jsonb)"
                "  FROM jsonb_array_elements(fields -> 'saved_cards') AS t(e)"
                "  WHERE NOT (e ->> 'id' = %(id)s AND e ->> 'account' = %(account)s)))"
                " WHERE subject_ref = %(ref)s"
                " AND jsonb_typeof(fields -> 'saved_cards') = 'array'"
                " AND EXISTS (SELECT 1 FROM jsonb_array_elements(fields -> 'saved_cards') AS t(e)"
                "  WHERE e ->> 'id' = %(id)s AND e ->> 'account' = %(account)s)",
                {"id": str(card_id), "account": str(account_id), "ref": subject_ref},
            )
            return cur.rowcount > 0
