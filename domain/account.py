"""Account (учётный счёт): a pupil's money, cards, tariff and limits, one per contract.

Commands validate and then record a past-tense event; each event's `apply` only assigns.
"""

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.dispute import Charge
from domain.errors import (
    AccountClosedError,
    CardStateError,
    DisputeError,
    InsufficientFundsError,
    InvalidAmountError,
    InvalidCommandError,
    RefundError,
    SubsidyError,
    TooManyActiveCardsError,
    UnknownCardError,
)
from domain.fees import FeeQuote, TariffHistory, history_after
from domain.fields import CLAIM, CODE, IDENT, NOTE, REASON, REF, check_amount, text
from domain.kinds import CardState, Channel, DeclineReason, Direction, Outcome, Tariff
from domain.money import DEFAULT_OFFLINE_CAP, MAX_DAILY_LIMIT, MAX_TOP_UP, RUBLE
from domain.offline import offline_reason
from domain.purchase import Split, regular_covers, split_payment
from domain.recorded import Recorded, current_actor
from domain.tap import TapContext, TapDecision

MAX_LIVE_CARDS = 2
ACTIVATION_MIN_DEPOSIT = 100 * RUBLE
DUPLICATE_CARD_FEE = 50 * RUBLE
DEFAULT_DAILY_LIMIT = 200 * RUBLE
SPENT_DAYS_KEPT = 8
REFUND_DESTINATIONS = ("original_method", "bank_details")


class Account(Recorded):
    TOPIC = "infoshkola.account.Account"

    class Event(Recorded.Event):
        TOPIC = "infoshkola.account.Event"
        actor: str

    class Created(Recorded.Created):
        TOPIC = "infoshkola.account.Created"

    class Snapshot(BaseSnapshot):
        TOPIC = "infoshkola.account.Snapshot"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(snapshot: dict[str, Any]) -> None:
            """Snapshots from before notifications and fees: their defaults; the tariff
            history starts with the current tariff at the opening (earlier changes unknown)."""
            a = snapshot["state"]
            a.setdefault("service_only", False)
            a.setdefault("contact_ref", None)
            a.setdefault("low_balance_threshold", 0)
            a.setdefault("fee_debt", 0)
            a.setdefault("tariff_history", history_after([], a["_created_on"], a["tariff"]))

    class Opened(Created):
        TOPIC = "infoshkola.account.Opened"
        actor: str
        contract_number: str
        school_id: UUID
        class_name: str
        pupil_ref: str
        parent_ref: str

        def apply(self, a: "Account") -> None:
            a.contract_number = self.contract_number
            a.school_id = self.school_id
            a.class_name = self.class_name
            a.pupil_ref, a.parent_ref = self.pupil_ref, self.parent_ref
            a.regular, a.subsidised = 0, 0
            a.cards = {}
            a.offer_accepted, a.parent_phone_ref = False, None
            a.tariff, a.daily_limit = Tariff.ZERO.value, DEFAULT_DAILY_LIMIT
            a.spent = {}
            a.subsidy = None
            a.closed = False
            a.blocked_at = {}
            a.service_only, a.contact_ref = False, None
            a.low_balance_threshold, a.fee_debt = 0, 0
            a.tariff_history = history_after([], self.timestamp, Tariff.ZERO.value)
            a.disputes, a.refund, a.erased = {}, None, False

    class CardIssued(Event):
        TOPIC = "infoshkola.account.CardIssued"
        uid: str
        state: str

        def apply(self, a: "Account") -> None:
            a.cards[self.uid] = self.state

    class CardActivated(Event):
        TOPIC = "infoshkola.account.CardActivated"
        uid: str
        offer_version: str
        parent_phone_ref: str

        def apply(self, a: "Account") -> None:
            a.cards[self.uid] = CardState.ACTIVE.value
            a.offer_accepted, a.parent_phone_ref = True, self.parent_phone_ref

    class CardBlocked(Event):
        TOPIC = "infoshkola.account.CardBlocked"
        uid: str
        reason: str

        def apply(self, a: "Account") -> None:
            a.cards[self.uid] = CardState.BLOCKED.value
            a.blocked_at = {**a.blocked_at, self.uid: self.timestamp}

    class CardUnblocked(Event):
        """Support returned a blocked card to service (found again, blocked by mistake)."""

        TOPIC = "infoshkola.account.CardUnblocked"
        uid: str
        state: str
        reason: str

        def apply(self, a: "Account") -> None:
            a.cards[self.uid] = self.state
            a.blocked_at = {k: v for k, v in a.blocked_at.items() if k != self.uid}

    class DuplicateCardOrdered(Event):
        TOPIC = "infoshkola.account.DuplicateCardOrdered"
        blocked_uid: str
        new_uid: str
        new_state: str
        fee: int

        def apply(self, a: "Account") -> None:
            a.cards[self.new_uid] = self.new_state
            a.regular -= self.fee

    class ToppedUp(Event):
        TOPIC = "infoshkola.account.ToppedUp"
        amount: int
        channel: str
        commission: int
        commission_rate: str
        payment_id: str
        terminal_id: UUID | None

        def apply(self, a: "Account") -> None:
            a.regular += self.amount

    class TariffChanged(Event):
        TOPIC = "infoshkola.account.TariffChanged"
        tariff: str
        previous: str

        def apply(self, a: "Account") -> None:
            a.tariff = self.tariff
            a.tariff_history = history_after(a.tariff_history, self.timestamp, self.tariff)

    class DailyLimitChanged(Event):
        TOPIC = "infoshkola.account.DailyLimitChanged"
        limit: int
        previous: int

        def apply(self, a: "Account") -> None:
            a.daily_limit = self.limit

    class SubsidyGranted(Event):
        TOPIC = "infoshkola.account.SubsidyGranted"
        basis: str
        daily_allowance: int

        def apply(self, a: "Account") -> None:
            a.subsidy = {"basis": self.basis, "daily_allowance": self.daily_allowance}

    class SubsidyRevoked(Event):
        TOPIC = "infoshkola.account.SubsidyRevoked"
        reason: str

        def apply(self, a: "Account") -> None:
            a.subsidy = None

    class SubsidyCredited(Event):
        TOPIC = "infoshkola.account.SubsidyCredited"
        amount: int
        period: str

        def apply(self, a: "Account") -> None:
            a.subsidised += self.amount

    class PurchaseApproved(Event):
        TOPIC = "infoshkola.account.PurchaseApproved"
        tap_id: str
        terminal_id: UUID
        terminal_kind: str
        card_uid: str
        tapped_at: datetime
        local_date: str
        items: list[dict[str, Any]]
        amount: int
        from_regular: int
        from_subsidised: int

        def apply(self, a: "Account") -> None:
            a.regular -= self.from_regular
            a.subsidised -= self.from_subsidised
            a.spent = spent_after(a.spent, self.local_date, self.from_regular)
            a.kind_spent = kind_spent_after(a, self.local_date, self.terminal_kind, self.amount)

    class PurchaseDeclined(Event):
        TOPIC = "infoshkola.account.PurchaseDeclined"
        tap_id: str
        terminal_id: UUID
        terminal_kind: str
        card_uid: str
        tapped_at: datetime
        local_date: str
        items: list[dict[str, Any]]
        amount: int
        reason: str

        def apply(self, a: "Account") -> None:
            pass

    class OfflinePurchaseRecorded(Event):
        """A purchase made offline that would be declined online: the food was eaten.

        It is recorded anyway (the regular wallet may go below zero: the debt is visible),
        with the reason it would have been declined and whether the card was already blocked.
        """

        TOPIC = "infoshkola.account.OfflinePurchaseRecorded"
        tap_id: str
        terminal_id: UUID
        terminal_kind: str
        card_uid: str
        tapped_at: datetime
        local_date: str
        items: list[dict[str, Any]]
        amount: int
        from_regular: int
        from_subsidised: int
        online_reason: str
        after_block: bool

        def apply(self, a: "Account") -> None:
            a.regular -= self.from_regular
            a.subsidised -= self.from_subsidised
            a.spent = spent_after(a.spent, self.local_date, self.from_regular)
            a.kind_spent = kind_spent_after(a, self.local_date, self.terminal_kind, self.amount)

    class PassRecorded(Event):
        TOPIC = "infoshkola.account.PassRecorded"
        tap_id: str
        terminal_id: UUID
        card_uid: str
        tapped_at: datetime
        local_date: str
        direction: str

        def apply(self, a: "Account") -> None:
            pass

    class PassDenied(Event):
        TOPIC = "infoshkola.account.PassDenied"
        tap_id: str
        terminal_id: UUID
        card_uid: str
        tapped_at: datetime
        local_date: str
        direction: str
        reason: str

        def apply(self, a: "Account") -> None:
            pass

    # Notifications and fees (workers)

    class NotificationPreferencesChanged(Event):
        TOPIC = "infoshkola.account.NotificationPreferencesChanged"
        service_only: bool

        def apply(self, a: "Account") -> None:
            a.service_only = self.service_only

    class ContactChanged(Event):
        """Where messages go: a reference to the parent's personal data, never the data."""

        TOPIC = "infoshkola.account.ContactChanged"
        contact_ref: str

        def apply(self, a: "Account") -> None:
            a.contact_ref = self.contact_ref

    class LowBalanceThresholdSet(Event):
        TOPIC = "infoshkola.account.LowBalanceThresholdSet"
        threshold: int
        previous: int

        def apply(self, a: "Account") -> None:
            a.low_balance_threshold = self.threshold

    class TariffFeeCharged(Event):
        TOPIC = "infoshkola.account.TariffFeeCharged"
        period: str
        fee: int
        amount: int
        breakdown: list[dict[str, Any]]

        def apply(self, a: "Account") -> None:
            a.regular -= self.amount

    class FeeDebtRecorded(Event):
        TOPIC = "infoshkola.account.FeeDebtRecorded"
        period: str
        amount: int

        def apply(self, a: "Account") -> None:
            a.fee_debt += self.amount

    class FeeDebtCollected(Event):
        TOPIC = "infoshkola.account.FeeDebtCollected"
        amount: int

        def apply(self, a: "Account") -> None:
            a.regular -= self.amount
            a.fee_debt -= self.amount

    # Disputes, refunds, closing and erasure (rules in domain/dispute.py, domain/refund.py)

    class ChargeDisputed(Event):
        """A parent contests a charge; `flags` are what the history says against it."""

        TOPIC = "infoshkola.account.ChargeDisputed"
        charge: str
        tap_id: str
        terminal_id: UUID
        amount: int
        from_regular: int
        from_subsidised: int
        local_date: str
        claim: str
        flags: list[str]

        def apply(self, a: "Account") -> None:
            a.disputes = {
                **getattr(a, "disputes", {}),
                self.charge: {
                    "status": "open",
                    "from_regular": self.from_regular,
                    "from_subsidised": self.from_subsidised,
                    "local_date": self.local_date,
                },
            }

    class ChargeReversed(Event):
        """The disputed charge is given back to the wallets it was taken from."""

        TOPIC = "infoshkola.account.ChargeReversed"
        charge: str
        tap_id: str
        terminal_id: UUID
        amount: int
        to_regular: int
        to_subsidised: int
        local_date: str
        note: str

        def apply(self, a: "Account") -> None:
            a.regular += self.to_regular
            a.subsidised += self.to_subsidised
            if self.local_date in a.spent:
                a.spent = {**a.spent, self.local_date: a.spent[self.local_date] - self.to_regular}
            a.disputes = {
                **a.disputes,
                self.charge: {**a.disputes[self.charge], "status": "reversed"},
            }

    class DisputeRejected(Event):
        TOPIC = "infoshkola.account.DisputeRejected"
        charge: str
        reason: str

        def apply(self, a: "Account") -> None:
            a.disputes = {
                **a.disputes,
                self.charge: {**a.disputes[self.charge], "status": "rejected"},
            }

    class RefundRequested(Event):
        """Return the regular wallet: to the original payment method or to bank details
        (a personal-data reference, never the details themselves)."""

        TOPIC = "infoshkola.account.RefundRequested"
        amount: int
        destination: str
        destination_ref: str
        fee_free: bool
        reason: str

        def apply(self, a: "Account") -> None:
            a.refund = {
                "status": "requested",
                "requested_at": self.timestamp,
                "destination": self.destination,
                "fee_free": self.fee_free,
                "reason": self.reason,
            }

    class RefundApproved(Event):
        TOPIC = "infoshkola.account.RefundApproved"

        def apply(self, a: "Account") -> None:
            a.refund = {**a.refund, "status": "approved"} if a.refund else None

    class RefundPaid(Event):
        """Paid out: the regular wallet goes to the parent, the subsidised one back to the
        budget that funded it; the account is at zero."""

        TOPIC = "infoshkola.account.RefundPaid"
        payout_ref: str
        amount: int
        subsidised_returned: int

        def apply(self, a: "Account") -> None:
            a.regular -= self.amount
            a.subsidised -= self.subsidised_returned
            a.refund = (
                {**a.refund, "status": "paid", "payout_ref": self.payout_ref} if a.refund else None
            )

    class AccountClosed(Event):
        TOPIC = "infoshkola.account.AccountClosed"
        reason: str

        def apply(self, a: "Account") -> None:
            a.closed = True

    class PersonalDataErased(Event):
        """The act of destruction (152-FZ): which subject references were erased, not what."""

        TOPIC = "infoshkola.account.PersonalDataErased"
        subject_refs: list[str]
        photos: int
        basis: str

        def apply(self, a: "Account") -> None:
            a.erased = True

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

    @classmethod
    def open(
        cls, contract_number: str, school_id: UUID, class_name: str, pupil_ref: str, parent_ref: str
    ) -> "Account":
        return cls._create(
            cls.Opened,
            id=uuid4(),
            actor=current_actor.get(),
            contract_number=contract_number,
            school_id=school_id,
            class_name=text(class_name, CODE, what="a class"),
            pupil_ref=text(pupil_ref, REF, what="the pupil's reference"),
            parent_ref=text(parent_ref, REF, what="the parent's reference"),
        )

    # Cards

    def card_state(self, uid: str) -> CardState:
        try:
            return CardState(self.cards[uid])
        except KeyError:
            raise UnknownCardError(f"card {uid} does not belong to this account") from None

    @property
    def live_cards(self) -> list[str]:
        return [uid for uid, state in self.cards.items() if state != CardState.BLOCKED]

    def issue_card(self, uid: str) -> None:
        self.check_open()
        if uid in self.cards:
            raise CardStateError(f"card {uid} is already on this account")
        if len(self.live_cards) >= MAX_LIVE_CARDS:
            raise TooManyActiveCardsError(
                f"an account holds at most {MAX_LIVE_CARDS} cards that are not blocked"
            )
        state = CardState.ACTIVE if self.offer_accepted else CardState.ISSUED
        self.trigger_event(self.CardIssued, uid=uid, state=state.value)

    def activate_card(
        self, uid: str, offer_version: str, parent_phone_ref: str, deposit: int
    ) -> None:
        """Activation at the kiosk: the offer accepted, a parent phone, a first cash deposit."""
        self.check_open()
        if self.card_state(uid) != CardState.ISSUED:
            raise CardStateError(f"card {uid} is {self.cards[uid]}, not waiting for activation")
        offer_version = text(offer_version, CODE, what="the accepted offer's version")
        parent_phone_ref = text(parent_phone_ref, REF, what="the parent's phone reference")
        if deposit < ACTIVATION_MIN_DEPOSIT:
            raise InvalidAmountError(
                f"the first deposit must be at least {ACTIVATION_MIN_DEPOSIT} kopecks"
            )
        self.trigger_event(
            self.CardActivated,
            uid=uid,
            offer_version=offer_version,
            parent_phone_ref=parent_phone_ref,
        )

    def block_card(self, uid: str, reason: str) -> None:
        reason = text(reason, REASON, what="why the card is blocked")
        if self.card_state(uid) == CardState.BLOCKED:
            return
        self.trigger_event(self.CardBlocked, uid=uid, reason=reason)

    def unblock_card(self, uid: str, reason: str) -> None:
        self.check_open()
        if self.card_state(uid) != CardState.BLOCKED:
            raise CardStateError(f"card {uid} is not blocked")
        reason = text(reason, REASON, what="why the card is unblocked")
        if len(self.live_cards) >= MAX_LIVE_CARDS:
            raise TooManyActiveCardsError("block another card before unblocking this one")
        state = CardState.ACTIVE if self.offer_accepted else CardState.ISSUED
        self.trigger_event(self.CardUnblocked, uid=uid, state=state.value, reason=reason)

    def order_duplicate(self, blocked_uid: str, new_uid: str) -> None:
        """A new card replaces a blocked one, for a fee the regular wallet must cover."""
        self.check_open()
        if self.card_state(blocked_uid) != CardState.BLOCKED:
            raise CardStateError(f"card {blocked_uid} must be blocked before it is replaced")
        if new_uid in self.cards:
            raise CardStateError(f"card {new_uid} is already on this account")
        if len(self.live_cards) >= MAX_LIVE_CARDS:
            raise TooManyActiveCardsError("block another card before ordering a duplicate")
        if self.regular < DUPLICATE_CARD_FEE:
            raise InsufficientFundsError(
                f"a duplicate card costs {DUPLICATE_CARD_FEE} kopecks; top up the account first"
            )
        state = CardState.ACTIVE if self.offer_accepted else CardState.ISSUED
        self.trigger_event(
            self.DuplicateCardOrdered,
            blocked_uid=blocked_uid,
            new_uid=new_uid,
            new_state=state.value,
            fee=DUPLICATE_CARD_FEE,
        )

    # Money in

    def top_up(
        self,
        amount: int,
        channel: Channel,
        commission: int,
        commission_rate: str,
        payment_id: str,
        terminal_id: UUID | None = None,
    ) -> None:
        self.check_open()
        check_amount(amount, what="top-up", maximum=MAX_TOP_UP)
        payment_id = text(payment_id, IDENT, what="a payment id")
        self.trigger_event(
            self.ToppedUp,
            amount=amount,
            channel=channel.value,
            commission=commission,
            commission_rate=commission_rate,
            payment_id=payment_id,
            terminal_id=terminal_id,
        )

    def grant_subsidy(self, basis: str, daily_allowance: int) -> None:
        self.check_open()
        basis = text(basis, REASON, what="a subsidy's legal basis")
        check_amount(daily_allowance, what="daily allowance", maximum=MAX_DAILY_LIMIT)
        self.trigger_event(self.SubsidyGranted, basis=basis, daily_allowance=daily_allowance)

    def revoke_subsidy(self, reason: str) -> None:
        if self.subsidy is None:
            raise SubsidyError("this account has no subsidy to revoke")
        reason = text(reason, REASON, what="why the subsidy ends")
        self.trigger_event(self.SubsidyRevoked, reason=reason)

    def credit_subsidy(self, amount: int, period: str) -> None:
        self.check_open()
        if self.subsidy is None:
            raise SubsidyError("only an account with a subsidy can be credited")
        check_amount(amount, what="subsidy credit", maximum=MAX_TOP_UP)
        period = text(period, IDENT, what="a subsidy credit's period")
        self.trigger_event(self.SubsidyCredited, amount=amount, period=period)

    # Settings

    def change_tariff(self, tariff: str) -> None:
        try:
            new = Tariff(tariff).value
        except ValueError:
            raise InvalidCommandError(f"{tariff!r} is not a tariff") from None
        if new != self.tariff:
            self.trigger_event(self.TariffChanged, tariff=new, previous=self.tariff)

    def change_daily_limit(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise InvalidAmountError(f"daily limit must be whole kopecks, got {limit!r}")
        if not 0 <= limit <= MAX_DAILY_LIMIT:
            raise InvalidAmountError(f"daily limit must be within [0, {MAX_DAILY_LIMIT}]")
        if limit != self.daily_limit:
            self.trigger_event(self.DailyLimitChanged, limit=limit, previous=self.daily_limit)

    def change_notification_preferences(self, service_only: bool) -> None:
        """Parents may switch off everything but service messages."""
        if not isinstance(service_only, bool):
            raise InvalidCommandError("service_only is true or false")
        if service_only != self.service_only:
            self.trigger_event(self.NotificationPreferencesChanged, service_only=service_only)

    def change_contact(self, contact_ref: str) -> None:
        contact_ref = text(contact_ref, REF, what="a contact")
        if not contact_ref.startswith("subject:"):
            raise InvalidCommandError("a contact is a personal-data reference 'subject:…'")
        if contact_ref != self.contact_ref:
            self.trigger_event(self.ContactChanged, contact_ref=contact_ref)

    def set_low_balance_threshold(self, threshold: int) -> None:
        """Alert the parent when the regular balance falls below `threshold` (0 = never)."""
        if isinstance(threshold, bool) or not isinstance(threshold, int):
            raise InvalidAmountError(f"threshold must be whole kopecks, got {threshold!r}")
        if not 0 <= threshold <= MAX_TOP_UP:
            raise InvalidAmountError(f"threshold must be within [0, {MAX_TOP_UP}]")
        if threshold != self.low_balance_threshold:
            previous = self.low_balance_threshold
            self.trigger_event(self.LowBalanceThresholdSet, threshold=threshold, previous=previous)

    def charge_tariff_fee(self, quote: FeeQuote) -> None:
        """Take a month's fee from the regular wallet; what it cannot cover becomes a debt."""
        if quote.fee < 0:
            raise InvalidAmountError("a fee is never negative")
        if quote.fee == 0:
            return
        amount = min(quote.fee, max(self.regular, 0))
        self.trigger_event(
            self.TariffFeeCharged,
            period=quote.period,
            fee=quote.fee,
            amount=amount,
            breakdown=quote.breakdown,
        )
        if quote.fee > amount:
            self.trigger_event(self.FeeDebtRecorded, period=quote.period, amount=quote.fee - amount)

    def collect_fee_debt(self) -> None:
        """Take what the wallet can of an outstanding fee debt, never below zero."""
        amount = min(self.fee_debt, max(self.regular, 0))
        if amount > 0:
            self.trigger_event(self.FeeDebtCollected, amount=amount)

    # Disputes, refunds, closing, erasure

    def dispute_charge(self, charge: Charge, claim: str, flags: list[str]) -> None:
        disputes = getattr(self, "disputes", {})
        if charge.key in disputes:
            raise DisputeError(f"charge {charge.key} is already disputed")
        if charge.amount <= 0:
            raise DisputeError("only a charge that took money can be disputed")
        claim = text(claim, CLAIM, what="what is wrong with the charge")
        self.trigger_event(
            self.ChargeDisputed,
            charge=charge.key,
            tap_id=charge.tap_id,
            terminal_id=charge.terminal_id,
            amount=charge.amount,
            from_regular=charge.from_regular,
            from_subsidised=charge.from_subsidised,
            local_date=charge.local_date,
            claim=claim,
            flags=list(flags),
        )

    def reverse_charge(self, key: str, note: str) -> None:
        dispute = self._open_dispute(key)
        note = text(note, NOTE, what="a reversal's note")
        terminal_id, _, tap_id = key.partition("/")
        self.trigger_event(
            self.ChargeReversed,
            charge=key,
            tap_id=tap_id,
            terminal_id=UUID(terminal_id),
            amount=dispute["from_regular"] + dispute["from_subsidised"],
            to_regular=dispute["from_regular"],
            to_subsidised=dispute["from_subsidised"],
            local_date=dispute["local_date"],
            note=note,
        )

    def reject_dispute(self, key: str, reason: str) -> None:
        self._open_dispute(key)
        reason = text(reason, CLAIM, what="why the dispute is rejected")
        self.trigger_event(self.DisputeRejected, charge=key, reason=reason)

    def _open_dispute(self, key: str) -> dict[str, Any]:
        dispute = getattr(self, "disputes", {}).get(key)
        if dispute is None:
            raise DisputeError(f"charge {key} is not disputed")
        if dispute["status"] != "open":
            raise DisputeError(f"the dispute of charge {key} is already {dispute['status']}")
        return dict(dispute)

    def request_refund(
        self, destination: str, destination_ref: str, fee_free: bool, reason: str
    ) -> None:
        self.check_open()
        if self.refund_status in ("requested", "approved"):
            raise RefundError("a refund of this account is already under way")
        if destination not in REFUND_DESTINATIONS:
            raise InvalidCommandError(f"a refund goes to one of {REFUND_DESTINATIONS}")
        if destination_ref or destination == "bank_details":
            destination_ref = text(destination_ref, REF, what="where the refund goes")
        reason = text(reason, REASON, what="a refund's reason")
        if destination == "bank_details" and not destination_ref.startswith("subject:"):
            raise InvalidCommandError("bank details are personal data: pass a 'subject:…' ref")
        if not fee_free and self.regular <= 0:
            raise InsufficientFundsError("there is nothing to refund on the regular wallet")
        self.trigger_event(
            self.RefundRequested,
            amount=self.regular,
            destination=destination,
            destination_ref=destination_ref,
            fee_free=fee_free,
            reason=reason,
        )

    def approve_refund(self) -> None:
        if self.refund_status != "requested":
            raise RefundError("only a requested refund can be approved")
        self.trigger_event(self.RefundApproved)

    def pay_refund(self, payout_ref: str, close: bool) -> None:
        """Pay out what the wallet holds now; a debt is settled, not refunded."""
        if self.refund_status != "approved":
            raise RefundError("only an approved refund can be paid")
        payout_ref = text(payout_ref, IDENT, what="the payout reference")
        if self.regular < 0:
            raise InsufficientFundsError("the account owes money: settle the debt first")
        self.trigger_event(
            self.RefundPaid,
            payout_ref=payout_ref,
            amount=self.regular,
            subsidised_returned=max(self.subsidised, 0),
        )
        if close:
            self.trigger_event(self.AccountClosed, reason="refunded")

    def close(self, reason: str) -> None:
        self.check_open()
        if self.regular or self.subsidised:
            raise RefundError("an account is closed at zero: refund it first")
        reason = text(reason, REASON, what="why the account is closed")
        self.trigger_event(self.AccountClosed, reason=reason)

    def record_erasure(self, subject_refs: list[str], photos: int, basis: str) -> None:
        basis = text(basis, REASON, what="an erasure's legal basis")
        refs = sorted(text(r, REF, what="an erased subject") for r in subject_refs)
        self.trigger_event(self.PersonalDataErased, subject_refs=refs, photos=photos, basis=basis)

    @property
    def refund_status(self) -> str | None:
        refund = getattr(self, "refund", None)
        return str(refund["status"]) if refund else None

    # Taps

    def take_purchase(
        self, ctx: TapContext, meal_overdraft: int, refusal: DeclineReason | None = None
    ) -> TapDecision:
        """Decide a purchase at a paying terminal and record the approval or the decline."""
        items = ctx.request.items
        split = split_payment(items, self.subsidised, meals_count=ctx.kind == "canteen_pos")
        overdraft = meal_overdraft if ctx.kind == "canteen_pos" else 0
        reason = refusal or self._card_refusal(ctx, paying=True)
        reason = reason or self._money_refusal(split, ctx.local_date, overdraft)
        common: dict[str, Any] = {
            "tap_id": ctx.request.tap_id,
            "terminal_id": ctx.request.terminal_id,
            "terminal_kind": ctx.kind,
            "card_uid": ctx.request.card_uid,
            "tapped_at": ctx.request.tapped_at,
            "local_date": ctx.local_date.isoformat(),
            "items": [i.as_dict() for i in items],
            "amount": split.total,
        }
        if reason:
            self.trigger_event(self.PurchaseDeclined, reason=reason.value, **common)
            return ctx.decision(Outcome.DECLINED, reason=reason.value, **self._figures(ctx))
        self.trigger_event(
            self.PurchaseApproved,
            from_regular=split.from_regular,
            from_subsidised=split.from_subsidised,
            **common,
        )
        return ctx.decision(
            Outcome.APPROVED,
            amount=split.total,
            from_regular=split.from_regular,
            from_subsidised=split.from_subsidised,
            **self._figures(ctx),
        )

    def take_offline_purchase(
        self,
        ctx: TapContext,
        meal_overdraft: int,
        refusal: DeclineReason | None = None,
        offline_cap: int = DEFAULT_OFFLINE_CAP,
    ) -> TapDecision:
        """A purchase the reader allowed offline, arriving late: never declined after the fact
        (rules in `domain.offline`). Only what the terminal could not have been allowed to do
        (a revoked terminal, a closed account) is still declined.
        """
        if refusal or self.closed:
            return self.take_purchase(ctx, meal_overdraft, refusal)
        request = ctx.request
        blocked_at = self.blocked_at.get(request.card_uid)
        after_block = blocked_at is not None and request.tapped_at >= blocked_at
        state = self.card_state(request.card_uid)
        split = split_payment(request.items, self.subsidised, meals_count=ctx.kind == "canteen_pos")
        overdraft = meal_overdraft if ctx.kind == "canteen_pos" else 0
        reason = offline_reason(after_block, state, split.total, offline_cap)
        reason = reason or self._money_refusal(split, ctx.local_date, overdraft)
        event_class = self.PurchaseApproved if reason is None else self.OfflinePurchaseRecorded
        extra: dict[str, Any] = {}
        if reason is not None:
            extra = {"online_reason": reason.value, "after_block": after_block}
        self.trigger_event(
            event_class,
            tap_id=request.tap_id,
            terminal_id=request.terminal_id,
            terminal_kind=ctx.kind,
            card_uid=request.card_uid,
            tapped_at=request.tapped_at,
            local_date=ctx.local_date.isoformat(),
            items=[i.as_dict() for i in request.items],
            amount=split.total,
            from_regular=split.from_regular,
            from_subsidised=split.from_subsidised,
            **extra,
        )
        return ctx.decision(
            Outcome.APPROVED,
            reason=reason.value if reason else None,
            amount=split.total,
            from_regular=split.from_regular,
            from_subsidised=split.from_subsidised,
            offline=True,
            after_block=after_block,
            **self._figures(ctx),
        )

    def take_pass(self, ctx: TapContext, refusal: DeclineReason | None = None) -> TapDecision:
        """A turnstile pass moves no money; only a blocked card (or the terminal) stops it."""
        reason = refusal or self._card_refusal(ctx, paying=False)
        direction = ctx.request.direction or Direction.IN.value
        common: dict[str, Any] = {
            "tap_id": ctx.request.tap_id,
            "terminal_id": ctx.request.terminal_id,
            "card_uid": ctx.request.card_uid,
            "tapped_at": ctx.request.tapped_at,
            "local_date": ctx.local_date.isoformat(),
            "direction": direction,
        }
        if reason:
            self.trigger_event(self.PassDenied, reason=reason.value, **common)
            return ctx.decision(Outcome.DECLINED, reason=reason.value, account_id=str(self.id))
        self.trigger_event(self.PassRecorded, **common)
        return ctx.decision(Outcome.APPROVED, account_id=str(self.id))

    def spent_on(self, day: date) -> int:
        return self.spent.get(day.isoformat(), 0)

    def check_open(self) -> None:
        if self.closed:
            raise AccountClosedError(f"account {self.contract_number} is closed")

    def _tapped_before_block(self, ctx: TapContext) -> bool:
        """An offline tap arriving late that was made while the card was still valid."""
        blocked_at = self.blocked_at.get(ctx.request.card_uid)
        return ctx.request.offline and blocked_at is not None and ctx.request.tapped_at < blocked_at

    def _card_refusal(self, ctx: TapContext, *, paying: bool) -> DeclineReason | None:
        if self.closed:
            return DeclineReason.ACCOUNT_CLOSED
        state = self.card_state(ctx.request.card_uid)
        if state == CardState.BLOCKED and not self._tapped_before_block(ctx):
            return DeclineReason.CARD_BLOCKED
        if paying and state == CardState.ISSUED:
            return DeclineReason.CARD_NOT_ACTIVATED
        return None

    def _money_refusal(self, split: Split, day: date, overdraft: int) -> DeclineReason | None:
        if self.spent_on(day) + split.from_regular > self.daily_limit:
            return DeclineReason.DAILY_LIMIT
        if not regular_covers(self.regular, split, overdraft):
            return DeclineReason.INSUFFICIENT_FUNDS
        return None

    def _figures(self, ctx: TapContext) -> dict[str, Any]:
        return {
            "account_id": str(self.id),
            "regular_after": self.regular,
            "subsidised_after": self.subsidised,
            "spent_today": self.spent_on(ctx.local_date),
            "daily_limit": self.daily_limit,
        }


def kind_spent_after(a: "Account", day: str, kind: str, amount: int) -> dict[str, Any]:
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
