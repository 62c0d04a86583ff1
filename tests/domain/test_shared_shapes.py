"""The shapes the domain's modules share, each written once: a word of a closed vocabulary,
the records an account has one of, and the payment record that makes a credit at-most-once."""

from collections.abc import Callable
from uuid import UUID, uuid4

import pytest
from eventsourcing.utils import get_topic

from domain.account import Account
from domain.account_record import AccountRecord
from domain.consent import Consent, consent_id
from domain.errors import InvalidCommandError
from domain.fields import one_of
from domain.kinds import Channel, Tariff, TerminalKind
from domain.payment import Payment, credit_once, payment_fingerprint, payment_record_id
from domain.privacy_request import PrivacyRequests, requests_id
from domain.recorded import derived_id


def test_a_word_of_a_vocabulary_is_read_and_any_other_is_refused_naming_what_it_is_not() -> None:
    assert one_of(Tariff, "mobile", what="a tariff") is Tariff.MOBILE
    assert one_of(TerminalKind, "kiosk", what="a terminal kind") is TerminalKind.KIOSK
    with pytest.raises(InvalidCommandError, match="'cheque' is not a payment channel"):
        one_of(Channel, "cheque", what="a payment channel")


@pytest.mark.parametrize(
    ("record", "kind", "record_id", "topic"),
    [
        (Consent, "consent", consent_id, "infoshkola.consent.Started"),
        (PrivacyRequests, "privacy-requests", requests_id, "infoshkola.privacy.Started"),
    ],
)
def test_a_record_kept_once_per_account_is_found_at_the_id_it_always_had(
    record: type[AccountRecord], kind: str, record_id: Callable[[UUID], UUID], topic: str
) -> None:
    account_id = uuid4()
    started = record.start(account_id)
    assert started.id == derived_id(kind, account_id) == record_id(account_id)
    assert started.account_id == account_id
    (event,) = started.collect_events()
    assert isinstance(event, AccountRecord.Started)
    assert (get_topic(type(event)), event.account_id) == (topic, account_id)


def test_a_credit_records_its_payment_with_what_it_came_to() -> None:
    account = Account.open("C-1", uuid4(), "5А", "subject:pupil", "subject:parent")
    record = credit_once(account, "pay-1", 50_000, Channel.BANK_CARD, 1_000, "0.02")
    assert account.regular == 50_000
    assert record.id == payment_record_id("pay-1")
    assert record.result == {
        "amount": 50_000, "commission": 1_000, "commission_rate": "0.02", "regular_after": 50_000,
    }  # fmt: skip
    assert record.fingerprint == payment_fingerprint(account.id, 50_000, Channel.BANK_CARD)
    assert record.matches(account.id, 50_000, Channel.BANK_CARD)
    assert not record.matches(account.id, 50_001, Channel.BANK_CARD)
    assert isinstance(record, Payment)
