"""Every money event, read as a money movement with a reason a parent understands.

The registry below is the single place that says how an Account event moves money and how
the statement explains it (in Russian). Balances, the statement and the school reports all
read money through it, so a new money event needs exactly one entry here; a test fails for
any Account event that changes a wallet and has none.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from domain import preorder_events, transfer
from domain.account import Account


@dataclass(frozen=True)
class Movement:
    kind: str
    reason: str
    occurred_at: datetime
    regular: int = 0  # signed change of the regular wallet
    subsidised: int = 0  # signed change of the subsidised wallet
    spent: int = 0  # counted against the daily limit on `local_date`
    commission: int = 0
    declined: bool = False
    refused_amount: int = 0  # what a declined purchase would have cost
    local_date: str | None = None  # when the domain decided it; else from occurred_at
    terminal_id: UUID | None = None
    terminal_kind: str | None = None
    channel: str | None = None
    items: list[dict[str, Any]] = field(default_factory=list)

    @property
    def amount(self) -> int:
        return self.regular + self.subsidised

    @property
    def wallet(self) -> str | None:
        moved = [w for w, d in (("regular", self.regular), ("subsidised", self.subsidised)) if d]
        return "+".join(moved) or None


MOVEMENTS: dict[type, Callable[[Any], Movement]] = {}

TERMINALS_RU = {
    "canteen_pos": "столовая",
    "vending": "вендинговый автомат",
    "wardrobe": "гардероб",
    "locker": "шкафчик",
    "kiosk": "киоск",
    "turnstile": "турникет",
}
CHANNELS_RU = {
    "kiosk_cash": "наличными в школьном киоске, без комиссии",
    "bank_card": "банковской картой",
    "autopay": "автоплатёж с банковской карты",
    "sbp": "через СБП",
}
DECLINES_RU = {
    "unknown_card": "карта не зарегистрирована",
    "card_blocked": "карта заблокирована",
    "card_not_activated": "карта ещё не активирована в киоске",
    "insufficient_funds": "недостаточно средств на счёте",
    "daily_limit": "превышен дневной лимит расходов",
    "terminal_revoked": "терминал отключён",
    "foreign_school": "карта другой школы",
    "account_closed": "счёт закрыт",
    "offline_cap": "превышен лимит покупок без связи с сервером",
    "banned_item": "родитель запретил эту позицию",
    "allergen": "в позиции аллерген, отмеченный родителем",
    "category_limit": "превышен дневной лимит родителя для этого терминала",
    "card_frozen": "родитель временно заморозил карты",
}


def decline_text(code: str) -> str:
    """Why a tap was declined, in words for the parent (an unknown code as it is)."""
    return DECLINES_RU.get(code, code)


def rub(kopecks: int) -> str:
    rubles, kop = divmod(abs(kopecks), 100)
    return f"{rubles} ₽" if not kop else f"{rubles},{kop:02d} ₽"


def items_text(items: list[dict[str, Any]]) -> str:
    lines = [
        f"{i.get('name', i.get('code', '?'))}"
        + (f" ×{i['quantity']}" if i.get("quantity", 1) != 1 else "")
        for i in items
    ]
    return ", ".join(lines) or "без позиций"


def where(e: Any) -> str:
    return str(TERMINALS_RU.get(e.terminal_kind, e.terminal_kind))


def money_event(name: str) -> Callable[[Callable[[Any], Movement]], Callable[[Any], Movement]]:
    """Register the reader of `Account.<name>`; an event not (yet) in the domain is skipped."""

    def register(read: Callable[[Any], Movement]) -> Callable[[Any], Movement]:
        cls = getattr(Account, name, None)
        if cls is not None:
            MOVEMENTS[cls] = read
        return read

    return register


@money_event("ToppedUp")
def _topped_up(e: Any) -> Movement:
    paid = CHANNELS_RU.get(e.channel, e.channel)
    fee = f"; комиссия банка {rub(e.commission)} удержана сверх суммы" if e.commission else ""
    return Movement(
        "top_up", f"Пополнение {rub(e.amount)} {paid}{fee}", e.timestamp,
        regular=e.amount, commission=e.commission, terminal_id=e.terminal_id,
        terminal_kind="kiosk" if e.terminal_id else None, channel=e.channel,
    )  # fmt: skip


def _paid(e: Any) -> str:
    parts = []
    if e.from_subsidised:
        parts.append(f"{rub(e.from_subsidised)} с льготного счёта")
    if e.from_regular:
        parts.append(f"{rub(e.from_regular)} с основного счёта")
    return " и ".join(parts) or "бесплатно"


WALLET_CHOICE_RU = {
    "regular": "кассир выбрал оплату с основного счёта",
    "subsidised": "кассир выбрал оплату питания с льготного счёта",
}


def _chosen(e: Any) -> str:
    """The till operator's override of the paying wallet, when there was one."""
    wallet = getattr(e, "paying_wallet", None)  # absent from events recorded before it
    chosen = WALLET_CHOICE_RU.get(wallet) if isinstance(wallet, str) else None
    return f" ({chosen})" if chosen else ""


def _at_terminal(e: Any, kind: str, reason: str, **money: Any) -> Movement:
    """A tap's movement: when, on which school day and terminal, for which items."""
    return Movement(
        kind, reason, e.tapped_at, local_date=e.local_date, terminal_id=e.terminal_id,
        terminal_kind=e.terminal_kind, items=e.items, **money,
    )  # fmt: skip


def _from_wallets(e: Any) -> dict[str, int]:
    """What a purchase takes from each wallet; the regular part counts against the limit."""
    return {"regular": -e.from_regular, "subsidised": -e.from_subsidised, "spent": e.from_regular}


def _debit(e: Any, kind: str, reason: str, amount: int) -> Movement:
    """A charge to the regular wallet that is no purchase (fees, a duplicate card)."""
    return Movement(kind, f"{reason}: {rub(amount)}", e.timestamp, regular=-amount)


@money_event("PurchaseApproved")
def _purchase(e: Any) -> Movement:
    reason = f"Покупка ({where(e)}): {items_text(e.items)} — {_paid(e)}{_chosen(e)}"
    return _at_terminal(e, "purchase", reason, **_from_wallets(e))


@money_event("OfflinePurchaseRecorded")
def _offline_purchase(e: Any) -> Movement:
    reason = (
        f"Покупка без связи с сервером ({where(e)}): {items_text(e.items)} — {_paid(e)}; "
        f"онлайн было бы отказано: {decline_text(e.online_reason)}; "
        "ребёнок уже получил еду, поэтому списано"
    )
    return _at_terminal(e, "offline_purchase", reason, **_from_wallets(e))


@money_event("PurchaseDeclined")
def _declined(e: Any) -> Movement:
    why = decline_text(e.reason)
    reason = (
        f"Отказ в покупке ({where(e)}) на {rub(e.amount)}: {why}{_chosen(e)}; деньги не списаны"
    )
    return _at_terminal(e, "purchase_declined", reason, declined=True, refused_amount=e.amount)


SLOTS_RU = {"wardrobe": "номерок", "locker": "шкафчик №"}
FREE_KINDS = frozenset({"storage"})  # on the statement, but never moving money


def _slot(e: Any) -> str:
    return f"{SLOTS_RU.get(e.terminal_kind, '№')} {e.slot}"


@money_event("StorageUsed")
@money_event("StorageDenied")
def _storage(e: Any) -> Movement:
    """A free wardrobe or locker use, or its refusal: on the statement, no money moves."""
    reason = getattr(e, "reason", None)
    outcome = (
        f"отказ ({rub(0)}): {decline_text(reason)}"
        if reason
        else f"бесплатно ({rub(0)}), деньги не списаны"
    )
    return Movement(
        "storage", f"{where(e).capitalize()}: {_slot(e)} — {outcome}", e.tapped_at,
        declined=bool(reason), local_date=e.local_date, terminal_id=e.terminal_id,
        terminal_kind=e.terminal_kind,
    )  # fmt: skip


@money_event("DuplicateCardOrdered")
def _duplicate(e: Any) -> Movement:
    reason = f"Плата за дубликат карты взамен заблокированной {e.blocked_uid}"
    return _debit(e, "card_fee", reason, e.fee)


@money_event("SubsidyCredited")
def _subsidy(e: Any) -> Movement:
    return Movement(
        "subsidy_credit",
        f"Зачисление на льготный счёт за {e.period}: {rub(e.amount)} (только на питание)",
        e.timestamp, subsidised=e.amount,
    )  # fmt: skip


@money_event("TariffFeeCharged")
def _tariff_fee(e: Any) -> Movement:
    return _debit(e, "tariff_fee", f"Абонентская плата по тарифу за {e.period}", e.amount)


@money_event("FeeDebtCollected")
def _fee_debt(e: Any) -> Movement:
    return _debit(e, "fee_debt", "Погашение долга по абонентской плате", e.amount)


@money_event("ChargeReversed")
def _reversal(e: Any) -> Movement:
    note = f"; {e.note}" if e.note else ""
    return Movement(
        "charge_reversal",
        f"Возврат оспоренного списания {rub(e.amount)} за {e.local_date} "
        f"(терминал {e.terminal_id}, операция {e.tap_id}): деньги вернулись на счёт{note}",
        e.timestamp, regular=e.to_regular, subsidised=e.to_subsidised, spent=-e.to_regular,
        local_date=e.local_date, terminal_id=e.terminal_id,
    )  # fmt: skip


@money_event("RefundPaid")
def _refund(e: Any) -> Movement:
    budget = (
        f"; {rub(e.subsidised_returned)} льготного счёта возвращено в бюджет"
        if e.subsidised_returned
        else ""
    )
    return Movement(
        "refund", f"Возврат остатка {rub(e.amount)} родителю, выплата {e.payout_ref}{budget}",
        e.timestamp, regular=-e.amount, subsidised=-e.subsidised_returned,
    )  # fmt: skip


def _day(iso: str) -> str:
    return ".".join(reversed(iso.split("-")))


def _preorder_placed(e: Any) -> Movement:
    return Movement(
        "preorder", f"Предзаказ на {_day(e.meal_date)}: {items_text(e.items)} — {_paid(e)}; "
        "оплачен заранее, на кассе не списывается", e.timestamp,
        regular=-e.from_regular, subsidised=-e.from_subsidised, terminal_kind="canteen_pos",
        items=e.items,
    )  # fmt: skip


def _preorder_cancelled(e: Any) -> Movement:
    who = "школа отменила" if e.by == "school" else "родитель отменил"
    back = [f"{rub(n)} на {w} счёт" for n, w in ((e.to_subsidised, "льготный"),
                                                (e.to_regular, "основной")) if n]  # fmt: skip
    return Movement(
        "preorder_refund",
        f"Возврат за предзаказ на {_day(e.meal_date)} ({who}: {e.reason}): "
        f"{items_text(e.items)} — {' и '.join(back)}",
        e.timestamp, regular=e.to_regular, subsidised=e.to_subsidised,
        terminal_kind="canteen_pos", items=e.items,
    )  # fmt: skip


def _preorder_served(e: Any) -> Movement:
    return Movement(
        "preorder_served",
        f"Выдан предзаказ ({where(e)}): {items_text(e.items)} на {rub(e.amount)} — оплачен "
        "при заказе, повторно не списано", e.tapped_at, local_date=e.local_date,
        terminal_id=e.terminal_id, terminal_kind=e.terminal_kind, items=e.items,
    )  # fmt: skip


def _transfer_sent(e: Any) -> Movement:
    return Movement(
        "transfer_out", f"Перевод {rub(e.amount)} на счёт по договору {e.to_contract} "
        "(брат или сестра, тот же вход родителя)", e.timestamp, regular=-e.amount,
    )  # fmt: skip


def _transfer_received(e: Any) -> Movement:
    return Movement(
        "transfer_in", f"Перевод {rub(e.amount)} со счёта по договору {e.from_contract} "
        "(брат или сестра, тот же вход родителя)", e.timestamp, regular=e.amount,
    )  # fmt: skip


MOVEMENTS.update({
    preorder_events.PreOrderPlaced: _preorder_placed,
    preorder_events.PreOrderCancelled: _preorder_cancelled,
    preorder_events.PreOrderServed: _preorder_served,
    transfer.TransferSent: _transfer_sent,
    transfer.TransferReceived: _transfer_received,
})  # fmt: skip

_read: dict[tuple[Any, int], Movement | None] = {}


def movement(event: Any) -> Movement | None:
    """The event's movement, or None; remembered, as three projections ask for each event."""
    key = (event.originator_id, event.originator_version)
    if key in _read:
        return _read[key]
    read = MOVEMENTS.get(type(event))
    moved = read(event) if read else None
    if len(_read) >= 50_000:
        _read.clear()
    _read[key] = moved
    return moved
