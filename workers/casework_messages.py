"""Texts for parents about disputes and refunds: every step of theirs is told, by e-mail on
every tariff (service messages), plus the tariff's push/SMS."""

from typing import Any
from zoneinfo import ZoneInfo

from domain.account import Account
from domain.money import rubles
from domain.notifications import SERVICE
from workers.texts import Said, Text, Told, local


def _refund_requested(e: Any, m: Said) -> str:
    why = "договор завершён" if e.reason == "contract_ended" else "по вашему запросу"
    return (
        f"Возврат остатка {rubles(e.amount)} счёта {m.acc} оформлен {m.at(e.timestamp)} "
        f"({why}{', без комиссии' if e.fee_free else ''}); о решении сообщим отдельно."
    )


# A lambda where the body is the text alone, a function where it first works out words.
CASEWORK_TEXTS = {
    Account.ChargeDisputed: Told(
        "dispute_opened", SERVICE, "Спор по списанию принят",
        lambda e, m: f"Спор по списанию {rubles(e.amount)} за {e.local_date} по счёту {m.acc} "
        f"принят {m.at(e.timestamp)}; решение придёт отдельным сообщением.",
    ),
    Account.ChargeReversed: Told(
        "charge_reversed", SERVICE, "Списание возвращено",
        lambda e, m: f"Оспоренное списание {rubles(e.amount)} за {e.local_date} возвращено на "
        f"счёт {m.acc} {m.at(e.timestamp)}. Баланс: {m.balance}.",
    ),
    Account.DisputeRejected: Told(
        "dispute_rejected", SERVICE, "Спор по списанию отклонён",
        lambda e, m: f"Спор по списанию за счёт {m.acc} отклонён {m.at(e.timestamp)}: {e.reason}.",
    ),
    Account.RefundRequested: Told(
        "refund_requested", SERVICE, "Возврат остатка оформлен", _refund_requested
    ),
    Account.RefundApproved: Told(
        "refund_approved", SERVICE, "Возврат одобрен",
        lambda e, m: f"Возврат остатка счёта {m.acc} одобрен {m.at(e.timestamp)}.",
    ),
    Account.RefundPaid: Told(
        "refund_paid", SERVICE, "Возврат выплачен",
        lambda e, m: f"Остаток {rubles(e.amount)} счёта {m.acc} выплачен {m.at(e.timestamp)}, "
        f"номер выплаты {e.payout_ref}.",
    ),
}  # fmt: skip


def staff_dispute_text(event: Any, account: Account, zone: ZoneInfo) -> Text:
    """For the school's casework contact: a new dispute to look at, with its flags."""
    flags = ", ".join(event.flags) or "нет"
    return Text("dispute_for_staff", SERVICE, "Новый спор по списанию",
                f"Родитель оспорил списание {rubles(event.amount)} за {event.local_date} "
                f"по счёту {account.contract_number} ({local(event.timestamp, zone)}). "
                f"Отметки: {flags}. Претензия: {event.claim}")  # fmt: skip
