"""Texts for parents, in Russian: amounts in rubles, times in the school's local time."""

from typing import Any
from zoneinfo import ZoneInfo

from domain import transfer
from domain.account import Account
from domain.autopay import Autopayment
from domain.fees import first_day
from domain.money import rubles
from domain.notifications import INFO, SERVICE
from domain.preorder_events import BY_SCHOOL, PreOrderCancelled
from workers.casework_messages import CASEWORK_TEXTS  # disputes and refunds (issue 7)
from workers.texts import Said, Text, Told, local, tell

__all__ = ["Text", "autopay_failed_text", "local", "low_balance_text", "statement_text", "text_for"]

PLACES = {
    "canteen_pos": "в столовой",
    "vending": "в вендинговом автомате",
    "wardrobe": "в гардеробе",
    "locker": "в камере хранения",
}
CHANNELS = {
    "kiosk_cash": "наличными в киоске",
    "bank_card": "банковской картой",
    "autopay": "автоплатёжом",
    "sbp": "через СБП",
}
REASONS = {
    "insufficient_funds": "недостаточно средств",
    "daily_limit": "превышен дневной лимит",
    "card_blocked": "карта заблокирована",
    "card_not_activated": "карта не активирована",
    "account_closed": "счёт закрыт",
    "banned_item": "позиция запрещена вами",
    "allergen": "в позиции отмеченный вами аллерген",
    "category_limit": "превышен ваш лимит для этого терминала",
    "card_frozen": "карты заморожены вами",
}
TARIFFS = {"zero": "Ноль", "mobile": "Мобильный", "sms_plus": "SMS+"}
MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь",
          "октябрь", "ноябрь", "декабрь"]  # fmt: skip


def month_name(period: str) -> str:
    start = first_day(period)
    return f"{MONTHS[start.month - 1]} {start.year}"


def _topped_up(e: Any, m: Said) -> str:
    how = CHANNELS.get(e.channel, e.channel)
    return (
        f"Счёт {m.acc} пополнен на {rubles(e.amount)} {how} {m.at(e.timestamp)}. "
        f"Баланс: {m.balance}."
    )


def _purchase(e: Any, m: Said) -> str:
    items = ", ".join(str(i["name"]) for i in e.items)
    where = PLACES.get(e.terminal_kind, "")
    return (
        f"Покупка {where} на {rubles(e.amount)} {m.at(e.tapped_at)}: {items}. Остаток: {m.balance}."
    )


def _declined(e: Any, m: Said) -> str:
    reason = REASONS.get(e.reason, e.reason)
    return (
        f"Покупка на {rubles(e.amount)} {m.at(e.tapped_at)} отклонена: {reason}. "
        f"Остаток: {m.balance}."
    )


def _passed(e: Any) -> str:
    return "Вход в школу" if e.direction == "in" else "Выход из школы"


def _fee(e: Any, m: Said) -> str | None:
    if e.amount <= 0:
        return None
    return f"Абонентская плата за {month_name(e.period)}: {rubles(e.amount)}. Остаток: {m.balance}."


def _cancelled_by_school(e: Any, m: Said) -> str | None:
    if e.by != BY_SCHOOL:
        return None
    day = ".".join(reversed(e.meal_date.split("-")))
    items = ", ".join(str(i["name"]) for i in e.items)
    back = rubles(e.to_regular + e.to_subsidised)
    return (
        f"Школа отменила предзаказ на {day} ({items}): {e.reason}. "
        f"{back} вернулись на счёт {m.acc}. Баланс: {m.balance}."
    )


# A lambda where the body is the text alone, a function where it first works out words.
ACCOUNT_TEXTS = {
    Account.ToppedUp: Told("top_up", INFO, "Пополнение счёта", _topped_up),
    Account.PurchaseApproved: Told("purchase", INFO, "Покупка", _purchase),
    Account.PurchaseDeclined: Told("purchase_declined", INFO, "Покупка отклонена", _declined),
    Account.PassRecorded: Told(
        "pass", INFO, _passed, lambda e, m: f"{_passed(e)}: {m.at(e.tapped_at)}."
    ),
    Account.TariffFeeCharged: Told("fee", INFO, "Абонентская плата", _fee),
    Account.FeeDebtRecorded: Told(
        "fee_debt", SERVICE, "Долг по абонентской плате",
        lambda e, m: f"На счёте {m.acc} не хватило средств на абонентскую плату за "
        f"{month_name(e.period)}: долг {rubles(e.amount)} спишется при пополнении.",
    ),
    Account.CardBlocked: Told(
        "card_blocked", SERVICE, "Карта заблокирована",
        lambda e, m: f"Карта {e.uid[-4:]} счёта {m.acc} заблокирована {m.at(e.timestamp)}.",
    ),
}  # fmt: skip
# A school's cancellation of a pre-ordered meal, and money from a sibling's account.
PLAN_TEXTS = {
    PreOrderCancelled: Told("preorder_cancelled", SERVICE, "Предзаказ отменён школой",
                            _cancelled_by_school),
    transfer.TransferReceived: Told(
        "transfer", INFO, "Перевод между счетами",
        lambda e, m: f"На счёт {m.acc} переведено {rubles(e.amount)} со счёта {e.from_contract}. "
        f"Баланс: {m.balance}.",
    ),
}  # fmt: skip
TEXTS = {**ACCOUNT_TEXTS, **PLAN_TEXTS, **CASEWORK_TEXTS}


def text_for(event: Any, account: Account, zone: ZoneInfo) -> Text | None:
    """The message an account event deserves, None for events parents are not told about."""
    return tell(TEXTS, event, account, zone)


def low_balance_text(account: Account, threshold: int | None = None) -> Text:
    below = account.low_balance_threshold if threshold is None else threshold
    return Text("low_balance", SERVICE, "Низкий баланс",
                f"Баланс счёта {account.contract_number}: {rubles(account.regular)}, ниже "
                f"порога {rubles(below)}. Пополните счёт.")  # fmt: skip


def autopay_failed_text(event: Autopayment.PaymentFailed, account: Account) -> Text:
    return Text("autopay_failed", SERVICE, "Автоплатёж не прошёл",
                f"Автоплатёж на {rubles(event.amount)} для счёта {account.contract_number} "
                f"не прошёл: {event.reason}. Баланс: {rubles(account.regular)}. "
                "Пополните счёт другим способом.")  # fmt: skip


def statement_text(account: Account, period: str, lines: list[str], opening: int) -> Text:
    body = "\n".join([
        f"Выписка по счёту {account.contract_number} за {month_name(period)}.",
        f"Тариф: {TARIFFS.get(account.tariff, account.tariff)}.",
        f"Остаток на начало: {rubles(opening)}.",
        *(lines or ["Движений по счёту не было."]),
    ])  # fmt: skip
    return Text("statement", "statement", f"Выписка за {month_name(period)}", body)
