"""Autopayment (автоплатёж): a parent's standing order to top an account up by bank card.

Two rules: a fixed monthly top-up on a day of the month, or a threshold rule "top up to
`amount` when the balance is below `below`". Each run belongs to a period ("YYYY-MM" for the
monthly rule, the school-local date for the threshold rule); a period's payment is requested
once, under a payment id derived from (schedule, period), so a re-run reuses it.

A rule pays by one of the parent's saved cards (`adapters/people.py`); its events name the
card by its id, never the acquirer's token, which the worker looks up at charge time. Rules set
up before saved cards existed stored the token itself (`card_token`, class version 1): they
replay as `card_id = "legacy:<token>"`, keep charging that token, and take a saved card the
next time their terms change (a legacy reference is never written into a new event).
A rule in force changes its card alone (`change_card`: `CardChanged`), to another of the
parent's saved cards; its next run charges that card.
"""

from collections.abc import Collection
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID, uuid4

from domain.errors import ConflictError, InvalidAmountError, InvalidCommandError
from domain.fields import IDENT, REASON, check_amount, scrub, text, whole_within
from domain.kinds import AutopayKind, AutopayState
from domain.money import MAX_TOP_UP
from domain.recorded import AssignsFields, Recorded, derived_id

MONTHLY, THRESHOLD = AutopayKind.MONTHLY, AutopayKind.THRESHOLD
REQUESTS_KEPT = 400
LEGACY = "legacy:"  # a v1 rule's card: the token its events stored, kept only in memory


def autopay_payment_id(schedule_id: UUID, period: str) -> str:
    return f"autopay:{schedule_id}:{period}"


class PeriodPayment(Recorded.Event):
    """A period's payment asked of the acquirer (the events of `Autopayment` redefine it)."""

    period: str
    payment_id: str
    amount: int

    def entry(self, failed: bool | None) -> dict[str, Any]:
        return {"payment_id": self.payment_id, "amount": self.amount, "failed": failed}


class Terms(NamedTuple):
    """What a rule pays and when, as `check_terms` accepts them (unused ones are 0)."""

    amount: int
    below: int
    day: int
    card_id: str


class TermsSet(AssignsFields, Recorded.Event):
    """A rule's terms, as the rule keeps them (the events of `Autopayment` redefine it).

    Version 2 names the saved card (`card_id`); version 1 stored the acquirer's token."""

    amount: int
    below: int
    day: int
    card_id: str

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        state["card_id"] = LEGACY + str(state.pop("card_token"))


class Autopayment(Recorded):
    TOPIC = "infoshkola.autopay.Autopayment"

    class Scheduled(TermsSet, Recorded.Created):
        TOPIC = "infoshkola.autopay.Scheduled"
        account_id: UUID
        kind: str

        def apply(self, a: "Autopayment") -> None:
            super().apply(a)
            a.active = True
            a.requests = {}

    class PaymentRequested(PeriodPayment):
        TOPIC = "infoshkola.autopay.PaymentRequested"

        def apply(self, a: "Autopayment") -> None:
            requests = {**a.requests, self.period: self.entry(failed=None)}
            a.requests = dict(list(requests.items())[-REQUESTS_KEPT:])

    class PaymentFailed(PeriodPayment):
        TOPIC = "infoshkola.autopay.PaymentFailed"
        reason: str

        def apply(self, a: "Autopayment") -> None:
            a.requests = {**a.requests, self.period: self.entry(failed=True)}

    class Cancelled(Recorded.Event):
        TOPIC = "infoshkola.autopay.Cancelled"
        reason: str

        def apply(self, a: "Autopayment") -> None:
            a.active = False
            a.on_hold = False

    class Changed(TermsSet):
        """New terms; a cancelled rule set up again runs from now on."""

        TOPIC = "infoshkola.autopay.Changed"

        def apply(self, a: "Autopayment") -> None:
            super().apply(a)
            a.active = not a.__dict__.get("on_hold", False)

    class CardChanged(AssignsFields, Recorded.Event):
        """The rule pays by another of the parent's saved cards from its next run."""

        TOPIC = "infoshkola.autopay.CardChanged"
        card_id: str

    class Paused(Recorded.Event):
        TOPIC = "infoshkola.autopay.Paused"

        def apply(self, a: "Autopayment") -> None:
            a.active, a.on_hold = False, True

    class Resumed(Recorded.Event):
        TOPIC = "infoshkola.autopay.Resumed"

        def apply(self, a: "Autopayment") -> None:
            a.active, a.on_hold = True, False

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        account_id: UUID
        kind: str
        amount: int
        below: int
        day: int
        card_id: str  # a saved card's id, or `LEGACY` + token for a rule from before them
        active: bool
        on_hold: bool  # paused (absent before pausing existed)
        requests: dict[str, dict[str, Any]]

    @classmethod
    def schedule(
        cls,
        account_id: UUID,
        kind: str,
        amount: int,
        below: int,
        day: int,
        card_id: str,
        schedule_id: UUID | None = None,
    ) -> "Autopayment":
        """`monthly`: `amount` on `day` (1..28); `threshold`: up to `amount` when below `below`;
        paid by the saved card `card_id`."""
        terms = check_terms(kind, amount, below, day, card_id)
        return cls._create(
            cls.Scheduled,
            id=schedule_id or uuid4(),
            account_id=account_id,
            kind=str(kind),  # a plain string in the event, as ever
            **terms._asdict(),
        )

    def request(self, period: str, balance: int) -> dict[str, Any] | None:
        """The payment for `period`: the one already requested, a new one, or None if not due."""
        if period in self.requests:
            return self.requests[period]
        if not self.active:
            return None
        if self.kind == THRESHOLD:
            if balance >= self.below:
                return None
            amount = self.amount - balance
        else:
            amount = self.amount
        check_amount(amount, what="autopayment", maximum=MAX_TOP_UP)
        payment_id = autopay_payment_id(self.id, period)
        self.trigger_event(
            self.PaymentRequested, period=period, payment_id=payment_id, amount=amount
        )
        return self.requests[period]

    def record_failure(self, period: str, reason: str) -> None:
        if period not in self.requests:
            raise InvalidCommandError(f"no autopayment was requested for {period}")
        entry = self.requests[period]
        if not entry["failed"]:
            self.trigger_event(
                self.PaymentFailed,
                period=period,
                payment_id=entry["payment_id"],
                amount=entry["amount"],
                reason=scrub(reason, REASON),  # the bank's words: made safe, not refused
            )

    def cancel(self, reason: str) -> None:
        reason = text(reason, REASON, what="why the autopayment ends")
        if self.active or self.paused:
            self.trigger_event(self.Cancelled, reason=reason)

    @property
    def paused(self) -> bool:
        return bool(self.__dict__.get("on_hold", False))

    @property
    def terms(self) -> Terms:
        return Terms(self.amount, self.below, self.day, self.card_id)

    @property
    def legacy_token(self) -> str | None:
        """The token a rule from before saved cards stored, until it takes a saved card."""
        return self.card_id.removeprefix(LEGACY) if self.card_id.startswith(LEGACY) else None

    @property
    def saved_card_id(self) -> UUID | None:
        return None if self.legacy_token is not None else UUID(self.card_id)

    @property
    def state(self) -> AutopayState:
        if self.active:
            return AutopayState.ACTIVE
        return AutopayState.PAUSED if self.paused else AutopayState.CANCELLED

    def change(self, amount: int, below: int, day: int, card_id: str) -> None:
        """New terms (a cancelled rule comes back into force with them). A legacy rule's
        card is refused here: its new terms name a saved card."""
        terms = check_terms(self.kind, amount, below, day, card_id)
        if terms != self.terms or self.state == AutopayState.CANCELLED:
            self.trigger_event(self.Changed, **terms._asdict())

    def change_card(self, card_id: str, saved_cards: Collection[str]) -> None:
        """Pay by the saved card `card_id` from the next run: one of `saved_cards` (the ids
        of the cards the parent saved for this account). A cancelled rule is set up again
        instead; a paused one takes the card for when it resumes."""
        if self.state == AutopayState.CANCELLED:
            raise AutopayStateError("a cancelled autopayment is set up again, not changed")
        card_id = check_card_id(card_id)
        if card_id not in {check_card_id(c) for c in saved_cards}:
            raise NoSavedCardError("the card is not one of the parent's saved cards")
        if card_id != self.card_id:
            self.trigger_event(self.CardChanged, card_id=card_id)

    def pause(self) -> None:
        if self.state == AutopayState.CANCELLED:
            raise InvalidCommandError("a cancelled autopayment cannot be paused")
        if self.active:
            self.trigger_event(self.Paused)

    def resume(self) -> None:
        if self.state == AutopayState.CANCELLED:
            raise InvalidCommandError("a cancelled autopayment is set up again, not resumed")
        if self.paused:
            self.trigger_event(self.Resumed)


def check_terms(kind: str, amount: int, below: int, day: int, card_id: str) -> Terms:
    check_amount(amount, what="autopayment", maximum=MAX_TOP_UP)
    if kind == MONTHLY:
        if not whole_within(day, 1, 28):
            raise InvalidCommandError("a monthly autopayment runs on a day 1..28")
        below = 0
    elif kind == THRESHOLD:
        if not whole_within(below, 1, amount - 1):
            raise InvalidAmountError("a threshold rule tops up to more than its threshold")
        day = 0
    else:
        raise InvalidCommandError(f"{kind!r} is not an autopayment rule")
    return Terms(amount, below, day, check_card_id(card_id))


class NoSavedCardError(InvalidCommandError):
    code = "unknown_saved_card"


class AutopayStateError(ConflictError):
    code = "autopay_state"


def check_card_id(card_id: object) -> str:
    """A saved card's id (a UUID), as the rule's events store it."""
    given = text(card_id, IDENT, what="the saved card")
    try:
        return str(UUID(given))
    except ValueError:
        raise NoSavedCardError("choose one of the saved cards") from None


def parent_autopay_id(account_id: UUID, kind: str) -> UUID:
    """A parent's rule of each kind: one per account, found again by its derived id."""
    return derived_id("autopay", account_id, kind)
