"""The data-protection office: consent, withdrawal, erasure requests, subject access and
retention, over the ledger, the personal-data store, the photos and the access log.

What each step destroys and keeps is `docs/PRIVACY.md` (the retention schedule). Commands are
retried on version conflicts like the ledger's own; the caller sets the actor (`acting_as`).
"""

import base64
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import psycopg
from eventsourcing.application import AggregateNotFoundError

from adapters.blobs import BlobStore, media_type
from adapters.outbox import Outgoing, add_secret
from adapters.people import SAVED_CARDS, PeopleStore, cards_in
from adapters.privacy.access_log import AccessLog
from adapters.privacy.traces import (
    CONTACT_FIELDS,
    Traces,
    contacts_in,
    erase_from_files,
    erase_outbox,
    erase_traces,
    message_files,
    still_used,
)
from audit.erasure import Erasure, destroy_blob, erase_person, refund_refs
from domain.account import Account
from domain.casework import position, retry
from domain.consent import PARENT, REPRESENTATIVE, Consent, consent_id
from domain.ledger import Ledger
from domain.notifications import SMS
from domain.privacy_request import PrivacyRequests, PrivacyStateError, requests_id
from identity.provisioning import parent_phone

A = TypeVar("A", Consent, PrivacyRequests)
RETENTION_YEARS = 5  # accounting records: 402-FZ art. 29, five years after the reporting year
CONTACT_BASIS = "согласие отозвано: контактные данные и фотография"
RETENTION_BASIS = "согласие отозвано: истёк срок хранения учётных данных"


@dataclass(frozen=True)
class Withdrawal:
    position: int
    subjects: list[str]  # subjects whose contacts or photo were destroyed
    photos: int
    traces: Traces | None


def representative(principal_id: UUID) -> str:
    return f"{REPRESENTATIVE}{principal_id}"


class PrivacyOffice:
    def __init__(
        self,
        ledger: Ledger,
        people: PeopleStore,
        blobs: BlobStore,
        access_log: AccessLog,
        files: Callable[[], list[Path]] = list,
    ) -> None:
        self.ledger, self.people, self.blobs, self.log = ledger, people, blobs, access_log
        self.files = files  # the demo's message files, looked up when erasing
        self.database_url = people.database_url

    def create_tables(self) -> None:
        self.people.create_tables()
        self.blobs.create_tables()
        self.log.create_tables()

    def close(self) -> None:
        self.log.close()

    # Records

    def _load(self, cls: type[A], aggregate_id: UUID) -> A | None:
        try:
            found: Any = self.ledger.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, cls) else None

    def consent(self, account_id: UUID) -> Consent | None:
        return self._load(Consent, consent_id(account_id))

    def requests(self, account_id: UUID) -> PrivacyRequests | None:
        return self._load(PrivacyRequests, requests_id(account_id))

    def consent_events(self, account_id: UUID) -> list[dict[str, Any]]:
        """Every consent given or withdrawn for the account: who, which text, when."""
        events: list[Any] = list(self.ledger.repository.event_store.get(consent_id(account_id)))
        return [
            {"event": type(e).__name__, "holder": e.holder, "at": e.timestamp.isoformat(),
             "version": getattr(e, "version", None), "text_sha256": getattr(e, "text_sha256", None),
             "reason": getattr(e, "reason", None)}
            for e in events if isinstance(e, Consent.Given | Consent.Withdrawn)
        ]  # fmt: skip

    # Consent

    def give_consent(self, account_id: UUID, holder: str, version: str) -> int:
        """Record a consent (once per holder and version); the position, 0 when in force."""
        self.ledger.account(account_id)  # an unknown account is the domain's error

        def attempt() -> int:
            consent = self.consent(account_id) or Consent.start(account_id)
            if not consent.give(holder, version):
                return 0
            return position(self.ledger.save(consent))

        return retry(attempt)

    def withdraw_consent(self, account_id: UUID, holder: str, reason: str) -> Withdrawal:
        """Record the withdrawal, then destroy at once what is not needed for accounting: a
        parent's withdrawal takes every contact, the photos, the representatives' logins
        and the parent login's phone; a representative's takes their own login. An account
        activated before consents were recorded has the parent's consent implied by the
        offer accepted: it may be withdrawn all the same."""
        account = self.ledger.account(account_id)

        def record() -> int:
            consent = self.consent(account_id) or Consent.start(account_id)
            implied = holder == PARENT and account.offer_accepted
            consent.withdraw(holder, reason, implied=implied)
            return position(self.ledger.save(consent))

        at = retry(record)
        if holder == PARENT:
            return self._erase_contacts(account_id, CONTACT_BASIS)
        principal_id = UUID(holder.removeprefix(REPRESENTATIVE))
        return Withdrawal(at, [], 0, self._drop_login(account_id, principal_id))

    def _drop_login(self, account_id: UUID, principal_id: UUID) -> Traces:
        """A representative's grant on the account; their login too when it has no other."""
        with psycopg.connect(self.database_url) as conn, conn.transaction():
            grants = conn.execute(
                "DELETE FROM identity_grants WHERE principal_id = %s AND account_id = %s",
                (principal_id, account_id),
            ).rowcount
            gone = conn.execute(
                "DELETE FROM identity_principals p WHERE principal_id = %s AND kind <> 'staff'"
                " AND NOT EXISTS (SELECT 1 FROM identity_grants g"
                " WHERE g.principal_id = p.principal_id) RETURNING phone",
                (principal_id,),
            ).fetchone()
            phones = {str(gone[0])} if gone and gone[0] else set()
            phones -= still_used(conn, phones)
            subjects = {f"identity:login:{principal_id}"} if gone else set()
            rows = erase_outbox(conn, None, phones, subjects)
        lines = erase_from_files(self.files(), phones)
        return Traces(1 if gone else 0, grants, rows, lines)

    def _erase_contacts(self, account_id: UUID, basis: str) -> Withdrawal:
        account = self.ledger.account(account_id)
        refs = refund_refs(self.ledger, account_id)
        found = self.people.get_many(refs)
        contacts = contacts_in(found.values())
        photos = sorted({str(f["photo"]) for f in found.values() if f.get("photo")})
        dropped = [*CONTACT_FIELDS, "photo", SAVED_CARDS]  # saved cards: their autopay fails
        touched = sorted(r for r, f in found.items() if set(f) & set(dropped))
        self.people.drop_fields(refs, dropped)
        destroyed = sum(destroy_blob(self.blobs, d, self.database_url) for d in photos)
        traces = erase_traces(
            self.database_url, account_id, account.contract_number, contacts, self.files(),
            keep_manager=True,
        )  # fmt: skip

        def record() -> int:
            fresh = self.ledger.account(account_id)
            fresh.record_erasure(touched, destroyed, basis)
            return position(self.ledger.save(fresh))

        return Withdrawal(retry(record), touched, destroyed, traces)

    # Erasure

    def erase(self, account_id: UUID, basis: str) -> Erasure:
        """Complete erasure of the account's people (`audit/erasure.py`)."""
        return erase_person(
            self.ledger, self.people, self.blobs, account_id, basis, files=self.files()
        )

    def request_erasure(self, account_id: UUID, note: str = "") -> int:
        self.ledger.account(account_id)

        def attempt() -> int:
            found = self.requests(account_id) or PrivacyRequests.start(account_id)
            found.request_erasure(note)
            return position(self.ledger.save(found))

        return retry(attempt)

    def refuse_erasure(self, account_id: UUID, reason: str) -> int:
        def attempt() -> int:
            found = self._open_request(account_id)
            found.refuse(reason)
            return position(self.ledger.save(found))

        return retry(attempt)

    def approve_erasure(self, account_id: UUID) -> Erasure:
        """Approve, erase everything, close the request and tell the parent (at the phone
        they had: the message row forgets it once sent, like a password's)."""
        account = self.ledger.account(account_id)
        if account.refund_under_way:
            raise PrivacyStateError("a refund is under way: its bank details are needed until paid")

        def approve() -> int:
            found = self._open_request(account_id)
            found.approve()
            return position(self.ledger.save(found))

        retry(approve)
        phone = parent_phone(self.ledger, self.people, account_id)
        done = self.erase(account_id, f"заявление на удаление №{self._number(account_id)}")

        def complete() -> int:
            found = self.requests(account_id)
            assert found is not None
            found.complete(done.position, len(done.subjects))
            return position(self.ledger.save(found))

        retry(complete)
        if phone:
            self._tell(account_id, account.contract_number, phone)
        return done

    def _number(self, account_id: UUID) -> int:
        found = self.requests(account_id)
        return found.number if found else 0

    def _open_request(self, account_id: UUID) -> PrivacyRequests:
        found = self.requests(account_id)
        if found is None:
            raise PrivacyStateError("no erasure request is waiting for a decision")
        return found

    def _tell(self, account_id: UUID, contract: str, phone: str) -> None:
        number = self._number(account_id)
        text = (
            f"Инфошкола: персональные данные по договору {contract} удалены (заявление №{number})."
        )
        message = Outgoing(
            f"privacy/{account_id}/{number}:{SMS}", None, f"privacy:erasure:{account_id}", SMS,
            "erasure_done", "Персональные данные удалены", text, phone,
        )  # fmt: skip
        with psycopg.connect(self.database_url) as conn, conn.transaction():
            add_secret(conn, message, supersede=False)

    # Subject access

    def subject_data(self, account_id: UUID) -> dict[str, Any]:
        """Everything personal the system holds for an account's pupil and parent."""
        account = self.ledger.account(account_id)
        refs = refund_refs(self.ledger, account_id)
        found = self.people.get_many(refs)
        roles = {  # later wins: the kiosk keeps the activation's phone on the parent
            account.parent_phone_ref: "activation_phone",
            account.contact_ref: "contact",
            account.pupil_ref: "pupil",
            account.parent_ref: "parent",
        }
        subjects = []
        for ref in refs:
            fields: dict[str, Any] = dict(found.get(ref, {}))
            if fields.get("photo"):
                data = self.blobs.read(str(fields["photo"]))
                fields["photo"] = {
                    "sha256": fields["photo"],
                    "media_type": media_type(data or b""),
                    "base64": base64.b64encode(data).decode() if data else None,
                }
            if SAVED_CARDS in fields:  # the card, not the acquirer's token that charges it
                fields[SAVED_CARDS] = [
                    {"id": str(c.id), "last4": c.last4, "saved_at": c.saved_at.isoformat()}
                    for c in cards_in(fields)
                ]
            role = roles.get(ref) or ("refund" if "bank_details" in fields else "earlier_contact")
            subjects.append({"reference": ref, "role": role, "fields": fields})
        requests = self.requests(account_id)
        return {
            "contract_number": account.contract_number,
            "class": account.class_name,
            "subjects": subjects,
            "consents": self.consent_events(account_id),
            "erasure_requests": requests.history if requests else [],
        }

    def login_data(self, principal_id: UUID) -> dict[str, Any]:
        with psycopg.connect(self.database_url) as conn:
            row = conn.execute(
                "SELECT kind, role, phone, created_at FROM identity_principals"
                " WHERE principal_id = %s",
                (principal_id,),
            ).fetchone()
            names = conn.execute(
                "SELECT name FROM identity_names WHERE principal_id = %s ORDER BY name",
                (principal_id,),
            ).fetchall()
        if row is None:
            return {}
        return {"login_names": [n[0] for n in names], "role": row[1], "phone": row[2],
                "created_at": row[3].isoformat()}  # fmt: skip

    def export(
        self, actor: str, principal_id: UUID | None, managed: Iterable[UUID], shared: Iterable[UUID]
    ) -> dict[str, Any]:
        """A login's own data, and the full data of the contracts it manages (a representative
        gets their own data and, for a shared contract, its number and their consent)."""
        contracts: list[dict[str, Any]] = []
        for account_id in managed:
            contracts.append({"access": "manage", **self.subject_data(account_id)})
            refs = refund_refs(self.ledger, account_id)
            self.log.record(actor, "subject_access", account_id, refs)
        for account_id in shared:
            holder = representative(principal_id) if principal_id else ""
            contracts.append({
                "access": "read",
                "contract_number": self.ledger.account(account_id).contract_number,
                "consents": [c for c in self.consent_events(account_id) if c["holder"] == holder],
            })  # fmt: skip
        login = self.login_data(principal_id) if principal_id else {}
        return {"login": login, "contracts": contracts}

    # Retention

    def retention_due(self, now: datetime) -> list[UUID]:
        """Accounts whose parent withdrew consent, closed, and past the retention period."""
        due = []
        for account_id in self._withdrawn_accounts():
            events: list[Any] = list(self.ledger.repository.event_store.get(account_id))
            closed = [e.timestamp for e in events if isinstance(e, Account.AccountClosed)]
            erased_all = any(
                isinstance(e, Account.PersonalDataErased) and e.basis == RETENTION_BASIS
                for e in events
            )
            consent = self.consent(account_id)
            if not closed or erased_all or consent is None or PARENT in consent.given:
                continue
            if now.year > closed[-1].year + RETENTION_YEARS:
                due.append(account_id)
        return due

    def apply_retention(self, now: datetime) -> list[Erasure]:
        return [self.erase(a, RETENTION_BASIS) for a in self.retention_due(now)]

    def _withdrawn_accounts(self) -> list[UUID]:
        found: list[UUID] = []
        start = 1
        while page := self.ledger.recorder.select_notifications(
            start=start, limit=1000, topics=[Consent.Withdrawn.TOPIC]
        ):
            for n in page:
                consent: Any = self.ledger.repository.get(UUID(str(n.originator_id)))
                if isinstance(consent, Consent) and consent.account_id not in found:
                    found.append(consent.account_id)
            start = page[-1].id + 1
        return found


def build_office(
    ledger: Ledger,
    database_url: str,
    blob_dir: Path,
    var_dir: Path | None,
    environ: Mapping[str, str] = os.environ,
    people: PeopleStore | None = None,
) -> PrivacyOffice:
    """The office of a process: its message files are the `file:` gateways of the workers'
    settings and the demo's `<var>/outbox/*.jsonl`."""
    urls = [environ.get("SMS_GATEWAY_URL", ""), environ.get("PUSH_GATEWAY_URL", "")]
    return PrivacyOffice(
        ledger,
        people or PeopleStore(database_url),
        BlobStore(blob_dir, database_url),
        AccessLog(database_url, ledger.clock),
        lambda: message_files(var_dir, urls),
    )
