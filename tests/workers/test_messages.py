"""The texts parents read: Russian, rubles, school-local time, and the right importance."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from domain.account import Account
from domain.billing import Billing
from domain.fees import next_period, period_of
from domain.ledger import Ledger
from domain.notifications import EMAIL, INFO, PUSH, SERVICE, SMS, STATEMENT, channels_for
from tests.builders import SchoolWorld, snack
from workers.messages import text_for

NSK = ZoneInfo("Asia/Novosibirsk")


def texts(ledger: Ledger, account_id: Any) -> list[tuple[str, str, str]]:
    found = []
    for event in ledger.repository.event_store.get(account_id):
        account: Account = ledger.repository.get(account_id, version=event.originator_version)
        text = text_for(event, account, NSK)
        if text is not None:
            found.append((text.kind, text.importance, text.body))
    return found


RU_MONTHS = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август",
             "сентябрь", "октябрь", "ноябрь", "декабрь")  # fmt: skip


def test_declines_fees_and_debts_read_as_a_parent_expects(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    pupil = world.pupil(deposit=10_000)
    ledger.change_tariff(pupil.account_id, "mobile")
    at = travelled.replace(microsecond=0)
    world.tap("vending", pupil.uid, items=[snack(15_000)], at=at)  # 150 ₽ > 100 ₽: declined
    billing = Billing(ledger)
    first = next_period(period_of(at.astimezone(NSK).date()))  # whole months on `mobile`
    months = [first, next_period(first), next_period(next_period(first))]
    for period in months:  # 95 ₽ paid; 5 ₽ paid + 90 ₽ owed; 95 owed
        billing.charge_tariff_fee(pupil.account_id, period)
    named = [f"{RU_MONTHS[int(p[5:]) - 1]} {p[:4]}" for p in months]
    ledger.block_card(pupil.account_id, pupil.uid, "lost")

    found = texts(ledger, pupil.account_id)
    assert [(kind, importance) for kind, importance, _ in found] == [
        ("top_up", INFO), ("purchase_declined", INFO), ("fee", INFO), ("fee", INFO),
        ("fee_debt", SERVICE), ("fee_debt", SERVICE), ("card_blocked", SERVICE),
    ]  # fmt: skip
    bodies = [body for _, _, body in found]
    assert bodies[1] == (
        f"Покупка на 150,00 ₽ {at.astimezone(NSK):%d.%m.%Y %H:%M} отклонена: "
        "недостаточно средств. Остаток: 100,00 ₽."
    )
    assert bodies[2] == f"Абонентская плата за {named[0]}: 95,00 ₽. Остаток: 5,00 ₽."
    assert bodies[3] == f"Абонентская плата за {named[1]}: 5,00 ₽. Остаток: 0,00 ₽."
    assert bodies[4].endswith(f"за {named[1]}: долг 90,00 ₽ спишется при пополнении.")
    assert bodies[5].endswith(f"за {named[2]}: долг 95,00 ₽ спишется при пополнении.")
    assert bodies[6].startswith(f"Карта {pupil.uid[-4:]} счёта {pupil.contract_number} заблок")


def test_channels_by_tariff_importance_and_preference() -> None:
    assert channels_for(INFO, "zero", service_only=False) == ()
    assert channels_for(INFO, "mobile", service_only=False) == (PUSH,)
    assert channels_for(INFO, "sms_plus", service_only=False) == (PUSH, SMS)
    assert channels_for(INFO, "sms_plus", service_only=True) == ()
    assert channels_for(SERVICE, "zero", service_only=True) == (EMAIL,)
    assert channels_for(SERVICE, "sms_plus", service_only=True) == (EMAIL, PUSH, SMS)
    assert channels_for(STATEMENT, "zero", service_only=False) == (EMAIL,)
    assert channels_for(STATEMENT, "mobile", service_only=True) == ()
