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
(`api/graphql/transfers.py`): logins are identity's, not the ledger's. A parent's request key
makes a transfer at-most-once (`TransferRecord`, saved in the same transaction).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID, uuid4

from domain.account import Account
from domain.account.state import CreditsRegular, DebitsRegular
from domain.errors import ConflictError, InsufficientFundsError, InvalidCommandError
from domain.fields import IDENT, check_amount, text
from domain.money import MAX_TOP_UP
from domain.recorded import AssignsFields, Recorded, derived_id, register_events

if TYPE_CHECKING:
    from domain.ledger import Ledger

MAX_TRANSFER = MAX_TOP_UP


class TransferSent(DebitsRegular, Account.Event):
    TOPIC = "infoshkola.account.TransferSent"
    transfer_id: str
    to_account_id: UUID
    to_contract: str


class TransferReceived(CreditsRegular, Account.Event):
    TOPIC = "infoshkola.account.TransferReceived"
    transfer_id: str
    from_account_id: UUID
    from_contract: str


register_events(TransferSent, TransferReceived)


class TransferConflictError(ConflictError):
    """The same idempotency key came again with other accounts or another amount."""

    code = "transfer_conflict"


class TransferRecord(Recorded):
    """A transfer made with a parent's idempotency key: its id derives from the source account
    and the key, and it is saved with the two accounts, so a repeated request (a double click,
    a retry after a lost answer) finds it and moves nothing more."""

    TOPIC = "infoshkola.transfer.TransferRecord"

    class Made(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.transfer.Made"
        transfer_id: str
        from_account_id: UUID
        to_account_id: UUID
        amount: int

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        transfer_id: str
        from_account_id: UUID
        to_account_id: UUID
        amount: int

    @classmethod
    def make(cls, record_id: UUID, source: UUID, target: UUID, amount: int) -> "TransferRecord":
        return cls._create(
            cls.Made,
            id=record_id,
            transfer_id=record_id.hex,
            from_account_id=source,
            to_account_id=target,
            amount=amount,
        )


@dataclass(frozen=True)
class Transferred:
    transfer_id: str
    amount: int
    from_regular_after: int
    to_regular_after: int
    position: int
    replayed: bool = False  # the key was used before: nothing moved this time


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


def transfer(
    ledger: "Ledger", from_account: UUID, to_account: UUID, amount: int, key: str | None = None
) -> Transferred:
    """Move `amount` kopecks between two accounts, atomically; retried on a version conflict.
    With `key`, at most once per source account and key."""
    check_amount(amount, what="a transfer", maximum=MAX_TRANSFER)
    record_id = None
    if key is not None:
        record_id = derived_id("transfer", from_account, text(key, IDENT, what="a request key"))
    transfer_id = record_id.hex if record_id else uuid4().hex

    def attempt() -> Transferred:
        source, target = ledger.account(from_account), ledger.account(to_account)
        record = None
        if record_id is not None:
            found = ledger._find(record_id, TransferRecord)
            if found is not None:
                if (found.to_account_id, found.amount) != (to_account, amount):
                    raise TransferConflictError("this request key was used for another transfer")
                position = ledger._head()
                return Transferred(
                    transfer_id, amount, source.regular, target.regular, position, replayed=True
                )
            record = TransferRecord.make(record_id, from_account, to_account, amount)
        move(source, target, amount, transfer_id)
        saved = ledger.save(source, target, *([record] if record else []))
        position = ledger._position(saved)
        return Transferred(transfer_id, amount, source.regular, target.regular, position)

    return ledger._retry(attempt)
