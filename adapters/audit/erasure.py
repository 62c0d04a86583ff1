"""Erasing a person (152-FZ): their personal data and photos are destroyed, the act recorded.

Events only ever held subject references, so every balance still replays and the hash chain
still verifies afterwards; the `PersonalDataErased` event names the references erased and how
many photos were destroyed, never what they contained.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from adapters.blobs import BlobStore
from adapters.people import PeopleStore
from adapters.privacy.traces import Traces, contacts_in, erase_traces
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
    traces: Traces | None = None  # logins, outbox rows and message lines (complete erasure)


def subjects_of(account: Account) -> list[str]:
    """Every personal-data reference an account's history names."""
    refs = [
        account.pupil_ref,
        account.parent_ref,
        account.parent_phone_ref,
        account.contact_ref,
    ]
    return sorted({r for r in refs if isinstance(r, str) and r.startswith("subject:")})


REF_FIELDS = ("pupil_ref", "parent_ref", "parent_phone_ref", "contact_ref", "destination_ref")


def refund_refs(ledger: Ledger, account_id: UUID) -> list[str]:
    """Every reference the account's events ever named: earlier contacts and refunds too."""
    events: list[Any] = list(ledger.repository.event_store.get(account_id))
    found = (getattr(e, f, None) for e in events for f in REF_FIELDS)
    return sorted({r for r in found if isinstance(r, str) and r.startswith("subject:")})


def erase_person(
    ledger: Ledger,
    people: PeopleStore,
    blobs: BlobStore | None,
    account_id: UUID,
    basis: str,
    subjects: list[str] | None = None,
    files: Iterable[Path] = (),
) -> Erasure:
    """Destroy the personal data of an account's subjects (all of them unless `subjects`).

    A complete erasure (no `subjects`) also destroys the traces outside the store: the
    account's logins, outbox messages and lines of the demo's message `files`
    (`adapters/privacy/traces.py`)."""
    account = ledger.account(account_id)
    known = sorted({*subjects_of(account), *refund_refs(ledger, account_id)})
    chosen = known if subjects is None else [s for s in known if s in subjects]
    found = people.get_many(chosen)
    photos = sorted({f[k] for f in found.values() for k in PHOTO_FIELDS if f.get(k)})
    for ref in chosen:
        people.erase(ref)
    traces = None
    if subjects is None:
        traces = erase_traces(
            people.database_url,
            account_id,
            account.contract_number,
            contacts_in(found.values()),
            files,
        )
    destroyed = (
        sum(destroy_blob(blobs, digest, people.database_url) for digest in photos) if blobs else 0
    )

    def record() -> int:
        fresh = ledger.account(account_id)
        fresh.record_erasure(chosen, destroyed, basis)
        return position(ledger.save(fresh))

    return Erasure(account_id, chosen, destroyed, retry(record), traces)


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
