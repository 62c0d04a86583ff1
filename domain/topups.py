"""Commands of parent-started top-ups (rules in `domain.topup`), over the `Ledger`.

Starting records the `CardPayment` with its quote; the acquirer is asked by the caller (an
adapter) for a payment page. Settling is the webhook's: a success credits the account with
the quoted commission and records the `Payment` in the same transaction, so a repeated
webhook credits nothing more.
"""

from uuid import UUID

from domain.ledger import Ledger
from domain.top_up_request import Settled, SettleRequest
from domain.topup import CardPayment, Quote, new_payment_id, quote


class TopUps:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    def quote(self, account_id: UUID, amount: int, channel: str) -> Quote:
        account = self.ledger.account(account_id)
        account.check_open()
        school = self.ledger.school(account.school_id)
        day = school.local_date(self.ledger.clock())
        return quote(amount, channel, school, self.ledger.commission_rates, day)

    def start(self, account_id: UUID, amount: int, channel: str) -> tuple[CardPayment, int]:
        q = self.quote(account_id, amount, channel)
        payment = CardPayment.start(new_payment_id(), account_id, q)
        return payment, self.ledger._position(self.ledger.save(payment))

    def payment(self, payment_id: str) -> CardPayment:
        return self.ledger.card_payment(payment_id)

    def settle(self, payment_id: str, succeeded: bool, charged: int, reason: str = "") -> Settled:
        """The acquirer's verdict: once; a success credits the quoted amount."""

        result = self.ledger.handle_top_up(SettleRequest(payment_id, succeeded, charged, reason))
        assert isinstance(result, Settled)
        return result
