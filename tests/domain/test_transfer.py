"""A transfer between siblings on the ledger: both accounts or neither, never into debt, once
per request key."""

import pytest

from domain.errors import DomainError
from domain.ledger import Ledger
from domain.transfer import TransferReceived, TransferSent, transfer
from tests.builders import SchoolWorld


def code_of(ledger: Ledger, *args: object) -> str:
    with pytest.raises(DomainError) as raised:
        transfer(ledger, *args)  # type: ignore[arg-type]
    return raised.value.code


def test_a_transfer_moves_money_between_two_accounts_in_one_save(
    ledger: Ledger, world: SchoolWorld
) -> None:
    elder, younger = world.pupil(deposit=30_000), world.pupil(deposit=10_000)
    done = transfer(ledger, elder.account_id, younger.account_id, 12_500)
    assert (done.from_regular_after, done.to_regular_after) == (17_500, 22_500)
    sent = list(ledger.events.get(elder.account_id))[-1]
    received = list(ledger.events.get(younger.account_id))[-1]
    assert isinstance(sent, TransferSent)
    assert isinstance(received, TransferReceived)
    assert sent.transfer_id == received.transfer_id == done.transfer_id
    assert (sent.to_contract, received.from_contract) == (
        younger.contract_number, elder.contract_number
    )  # fmt: skip


def test_a_refused_transfer_moves_nothing(ledger: Ledger, world: SchoolWorld) -> None:
    elder, younger = world.pupil(deposit=30_000), world.pupil(deposit=10_000)
    assert code_of(ledger, elder.account_id, younger.account_id, 30_001) == "insufficient_funds"
    assert code_of(ledger, elder.account_id, younger.account_id, 0) == "invalid_amount"
    assert code_of(ledger, elder.account_id, younger.account_id, -5) == "invalid_amount"
    assert code_of(ledger, elder.account_id, elder.account_id, 100) == "invalid_command"
    assert ledger.account(elder.account_id).regular == 30_000
    assert ledger.account(younger.account_id).regular == 10_000


def test_a_request_key_makes_a_transfer_at_most_once(ledger: Ledger, world: SchoolWorld) -> None:
    elder, younger = world.pupil(deposit=30_000), world.pupil(deposit=10_000)
    first = transfer(ledger, elder.account_id, younger.account_id, 5_000, "click-1")
    again = transfer(ledger, elder.account_id, younger.account_id, 5_000, "click-1")
    assert (again.transfer_id, again.replayed, first.replayed) == (first.transfer_id, True, False)
    assert ledger.account(elder.account_id).regular == 25_000
    assert ledger.account(younger.account_id).regular == 15_000
    other = code_of(ledger, elder.account_id, younger.account_id, 6_000, "click-1")
    assert other == "transfer_conflict"
    transfer(ledger, elder.account_id, younger.account_id, 5_000, "click-2")
    assert ledger.account(elder.account_id).regular == 20_000
