"""The end of an account: a refund of what it holds, closing at zero, and the record of
personal data erased (152-FZ)."""

from domain.account.state import AccountState
from domain.errors import InsufficientFundsError, InvalidCommandError, RefundError
from domain.fields import IDENT, REASON, REF, text
from domain.kinds import RefundDestination

REFUND_DESTINATIONS = tuple(d.value for d in RefundDestination)


class Closing(AccountState):
    class RefundRequested(AccountState.Event):
        """Return the regular wallet: to the original payment method or to bank details
        (a personal-data reference, never the details themselves)."""

        TOPIC = "infoshkola.account.RefundRequested"
        amount: int
        destination: str
        destination_ref: str
        fee_free: bool
        reason: str

        def apply(self, a: AccountState) -> None:
            a.refund = {
                "status": "requested",
                "requested_at": self.timestamp,
                "destination": self.destination,
                "fee_free": self.fee_free,
                "reason": self.reason,
            }

    class RefundApproved(AccountState.Event):
        TOPIC = "infoshkola.account.RefundApproved"

        def apply(self, a: AccountState) -> None:
            a.refund = {**a.refund, "status": "approved"} if a.refund else None

    class RefundPaid(AccountState.Event):
        """Paid out: the regular wallet goes to the parent, the subsidised one back to the
        budget that funded it; the account is at zero."""

        TOPIC = "infoshkola.account.RefundPaid"
        payout_ref: str
        amount: int
        subsidised_returned: int

        def apply(self, a: AccountState) -> None:
            a.regular -= self.amount
            a.subsidised -= self.subsidised_returned
            a.refund = (
                {**a.refund, "status": "paid", "payout_ref": self.payout_ref} if a.refund else None
            )

    class AccountClosed(AccountState.Event):
        TOPIC = "infoshkola.account.AccountClosed"
        reason: str

        def apply(self, a: AccountState) -> None:
            a.closed = True

    class PersonalDataErased(AccountState.Event):
        """The act of destruction (152-FZ): which subject references were erased, not what."""

        TOPIC = "infoshkola.account.PersonalDataErased"
        subject_refs: list[str]
        photos: int
        basis: str

        def apply(self, a: AccountState) -> None:
            a.erased = True

    def request_refund(
        self, destination: str, destination_ref: str, fee_free: bool, reason: str
    ) -> None:
        self.check_open()
        if self.refund_under_way:
            raise RefundError("a refund of this account is already under way")
        if destination not in REFUND_DESTINATIONS:
            raise InvalidCommandError(f"a refund goes to one of {REFUND_DESTINATIONS}")
        to_bank = destination == RefundDestination.BANK_DETAILS
        if destination_ref or to_bank:
            destination_ref = text(destination_ref, REF, what="where the refund goes")
        reason = text(reason, REASON, what="a refund's reason")
        if to_bank and not destination_ref.startswith("subject:"):
            raise InvalidCommandError("bank details are personal data: pass a 'subject:…' ref")
        if not fee_free and self.regular <= 0:
            raise InsufficientFundsError("there is nothing to refund on the regular wallet")
        self.trigger_event(
            self.RefundRequested,
            amount=self.regular,
            destination=str(destination),
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
