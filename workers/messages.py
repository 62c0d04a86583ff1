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
from workers.casework_messages import casework_text  # disputes and refunds (issue 7)
from workers.texts import Text, local

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


def text_for(event: Any, account: Account, zone: ZoneInfo) -> Text | None:
    """The message an account event deserves, None for events parents are not told about."""
    acc, balance = account.contract_number, rubles(account.regular)
    if isinstance(event, Account.ToppedUp):
        how = CHANNELS.get(event.channel, event.channel)
        return Text("top_up", INFO, "Пополнение счёта",
                    f"Счёт {acc} пополнен на {rubles(event.amount)} {how} "
                    f"{local(event.timestamp, zone)}. Баланс: {balance}.")  # fmt: skip
    if isinstance(event, Account.PurchaseApproved):
        items = ", ".join(str(i["name"]) for i in event.items)
        where = PLACES.get(event.terminal_kind, "")
        return Text("purchase", INFO, "Покупка",
                    f"Покупка {where} на {rubles(event.amount)} {local(event.tapped_at, zone)}: "
                    f"{items}. Остаток: {balance}.")  # fmt: skip
    if isinstance(event, Account.PurchaseDeclined):
        reason = REASONS.get(event.reason, event.reason)
        return Text("purchase_declined", INFO, "Покупка отклонена",
                    f"Покупка на {rubles(event.amount)} {local(event.tapped_at, zone)} "
                    f"отклонена: {reason}. Остаток: {balance}.")  # fmt: skip
    if isinstance(event, Account.PassRecorded):
        verb = "Вход в школу" if event.direction == "in" else "Выход из школы"
        return Text("pass", INFO, verb, f"{verb}: {local(event.tapped_at, zone)}.")
    if isinstance(event, Account.TariffFeeCharged) and event.amount > 0:
        return Text("fee", INFO, "Абонентская плата",
                    f"Абонентская плата за {month_name(event.period)}: {rubles(event.amount)}. "
                    f"Остаток: {balance}.")  # fmt: skip
    if isinstance(event, Account.FeeDebtRecorded):
        return Text("fee_debt", SERVICE, "Долг по абонентской плате",
                    f"На счёте {acc} не хватило средств на абонентскую плату за "
                    f"{month_name(event.period)}: долг {rubles(event.amount)} спишется "
                    "при пополнении.")  # fmt: skip
    if isinstance(event, Account.CardBlocked):
        return Text("card_blocked", SERVICE, "Карта заблокирована",
                    f"Карта {event.uid[-4:]} счёта {acc} заблокирована "
                    f"{local(event.timestamp, zone)}.")  # fmt: skip
    return plan_text(event, account) or casework_text(event, account, zone)


def plan_text(event: Any, account: Account) -> Text | None:
    """A school's cancellation of a pre-ordered meal, and money from a sibling's account."""
    acc, balance = account.contract_number, rubles(account.regular)
    if isinstance(event, PreOrderCancelled) and event.by == BY_SCHOOL:
        day = ".".join(reversed(event.meal_date.split("-")))
        items = ", ".join(str(i["name"]) for i in event.items)
        back = rubles(event.to_regular + event.to_subsidised)
        return Text("preorder_cancelled", SERVICE, "Предзаказ отменён школой",
                    f"Школа отменила предзаказ на {day} ({items}): {event.reason}. "
                    f"{back} вернулись на счёт {acc}. Баланс: {balance}.")  # fmt: skip
    if isinstance(event, transfer.TransferReceived):
        return Text("transfer", INFO, "Перевод между счетами",
                    f"На счёт {acc} переведено {rubles(event.amount)} со счёта "
                    f"{event.from_contract}. Баланс: {balance}.")  # fmt: skip
    return None


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
