"""The school office's commands: open a contract with its cards, move a pupil to another
class, promote a whole school, end a contract when a child leaves.

Plain functions over the ledger, like `domain.casework`: each loads what it decides on, lets
the aggregate decide and saves; a version conflict means someone else saved first, so it
decides again. The acting login comes from `acting_as` around the call.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from domain.account import Account
from domain.casework import position, retry, school_account_ids
from domain.enrolment import (
    FINAL_GRADE,
    ClassMoved,
    ContractEnded,
    YearPromoted,
    check_class,
    check_contract_number,
    contract_ended,
    next_class,
)
from domain.errors import (
    CardAlreadyIssuedError,
    ContractAlreadyExistsError,
    InvalidCommandError,
    UnknownCardError,
    UnknownContractError,
)
from domain.fields import REASON, text, whole_within
from domain.index import CardIndex, ContractIndex
from domain.kinds import RefundDestination
from domain.ledger import Ledger
from domain.tap import normalise_uid


def open_contract(
    ledger: Ledger,
    school_id: UUID,
    contract_number: str,
    class_name: str,
    pupil_ref: str,
    parent_ref: str,
    card_uids: Sequence[str] = (),
) -> UUID:
    """An account with its contract number and (optionally) its first cards, in one
    transaction: a refused card leaves no account behind."""
    contract_number = check_contract_number(contract_number)
    uids = [normalise_uid(u) for u in card_uids]
    if len(set(uids)) != len(uids):
        raise InvalidCommandError("the same card is given twice")
    ledger.school(school_id)

    def attempt() -> UUID:
        check_unclaimed(ledger, contract_number, uids)
        account = Account.open(contract_number, school_id, class_name, pupil_ref, parent_ref)
        for uid in uids:
            account.issue_card(uid)
        indexes = [CardIndex(uid, account.id) for uid in uids]
        ledger.save(account, ContractIndex(contract_number, account.id), *indexes)
        return account.id

    return retry(attempt)


def check_unclaimed(ledger: Ledger, contract_number: str, card_uids: Sequence[str]) -> None:
    """Refuse a contract number that already has an account, or a card already issued."""
    try:
        ledger.account_id_for_contract(contract_number)
    except UnknownContractError:
        pass
    else:
        raise ContractAlreadyExistsError(f"contract {contract_number} already has an account")
    for uid in card_uids:
        try:
            ledger.card_account_id(uid)
        except UnknownCardError:
            continue
        raise CardAlreadyIssuedError(f"card {uid} already belongs to an account")


def enrolled(ledger: Ledger, account_id: UUID, if_left: str) -> Account:
    """The open account of a pupil still at the school; InvalidCommandError(`if_left`) if the
    contract has ended."""
    account = ledger.account(account_id)
    account.check_open()
    if contract_ended(account):
        raise InvalidCommandError(if_left)
    return account


def move_class(ledger: Ledger, account_id: UUID, class_name: str, reason: str) -> int:
    class_name = check_class(class_name)
    reason = text(reason, REASON, what="why the pupil moves")

    def attempt() -> int:
        account = enrolled(ledger, account_id, "the pupil has left the school")
        if account.class_name == class_name:
            return 0
        account.trigger_event(
            ClassMoved, class_name=class_name, previous=account.class_name, reason=reason
        )
        return position(ledger.save(account))

    return retry(attempt)


def end_contract(ledger: Ledger, account_id: UUID, reason: str) -> int:
    """The child leaves: live cards are blocked, the balance's refund is requested fee-free
    (staff approve and pay it), or the account is closed when it holds nothing."""
    reason = text(reason, REASON, what="why the pupil leaves")

    def attempt() -> int:
        account = enrolled(ledger, account_id, "the contract has already ended")
        account.trigger_event(ContractEnded, reason=reason)
        for uid in list(account.live_cards):
            account.block_card(uid, "contract_ended")
        if account.regular == 0 and account.subsidised == 0:
            if not account.refund_under_way:
                account.close("contract_ended")
        elif not account.refund_under_way:
            paid_by = last_payment(ledger, account)
            account.request_refund(
                RefundDestination.ORIGINAL_METHOD, paid_by, True, "contract_ended"
            )
        return position(ledger.save(account))

    return retry(attempt)


def last_payment(ledger: Ledger, account: Account) -> str:
    paid = [
        e for e in ledger.repository.event_store.get(account.id) if isinstance(e, Account.ToppedUp)
    ]
    return f"payment:{paid[-1].payment_id}" if paid else ""


@dataclass(frozen=True)
class Promotion:
    year: int
    moved: list[UUID] = field(default_factory=list)
    graduated: list[UUID] = field(default_factory=list)
    skipped: list[tuple[UUID, str]] = field(default_factory=list)  # (account, why)
    already_done: bool = False


def promote_school(
    ledger: Ledger, school_id: UUID, year: int, final_grade: int = FINAL_GRADE
) -> Promotion:
    """Move every pupil of the school up one grade; the last grade's contracts end
    ("graduated"). Once per school year: the school records it first, so running it again
    (or twice at once) promotes nobody twice."""
    if not whole_within(year, 2000, 2100):
        raise InvalidCommandError("a school year is the year it starts, 2000 to 2100")
    if isinstance(final_grade, bool) or not isinstance(final_grade, int):
        raise InvalidCommandError("the final grade is a whole number")
    if not 1 <= final_grade <= 12:
        raise InvalidCommandError("the final grade is 1 to 12")

    def record() -> bool:
        school = ledger.school(school_id)
        if year in getattr(school, "promoted_years", []):
            return False
        school.trigger_event(YearPromoted, year=year, final_grade=final_grade)
        ledger.save(school)
        return True

    if not retry(record):
        return Promotion(year, already_done=True)
    result = Promotion(year)
    reason = f"promotion {year}/{year + 1}"
    for account_id in school_account_ids(ledger, school_id):

        def attempt(account_id: UUID = account_id) -> str:
            account = ledger.account(account_id)
            if account.closed or contract_ended(account):
                return "left"
            try:
                target = next_class(account.class_name, final_grade)
            except InvalidCommandError as error:
                return f"skip:{error}"
            if target is None:
                return "graduate"
            account.trigger_event(
                ClassMoved, class_name=target, previous=account.class_name, reason=reason
            )
            ledger.save(account)
            return "moved"

        outcome = retry(attempt)
        if outcome == "moved":
            result.moved.append(account_id)
        elif outcome == "graduate":
            end_contract(ledger, account_id, "graduated")
            result.graduated.append(account_id)
        elif outcome.startswith("skip:"):
            result.skipped.append((account_id, outcome[5:]))
    return result
