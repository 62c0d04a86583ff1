"""Disputes and refunds as commands on the ledger: plain functions the CLI and GraphQL call.

Each loads what it decides on, lets the aggregate decide (domain/account.py, domain/school.py)
and saves; a version conflict means someone else saved first, so it decides again.
The actor (parent, school admin, auditor, system) comes from `acting_as` around the call.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from domain import retries, school_settings
from domain.account import Account
from domain.commands import Commands
from domain.dispute import Charge, Evidence, as_charge, evidence, find_charge, is_charge
from domain.errors import DisputeError
from domain.kinds import RefundDestination
from domain.ledger import Ledger
from domain.school import School

T = TypeVar("T")
ATTEMPTS = 100


def retry(attempt: Callable[[], T]) -> T:
    return retries.retry(attempt, ATTEMPTS)


position = Commands._position  # the notification id of what a command saved (0: nothing)


def account_events(ledger: Ledger, account_id: UUID) -> list[Any]:
    ledger.account(account_id)  # unknown accounts raise the domain's error
    return list(ledger.repository.event_store.get(account_id))


# Disputes


def charges(ledger: Ledger, account_id: UUID, on: date | None = None) -> list[Charge]:
    """Every purchase that took money from the account (optionally on one school-local day)."""
    return [
        as_charge(e)
        for e in account_events(ledger, account_id)
        if is_charge(e) and (on is None or e.local_date == on.isoformat())
    ]


def photo_check_of(ledger: Ledger, charge: Charge) -> str | None:
    """What the operator recorded with the tap (kept on its `Tap` record), if anything."""
    terminal_id, _, tap_id = charge.key.partition("/")
    decision = ledger.recorded_tap(UUID(terminal_id), tap_id)
    return decision.photo_check if decision else None


def dispute_evidence(ledger: Ledger, account_id: UUID, charge_key: str) -> Evidence:
    events = account_events(ledger, account_id)
    charge = find_charge(events, charge_key)
    if charge is None:
        raise DisputeError(f"account {account_id} has no charge {charge_key}")
    school = ledger.school(ledger.account(account_id).school_id)
    return evidence_on(ledger, school, charge, events)


def evidence_on(ledger: Ledger, school: School, charge: Charge, events: list[Any]) -> Evidence:
    """What the account's history says of `charge`, on the school's calendar of its day."""
    calendar = school_settings.calendar_on(school, date.fromisoformat(charge.local_date))
    return evidence(charge, events, calendar, school.zone, photo_check_of(ledger, charge))


def flagged_charges(ledger: Ledger, account_id: UUID, since: date | None = None) -> list[Evidence]:
    """Charges the history argues against: pupil not inside, or the school closed."""
    events = account_events(ledger, account_id)
    school = ledger.school(ledger.account(account_id).school_id)
    found = []
    for e in events:
        if is_charge(e) and (since is None or e.local_date >= since.isoformat()):
            ev = evidence_on(ledger, school, as_charge(e), events)
            if ev.flags:
                found.append(ev)
    return found


@dataclass(frozen=True)
class Disputed:
    evidence: Evidence
    position: int


def dispute_charge(ledger: Ledger, account_id: UUID, charge_key: str, claim: str) -> Disputed:
    """A parent contests a charge; the evidence and its flags are recorded with the claim."""

    def attempt() -> Disputed:
        found = dispute_evidence(ledger, account_id, charge_key)
        account = ledger.account(account_id)
        account.dispute_charge(found.charge, claim, found.flags)
        return Disputed(found, position(ledger.save(account)))

    return retry(attempt)


def reverse_charge(ledger: Ledger, account_id: UUID, charge_key: str, note: str = "") -> int:
    """The decision for the parent: the charge goes back to the wallets it came from."""
    return ledger._on_account(account_id, lambda a: a.reverse_charge(charge_key, note))


def reject_dispute(ledger: Ledger, account_id: UUID, charge_key: str, reason: str) -> int:
    return ledger._on_account(account_id, lambda a: a.reject_dispute(charge_key, reason))


def set_school_calendar(
    ledger: Ledger, school_id: UUID, weekend_days: list[int], holidays: list[str]
) -> int:
    return ledger._on_school(
        school_id, lambda s: s.set_calendar(weekend_days, holidays, s.local_date(ledger.clock()))
    )


# Refunds


def request_refund(
    ledger: Ledger,
    account_id: UUID,
    destination: str = RefundDestination.ORIGINAL_METHOD,
    destination_ref: str = "",
    *,
    fee_free: bool = False,
    reason: str = "parent_request",
) -> int:
    """Return the regular wallet; to the original method means to the last top-up's payment."""
    if destination == RefundDestination.ORIGINAL_METHOD and not destination_ref:
        paid = [e for e in account_events(ledger, account_id) if isinstance(e, Account.ToppedUp)]
        destination_ref = f"payment:{paid[-1].payment_id}" if paid else ""
    return ledger._on_account(
        account_id, lambda a: a.request_refund(destination, destination_ref, fee_free, reason)
    )


def approve_refund(ledger: Ledger, account_id: UUID) -> int:
    return ledger._on_account(account_id, lambda a: a.approve_refund())


def pay_refund(ledger: Ledger, account_id: UUID, payout_ref: str, close: bool = False) -> int:
    """Record the payout; the account ends at zero (and closed, when asked)."""
    return ledger._on_account(account_id, lambda a: a.pay_refund(payout_ref, close))


def accounts_opened(ledger: Ledger) -> Iterator[Any]:
    """Every account's `Opened` event, from the log a page at a time (a report, not a hot
    path)."""
    start = 1
    topics = [Account.Opened.TOPIC]
    while page := ledger.recorder.select_notifications(start=start, limit=1000, topics=topics):
        yield from (ledger.mapper.to_domain_event(n) for n in page)
        start = page[-1].id + 1


def school_account_ids(ledger: Ledger, school_id: UUID) -> list[UUID]:
    """Every account opened at the school, from the log."""
    return [e.originator_id for e in accounts_opened(ledger) if e.school_id == school_id]


@dataclass(frozen=True)
class Termination:
    school_id: UUID
    refunds_opened: list[UUID]
    closed_at_zero: list[UUID]


def terminate_contract(ledger: Ledger, school_id: UUID, reason: str) -> Termination:
    """The school leaves: every account gets a fee-free, approved refund (or is closed at
    zero). Safe to run again: accounts already under way or closed are left alone."""

    def end_contract() -> None:
        school = ledger.school(school_id)
        school.terminate_contract(reason)
        ledger.save(school)

    retry(end_contract)
    opened, closed = [], []
    for account_id in school_account_ids(ledger, school_id):

        def attempt(account_id: UUID = account_id) -> str:
            account = ledger.account(account_id)
            if account.closed or account.refund_under_way:
                return "left"
            if account.regular == 0 and account.subsidised == 0:
                account.close("contract_terminated")
                ledger.save(account)
                return "closed"
            account.request_refund(
                RefundDestination.ORIGINAL_METHOD, "", True, "contract_terminated"
            )
            account.approve_refund()
            ledger.save(account)
            return "opened"

        outcome = retry(attempt)
        if outcome == "opened":
            opened.append(account_id)
        elif outcome == "closed":
            closed.append(account_id)
    return Termination(school_id, opened, closed)


@dataclass(frozen=True)
class Unreturned:
    account_id: UUID
    contract_number: str
    school_id: UUID
    regular: int
    subsidised: int
    refund_status: str | None
    since: datetime | None  # when the refund was requested (None: never asked for)
    waiting_days: int


def unreturned_balances(
    ledger: Ledger, now: datetime, school_id: UUID | None = None
) -> list[Unreturned]:
    """Money not yet given back: refunds under way, and every account of a terminated
    school still holding a balance, with how long it has been waiting."""
    found = []
    for opened in accounts_opened(ledger):
        if school_id is not None and opened.school_id != school_id:
            continue
        a = ledger.account(opened.originator_id)
        if a.closed:
            continue
        pending = a.refund_under_way
        if not pending and not getattr(ledger.school(a.school_id), "terminated", False):
            continue
        since = a.refund["requested_at"] if pending and a.refund else None
        waited = (now - since).days if since else 0
        found.append(
            Unreturned(a.id, a.contract_number, a.school_id, a.regular, a.subsidised,
                       a.refund_status, since, waited)
        )  # fmt: skip
    return sorted(found, key=lambda u: -u.waiting_days)
