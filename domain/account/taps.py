"""Money and taps: a purchase at a paying terminal (online or offline, late) and a pass at a
turnstile, decided on the account and recorded as a fact, a decline included (rules in
domain/purchase.py, domain/offline.py).

Every tap event shares `TapEvent`'s fields; purchases add what was bought, passes the
direction. The bases live outside the aggregate, so they are not events of their own.
"""

from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from domain.account.state import AccountState, kind_spent_after, spent_after
from domain.kinds import CardState, DeclineReason, Direction, Outcome, Wallet
from domain.money import DEFAULT_OFFLINE_CAP
from domain.offline import offline_reason
from domain.purchase import Split, regular_covers, split_payment
from domain.tap import TapContext, TapDecision


class TapEvent(AccountState.Event):
    """Which tap, at which terminal, with which card, when (UTC), on which school day."""

    tap_id: str
    terminal_id: UUID
    card_uid: str
    tapped_at: datetime
    local_date: str

    def apply(self, a: AccountState) -> None:
        pass  # a decline or a pass moves no money


class PurchaseEvent(TapEvent):
    terminal_kind: str
    items: list[dict[str, Any]]
    amount: int


class PaidPurchase(PurchaseEvent):
    from_regular: int
    from_subsidised: int

    def apply(self, a: AccountState) -> None:
        a.regular -= self.from_regular
        a.subsidised -= self.from_subsidised
        a.spent = spent_after(a.spent, self.local_date, self.from_regular)
        a.kind_spent = kind_spent_after(a, self.local_date, self.terminal_kind, self.amount)


class PassEvent(TapEvent):
    direction: str


def tap_fields(ctx: TapContext) -> dict[str, Any]:
    request = ctx.request
    return {
        "tap_id": request.tap_id,
        "terminal_id": request.terminal_id,
        "card_uid": request.card_uid,
        "tapped_at": request.tapped_at,
        "local_date": ctx.local_date.isoformat(),
    }


class Taps(AccountState):
    class PurchaseApproved(PaidPurchase):
        """`paying_wallet`: the wallet the till operator chose; None (and absent from events
        recorded before the override existed) when the usual split applied."""

        TOPIC = "infoshkola.account.PurchaseApproved"
        paying_wallet: str | None = None

    class PurchaseDeclined(PurchaseEvent):
        TOPIC = "infoshkola.account.PurchaseDeclined"
        reason: str
        paying_wallet: str | None = None

    class StorageUsed(TapEvent):
        """A free use of the wardrobe or a locker: which hanger or locker, no money moved."""

        TOPIC = "infoshkola.account.StorageUsed"
        terminal_kind: str
        slot: str

    class StorageDenied(StorageUsed):
        TOPIC = "infoshkola.account.StorageDenied"
        reason: str

    class OfflinePurchaseRecorded(PaidPurchase):
        """A purchase made offline that would be declined online: the food was eaten.

        It is recorded anyway (the regular wallet may go below zero: the debt is visible),
        with the reason it would have been declined and whether the card was already blocked.
        """

        TOPIC = "infoshkola.account.OfflinePurchaseRecorded"
        online_reason: str
        after_block: bool

    class PassRecorded(PassEvent):
        TOPIC = "infoshkola.account.PassRecorded"

    class PassDenied(PassEvent):
        TOPIC = "infoshkola.account.PassDenied"
        reason: str

    def take_purchase(
        self, ctx: TapContext, meal_overdraft: int, refusal: DeclineReason | None = None
    ) -> TapDecision:
        """Decide a purchase at a paying terminal and record the approval or the decline."""
        split, overdraft = self._split(ctx, meal_overdraft)
        reason = refusal or self._card_refusal(ctx, paying=True)
        wallet = ctx.request.paying_wallet
        reason = reason or self._money_refusal(split, ctx.local_date, overdraft, wallet)
        if reason:
            self.trigger_event(
                self.PurchaseDeclined, reason=reason.value, **self._purchase(ctx, split)
            )
            return ctx.decision(Outcome.DECLINED, reason=reason.value, **self._figures(ctx))
        return self._approve(ctx, split, self.PurchaseApproved)

    def take_offline_purchase(
        self,
        ctx: TapContext,
        meal_overdraft: int,
        refusal: DeclineReason | None = None,
        offline_cap: int = DEFAULT_OFFLINE_CAP,
    ) -> TapDecision:
        """A purchase the reader allowed offline, arriving late: never declined after the fact
        (rules in `domain.offline`). Only what the terminal could not have been allowed to do
        (a revoked terminal, a closed account) is still declined.
        """
        if refusal or self.closed:
            return self.take_purchase(ctx, meal_overdraft, refusal)
        request = ctx.request
        blocked_at = self.blocked_at.get(request.card_uid)
        after_block = blocked_at is not None and request.tapped_at >= blocked_at
        state = self.card_state(request.card_uid)
        split, overdraft = self._split(ctx, meal_overdraft)
        reason = offline_reason(after_block, state, split.total, offline_cap)
        reason = reason or self._money_refusal(split, ctx.local_date, overdraft)
        if reason is None:
            return self._approve(ctx, split, self.PurchaseApproved, after_block=after_block)
        return self._approve(
            ctx, split, self.OfflinePurchaseRecorded, reason, after_block=after_block
        )

    def take_pass(self, ctx: TapContext, refusal: DeclineReason | None = None) -> TapDecision:
        """A turnstile pass moves no money; only a blocked card (or the terminal) stops it."""
        reason = refusal or self._card_refusal(ctx, paying=False)
        fields = {**tap_fields(ctx), "direction": ctx.request.direction or Direction.IN.value}
        return self._free_use(ctx, reason, fields, self.PassRecorded, self.PassDenied)

    def take_storage(self, ctx: TapContext, refusal: DeclineReason | None = None) -> TapDecision:
        """A free wardrobe or locker use (a hanger or locker number, no items): only a blocked
        or not yet activated card, a closed account or the terminal stops it."""
        reason = refusal or self._card_refusal(ctx, paying=True)
        fields = {**tap_fields(ctx), "terminal_kind": ctx.kind, "slot": ctx.request.slot}
        return self._free_use(ctx, reason, fields, self.StorageUsed, self.StorageDenied)

    def _free_use(
        self,
        ctx: TapContext,
        reason: DeclineReason | None,
        fields: dict[str, Any],
        used: type[TapEvent],
        denied: type[TapEvent],
    ) -> TapDecision:
        """A tap that moves no money (a pass, a wardrobe or locker use): `used`, or `denied`
        for `reason`."""
        if reason:
            self.trigger_event(denied, reason=reason.value, **fields)
            return ctx.decision(Outcome.DECLINED, reason=reason.value, account_id=str(self.id))
        self.trigger_event(used, **fields)
        return ctx.decision(Outcome.APPROVED, account_id=str(self.id))

    def _approve(
        self,
        ctx: TapContext,
        split: Split,
        event_class: type[PaidPurchase],
        online_reason: DeclineReason | None = None,
        *,
        after_block: bool | None = None,
    ) -> TapDecision:
        """Record a paid purchase; an offline one (`after_block` given) says so in its answer."""
        fields = self._purchase(ctx, split)
        if online_reason is not None:
            fields |= {"online_reason": online_reason.value, "after_block": after_block}
        self.trigger_event(
            event_class,
            from_regular=split.from_regular,
            from_subsidised=split.from_subsidised,
            **fields,
        )
        offline: dict[str, Any] = {}
        if after_block is not None:
            reason = online_reason.value if online_reason else None
            offline = {"reason": reason, "offline": True, "after_block": after_block}
        return ctx.decision(
            Outcome.APPROVED,
            amount=split.total,
            from_regular=split.from_regular,
            from_subsidised=split.from_subsidised,
            **offline,
            **self._figures(ctx),
        )

    def _split(self, ctx: TapContext, meal_overdraft: int) -> tuple[Split, int]:
        """Who pays what (the subsidy first for meals at the canteen) and the overdraft."""
        canteen = ctx.kind == "canteen_pos"
        split = split_payment(ctx.request.items, self.subsidised, meals_count=canteen)
        if ctx.request.paying_wallet == Wallet.REGULAR:  # the operator: own money pays all
            split = replace(split, from_subsidised=0)
        return split, meal_overdraft if canteen else 0

    @staticmethod
    def _purchase(ctx: TapContext, split: Split) -> dict[str, Any]:
        override = {}  # only when chosen, so events without it keep their old shape
        if ctx.request.paying_wallet is not None:
            override["paying_wallet"] = ctx.request.paying_wallet
        return {
            **tap_fields(ctx),
            "terminal_kind": ctx.kind,
            "items": [i.as_dict() for i in ctx.request.items],
            "amount": split.total,
            **override,
        }

    def _tapped_before_block(self, ctx: TapContext) -> bool:
        """An offline tap arriving late that was made while the card was still valid."""
        blocked_at = self.blocked_at.get(ctx.request.card_uid)
        return ctx.request.offline and blocked_at is not None and ctx.request.tapped_at < blocked_at

    def _card_refusal(self, ctx: TapContext, *, paying: bool) -> DeclineReason | None:
        if self.closed:
            return DeclineReason.ACCOUNT_CLOSED
        state = self.card_state(ctx.request.card_uid)
        if state == CardState.BLOCKED and not self._tapped_before_block(ctx):
            return DeclineReason.CARD_BLOCKED
        if paying and state == CardState.ISSUED:
            return DeclineReason.CARD_NOT_ACTIVATED
        return None

    def _money_refusal(
        self, split: Split, day: date, overdraft: int, paying_wallet: str | None = None
    ) -> DeclineReason | None:
        if paying_wallet == Wallet.SUBSIDISED and split.from_subsidised < split.meal_total:
            return DeclineReason.INSUFFICIENT_FUNDS  # the operator: the subsidy alone pays meals
        if self.spent_on(day) + split.from_regular > self.daily_limit:
            return DeclineReason.DAILY_LIMIT
        if not regular_covers(self.regular, split, overdraft):
            return DeclineReason.INSUFFICIENT_FUNDS
        return None

    def _figures(self, ctx: TapContext) -> dict[str, Any]:
        return {
            "account_id": str(self.id),
            "regular_after": self.regular,
            "subsidised_after": self.subsidised,
            "spent_today": self.spent_on(ctx.local_date),
            "daily_limit": self.daily_limit,
        }
