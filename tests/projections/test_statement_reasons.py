"""Every money event has a reason a parent can read on the statement, declines included.

A new Account event whose `apply` changes a wallet fails here until it gets its entry in
`projections.movements`: that entry is also what balances and school reports read."""

import inspect
import re
from datetime import UTC, datetime
from typing import Any, get_type_hints
from uuid import UUID, uuid4

from domain.account import Account
from projections.movements import FREE_KINDS, MOVEMENTS
from tests.builders import meal

CHANGES_A_WALLET = re.compile(r"\.(regular|subsidised)\s*[-+]?=(?!=)")
SAMPLES = {
    "channel": "bank_card",
    "terminal_kind": "canteen_pos",
    "reason": "daily_limit",
    "online_reason": "insufficient_funds",
    "period": "2026-11",
    "local_date": "2026-11-25",
}


def money_events() -> list[type]:
    found = []
    for cls in vars(Account).values():
        if not isinstance(cls, type) or not issubclass(cls, Account.Event):
            continue
        if issubclass(cls, Account.Created) or cls is Account.Event:
            continue  # opening sets the wallets up at zero; it moves no money
        if CHANGES_A_WALLET.search(inspect.getsource(cls.apply)):
            found.append(cls)
    return found


def sample(cls: type) -> Any:
    """An instance with plausible values for every field, for the reason readers."""
    event: Any = object.__new__(cls)
    values: dict[str, Any] = {"originator_id": uuid4(), "originator_version": 2}
    for name, hint in get_type_hints(cls).items():
        if name in SAMPLES:
            values[name] = SAMPLES[name]
        elif hint is int:
            values[name] = 13_900
        elif hint is bool:
            values[name] = False
        elif hint is datetime:
            values[name] = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
        elif hint in (UUID, UUID | None):
            values[name] = uuid4()
        elif hint is str:
            values[name] = "04A1B2C3D4E5F6"
        else:
            values[name] = [meal()]
    object.__setattr__(event, "__dict__", values)
    return event


def test_every_account_event_that_changes_a_wallet_has_a_statement_reason() -> None:
    missing = [cls.__qualname__ for cls in money_events() if cls not in MOVEMENTS]
    assert not missing, f"add these to projections/movements.py: {missing}"


def test_the_wallet_check_recognises_the_known_money_events() -> None:
    known = {Account.ToppedUp, Account.PurchaseApproved, Account.DuplicateCardOrdered}
    assert known | {Account.SubsidyCredited} <= set(money_events())
    assert Account.TariffChanged not in money_events()


def test_declined_purchases_are_on_the_statement_with_the_refusal_in_russian() -> None:
    moved = MOVEMENTS[Account.PurchaseDeclined](sample(Account.PurchaseDeclined))
    assert moved.declined
    assert moved.amount == 0
    assert moved.refused_amount == 13_900
    assert "превышен дневной лимит" in moved.reason


def test_every_money_event_kind_reads_as_a_russian_reason_with_its_amount() -> None:
    for cls, read in MOVEMENTS.items():
        moved = read(sample(cls))
        assert re.search("[а-яА-Я]{3}", moved.reason), cls
        amount = "0 ₽" if moved.kind in FREE_KINDS else "139 ₽"
        assert amount in moved.reason, (cls, moved.reason)
        assert moved.kind
        assert moved.occurred_at.tzinfo is not None
