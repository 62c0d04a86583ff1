"""The retention schedule (docs/PRIVACY.md): after the parent withdrew consent, the names and
bank details kept for accounting are erased once five full years have passed after the year
the account closed, and not a day before."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from adapters.privacy.office import RETENTION_BASIS, build_office
from domain import casework
from domain.consent import PARENT
from domain.ledger import Ledger
from domain.recorded import acting_as
from tests.builders import SchoolWorld
from tests.privacy.helpers import CONSENT


def test_accounting_data_is_kept_until_five_years_after_the_closing_year(
    ledger: Ledger, world: SchoolWorld, database_url: str, tmp_path: Path
) -> None:
    office = build_office(ledger, database_url, tmp_path / "blobs", None)
    office.create_tables()
    try:
        pupil = world.pupil(deposit=10_000)
        account = ledger.account(pupil.account_id)
        bank = f"subject:{uuid4()}"
        office.people.put(account.parent_ref, name="Ирина Петрова", phone="+79130000017")
        office.people.put(bank, bank_details="40817810000000000017")
        with acting_as("parent:test"):
            office.give_consent(pupil.account_id, PARENT, CONSENT)
            casework.request_refund(ledger, pupil.account_id, "bank_details", bank)
            withdrawn = office.withdraw_consent(pupil.account_id, PARENT, "отзываю согласие")
        assert account.parent_ref in withdrawn.subjects
        assert office.people.get(account.parent_ref) == {"name": "Ирина Петрова"}
        assert office.people.get(bank) == {"bank_details": "40817810000000000017"}
        casework.approve_refund(ledger, pupil.account_id)
        casework.pay_refund(ledger, pupil.account_id, f"payout-{uuid4().hex[:8]}", close=True)
        closed = ledger.account(pupil.account_id)
        assert closed.closed
        events: list[Any] = list(ledger.repository.event_store.get(pupil.account_id))
        year = max(e.timestamp for e in events).year

        assert pupil.account_id not in office.retention_due(datetime(year + 5, 12, 31, tzinfo=UTC))
        due = datetime(year + 6, 1, 1, tzinfo=UTC)
        assert pupil.account_id in office.retention_due(due)
        erased = [e for e in office.apply_retention(due) if e.account_id == pupil.account_id]
        assert len(erased) == 1
        assert office.people.get(account.parent_ref) is None
        assert office.people.get(bank) is None
        last = list(ledger.repository.event_store.get(pupil.account_id))[-1]
        assert getattr(last, "basis", None) == RETENTION_BASIS
        assert pupil.account_id not in office.retention_due(due)  # done once
    finally:
        office.close()
