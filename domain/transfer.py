"""A transfer (перевод) between siblings: money moved from one child's regular wallet to
another's, as one command over both accounts.

`TransferSent` on the source and `TransferReceived` on the target are saved in one
transaction (`Ledger.save(source, target)`), each with its account's version check: a tap
saved on either account meanwhile makes the save conflict, and the transfer is decided again
on the new balances (`domain/retries.py`). So it happens entirely or not at all, the sum of
the two balances does not change, and the source never goes below zero by it (the meal
overdraft is for meals at the canteen, not for transfers). The subsidised wallet never
moves: it pays for that child's meals only.

Who may transfer (the same parent login holding both contracts) is the API's check
(`api/graphql/plan.py`): logins are identity's, not the ledger's.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from eventsourcing.utils import register_topic

from domain.account import Account
from domain.errors import InsufficientFundsError, InvalidCommandError
from domain.fields import check_amount
from domain.money import MAX_TOP_UP

if TYPE_CHECKING:
    from domain.ledger import Ledger

MAX_TRANSFER = MAX_TOP_UP


class TransferSent(Account.Event):
    TOPIC = "infoshkola.account.TransferSent"
    transfer_id: str
    to_account_id: UUID
    to_contract: str
    amount: int

    def apply(self, a: Account) -> None:
        a.regular -= self.amount


class TransferReceived(Account.Event):
    TOPIC = "infoshkola.account.TransferReceived"
    transfer_id: str
    from_account_id: UUID
    from_contract: str
    amount: int

    def apply(self, a: Account) -> None:
        a.regular += self.amount


for _event in (TransferSent, TransferReceived):
    register_topic(_event.TOPIC, _event)


@dataclass(frozen=True)
class Transferred:
    transfer_id: str
    amount: int
    from_regular_after: int
    to_regular_after: int
    position: int


def move(source: Account, target: Account, amount: int, transfer_id: str) -> None:
    """Record both halves of the transfer on the two accounts (saved together by the caller)."""
    amount = check_amount(amount, what="a transfer", maximum=MAX_TRANSFER)
    if source.id == target.id:
        raise InvalidCommandError("a transfer goes to another child's account")
    source.check_open()
    target.check_open()
    if source.regular < amount:
        raise InsufficientFundsError(
            f"{source.contract_number} has {max(source.regular, 0)} kopecks to transfer, "
            f"not {amount}"
        )
    source.trigger_event(
        TransferSent,
        transfer_id=transfer_id,
        to_account_id=target.id,
        to_contract=target.contract_number,
        amount=amount,
    )
    target.trigger_event(
        TransferReceived,
        transfer_id=transfer_id,
        from_account_id=source.id,
        from_contract=source.contract_number,
        amount=amount,
    )


def transfer(ledger: "Ledger", from_account: UUID, to_account: UUID, amount: int) -> Transferred:
    """Move `amount` kopecks between two accounts, atomically; retried on a version conflict."""
    check_amount(amount, what="a transfer", maximum=MAX_TRANSFER)
    transfer_id = uuid4().hex

    def attempt() -> Transferred:
        source, target = ledger.account(from_account), ledger.account(to_account)
        move(source, target, amount, transfer_id)
        position = ledger._position(ledger.save(source, target))
        return Transferred(transfer_id, amount, source.regular, target.regular, position)

    return ledger._retry(attempt)
