"""Erasing a person (152-FZ): their personal data and photos are destroyed, the act recorded.

Events only ever held subject references, so every balance still replays and the hash chain
still verifies afterwards; the `PersonalDataErased` event names the references erased and how
many photos were destroyed, never what they contained.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import psycopg

from adapters.blobs import BlobStore
from adapters.people import PeopleStore
from domain.account import Account
from domain.casework import position, retry
from domain.ledger import Ledger

PHOTO_FIELDS = ("photo",)


@dataclass(frozen=True)
class Erasure:
    account_id: UUID
    subjects: list[str]  # references whose personal data was destroyed
    photos: int  # photo blobs destroyed
    position: int  # where the act is recorded in the ledger


def subjects_of(account: Account) -> list[str]:
    """Every personal-data reference an account's history names."""
    refs = [
        account.pupil_ref,
        account.parent_ref,
        account.parent_phone_ref,
        account.contact_ref,
    ]
    return sorted({r for r in refs if isinstance(r, str) and r.startswith("subject:")})


def refund_refs(ledger: Ledger, account_id: UUID) -> list[str]:
    events: list[Any] = list(ledger.repository.event_store.get(account_id))
    return [
        e.destination_ref
        for e in events
        if isinstance(e, Account.RefundRequested) and e.destination_ref.startswith("subject:")
    ]


def erase_person(
    ledger: Ledger,
    people: PeopleStore,
    blobs: BlobStore | None,
    account_id: UUID,
    basis: str,
    subjects: list[str] | None = None,
) -> Erasure:
    """Destroy the personal data of an account's subjects (all of them unless `subjects`)."""
    account = ledger.account(account_id)
    known = sorted({*subjects_of(account), *refund_refs(ledger, account_id)})
    chosen = known if subjects is None else [s for s in known if s in subjects]
    found = people.get_many(chosen)
    photos = sorted({f[k] for f in found.values() for k in PHOTO_FIELDS if f.get(k)})
    for ref in chosen:
        people.erase(ref)
    destroyed = (
        sum(destroy_blob(blobs, digest, people.database_url) for digest in photos) if blobs else 0
    )

    def record() -> int:
        fresh = ledger.account(account_id)
        fresh.record_erasure(chosen, destroyed, basis)
        return position(ledger.save(fresh))

    return Erasure(account_id, chosen, destroyed, retry(record))


def destroy_blob(blobs: BlobStore, digest: str, database_url: str) -> int:
    """Delete a photo unless another (not erased) subject still refers to it."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        still = conn.execute(
            "SELECT 1 FROM personal_data WHERE fields->>'photo' = %s LIMIT 1", (digest,)
        ).fetchone()
        if still:
            return 0
        conn.execute("DELETE FROM blob_access WHERE sha256 = %s", (digest,))
    path = blobs.root / digest[:2] / digest
    if path.exists():
        path.unlink()
        return 1
    return 0
