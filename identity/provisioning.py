"""Parent logins from the ledger: the phone a contract's messages go to, from personal data."""

from uuid import UUID

from adapters.people import PeopleStore
from domain.ledger import Ledger
from identity.service import Access, Identity


def parent_phone(ledger: Ledger, people: PeopleStore, account_id: UUID) -> str | None:
    """The contact phone, else the phone given at card activation, else the parent's own."""
    account = ledger.account(account_id)
    for ref in (account.contact_ref, account.parent_phone_ref, account.parent_ref):
        fields = people.get(ref) if ref else None
        if fields and fields.get("phone"):
            return fields["phone"]
    return None


def grant_parent_access(
    ledger: Ledger,
    people: PeopleStore,
    identity: Identity,
    contract_number: str,
    phone: str | None = None,
    *,
    key: str | None = None,
) -> UUID | None:
    """Attach the contract to its parent's login (a password by SMS for a new login, a fresh
    one for a repeated grant); None when no phone is known. `key`: see `grant_parent`."""
    account_id = ledger.account_id_for_contract(contract_number)
    phone = phone or parent_phone(ledger, people, account_id)
    if phone is None:
        return None
    return identity.grant_parent(contract_number, account_id, phone, Access.MANAGE, key=key)
