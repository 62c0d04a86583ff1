"""Texts for parents about disputes and refunds: every step of theirs is told, by e-mail on
every tariff (service messages), plus the tariff's push/SMS."""

from typing import Any
from zoneinfo import ZoneInfo

from domain.account import Account
from domain.money import rubles
from domain.notifications import SERVICE
from workers.messages import Text, local


def casework_text(event: Any, account: Account, zone: ZoneInfo) -> Text | None:
    acc, when = account.contract_number, local(event.timestamp, zone)
    if isinstance(event, Account.ChargeDisputed):
        return Text("dispute_opened", SERVICE, "Спор по списанию принят",
                    f"Спор по списанию {rubles(event.amount)} за {event.local_date} по счёту "
                    f"{acc} принят {when}; решение придёт отдельным сообщением.")  # fmt: skip
    if isinstance(event, Account.ChargeReversed):
        return Text("charge_reversed", SERVICE, "Списание возвращено",
                    f"Оспоренное списание {rubles(event.amount)} за {event.local_date} "
                    f"возвращено на счёт {acc} {when}. "
                    f"Баланс: {rubles(account.regular)}.")  # fmt: skip
    if isinstance(event, Account.DisputeRejected):
        return Text("dispute_rejected", SERVICE, "Спор по списанию отклонён",
                    f"Спор по списанию за счёт {acc} отклонён {when}: {event.reason}.")  # fmt: skip
    if isinstance(event, Account.RefundRequested):
        why = "договор завершён" if event.reason == "contract_ended" else "по вашему запросу"
        return Text("refund_requested", SERVICE, "Возврат остатка оформлен",
                    f"Возврат остатка {rubles(event.amount)} счёта {acc} оформлен {when} "
                    f"({why}{', без комиссии' if event.fee_free else ''}); "
                    "о решении сообщим отдельно.")  # fmt: skip
    if isinstance(event, Account.RefundApproved):
        return Text("refund_approved", SERVICE, "Возврат одобрен",
                    f"Возврат остатка счёта {acc} одобрен {when}.")  # fmt: skip
    if isinstance(event, Account.RefundPaid):
        return Text("refund_paid", SERVICE, "Возврат выплачен",
                    f"Остаток {rubles(event.amount)} счёта {acc} выплачен {when}, "
                    f"номер выплаты {event.payout_ref}.")  # fmt: skip
    return None


def staff_dispute_text(event: Any, account: Account, zone: ZoneInfo) -> Text:
    """For the school's casework contact: a new dispute to look at, with its flags."""
    flags = ", ".join(event.flags) or "нет"
    return Text("dispute_for_staff", SERVICE, "Новый спор по списанию",
                f"Родитель оспорил списание {rubles(event.amount)} за {event.local_date} "
                f"по счёту {account.contract_number} ({local(event.timestamp, zone)}). "
                f"Отметки: {flags}. Претензия: {event.claim}")  # fmt: skip
