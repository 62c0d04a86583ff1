"""What every part of the account reads: its state, its base event, and the checks they share.

The parts (`cards`, `money`, `taps`, `tariff`, `notifications`, `disputes`, `closing`) each
hold one concern's events and decisions on a subclass of `AccountState`; `Account`
(`domain/account/__init__.py`) is all of them at once. eventsourcing redefines every part's
events on `Account` (`Account.CardIssued`, …) and registers them under their explicit TOPICs,
so the stored topics are those of the one aggregate the account always was.
"""

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.errors import AccountClosedError, UnknownCardError
from domain.fees import TariffHistory
from domain.kinds import CardState
from domain.money import RUBLE
from domain.recorded import Recorded

DEFAULT_DAILY_LIMIT = 200 * RUBLE
SPENT_DAYS_KEPT = 8


class AccountState(Recorded):
    """The account's state, as the events' `apply` methods assign it (no TOPIC: a part)."""

    class Event(Recorded.Event):
        TOPIC = "infoshkola.account.Event"
        actor: str

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        contract_number: str
        school_id: UUID
        class_name: str
        pupil_ref: str
        parent_ref: str
        regular: int
        subsidised: int
        cards: dict[str, str]
        offer_accepted: bool
        parent_phone_ref: str | None
        tariff: str
        daily_limit: int
        spent: dict[str, int]
        kind_spent: dict[str, Any]  # per terminal kind, latest day (domain/protection.py)
        subsidy: dict[str, Any] | None
        closed: bool
        blocked_at: dict[str, datetime]
        service_only: bool
        contact_ref: str | None
        low_balance_threshold: int
        fee_debt: int
        tariff_history: TariffHistory
        disputes: dict[str, dict[str, Any]]
        refund: dict[str, Any] | None
        erased: bool

    def check_open(self) -> None:
        if self.closed:
            raise AccountClosedError(f"account {self.contract_number} is closed")

    def card_state(self, uid: str) -> CardState:
        try:
            return CardState(self.cards[uid])
        except KeyError:
            raise UnknownCardError(f"card {uid} does not belong to this account") from None

    @property
    def live_cards(self) -> list[str]:
        return [uid for uid, state in self.cards.items() if state != CardState.BLOCKED]

    def spent_on(self, day: date) -> int:
        return self.spent.get(day.isoformat(), 0)

    @property
    def refund_status(self) -> str | None:
        refund = getattr(self, "refund", None)
        return str(refund["status"]) if refund else None

    @property
    def refund_under_way(self) -> bool:
        """A refund requested or approved, not yet paid."""
        return self.refund_status in ("requested", "approved")


class CreditsRegular(AccountState.Event):
    """An account event that pays `amount` into the regular wallet (a top-up, a transfer in)."""

    amount: int

    def apply(self, a: AccountState) -> None:
        a.regular += self.amount


class DebitsRegular(AccountState.Event):
    """An account event that takes `amount` out of the regular wallet (a fee, a transfer out)."""

    amount: int

    def apply(self, a: AccountState) -> None:
        a.regular -= self.amount


class ReturnsToWallets(AccountState.Event):
    """An account event that gives money back to the wallets it was taken from (a reversed
    charge, a cancelled pre-order)."""

    to_regular: int
    to_subsidised: int

    def apply(self, a: AccountState) -> None:
        a.regular += self.to_regular
        a.subsidised += self.to_subsidised


def kind_spent_after(a: "AccountState", day: str, kind: str, amount: int) -> dict[str, Any]:
    """Spend per terminal kind on the latest school-local date (the parents' category limits);
    a late offline tap of an earlier date changes nothing here."""
    spent: dict[str, Any] = a.__dict__.get("kind_spent", {})
    if spent.get("day", "") > day:
        return spent
    if spent.get("day") != day:
        spent = {"day": day}
    return {**spent, kind: spent.get(kind, 0) + amount}


def spent_after(spent: dict[str, int], day: str, amount: int) -> dict[str, int]:
    """Regular spend per school-local date, keeping only the most recent days."""
    updated = {**spent, day: spent.get(day, 0) + amount}
    newest = max(updated)
    cutoff = (date.fromisoformat(newest) - timedelta(days=SPENT_DAYS_KEPT)).isoformat()
    return {d: v for d, v in updated.items() if d > cutoff}
