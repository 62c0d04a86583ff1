"""What a parent forbids at the point of sale: banned items, allergens, per-category limits,
and a freeze of the cards the parent can undo (a lost card is blocked instead: that is for
good, reaches the readers' deny list, and only support unblocks it).

Each is an `Account` event defined here; `refusal` is the decision the ledger asks for a
paying tap decided online (an offline tap was already served by the reader). Allergens are
matched against the allergens the school's published menu gives for the item's code.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.account import Account
from domain.errors import InvalidCommandError
from domain.fields import CODE, NAME, REASON, check_count, text
from domain.kinds import PAYING_KINDS, DeclineReason, TerminalKind
from domain.money import MAX_DAILY_LIMIT
from domain.purchase import split_payment
from domain.recorded import register_events
from domain.tap import TapContext

MAX_BANS = 100
MAX_ALLERGIES = 30


class ItemBansSet(Account.Event):
    TOPIC = "infoshkola.account.ItemBansSet"
    codes: list[str]

    def apply(self, a: Account) -> None:
        a.item_bans = self.codes  # type: ignore[attr-defined]


class AllergiesSet(Account.Event):
    TOPIC = "infoshkola.account.AllergiesSet"
    allergens: list[str]

    def apply(self, a: Account) -> None:
        a.allergies = self.allergens  # type: ignore[attr-defined]


class CategoryLimitsSet(Account.Event):
    """Per terminal kind, the most the card may spend there per school day (0: not at all)."""

    TOPIC = "infoshkola.account.CategoryLimitsSet"
    limits: dict[str, int]

    def apply(self, a: Account) -> None:
        a.category_limits = self.limits  # type: ignore[attr-defined]


class CardsFrozen(Account.Event):
    TOPIC = "infoshkola.account.CardsFrozen"
    reason: str

    def apply(self, a: Account) -> None:
        a.frozen = self.reason  # type: ignore[attr-defined]


class CardsUnfrozen(Account.Event):
    TOPIC = "infoshkola.account.CardsUnfrozen"

    def apply(self, a: Account) -> None:
        a.frozen = None  # type: ignore[attr-defined]


register_events(ItemBansSet, AllergiesSet, CategoryLimitsSet, CardsFrozen, CardsUnfrozen)


@dataclass(frozen=True)
class Protection:
    bans: tuple[str, ...]
    allergies: tuple[str, ...]
    limits: Mapping[str, int]
    frozen: str | None


def protection_of(a: Account) -> Protection:
    state = a.__dict__
    return Protection(
        tuple(state.get("item_bans", ())),
        tuple(state.get("allergies", ())),
        dict(state.get("category_limits", {})),
        state.get("frozen"),
    )


def set_bans(a: Account, codes: Sequence[str]) -> None:
    if len(codes) > MAX_BANS:
        raise InvalidCommandError(f"at most {MAX_BANS} banned items")
    clean = sorted({text(c, CODE, what="a banned item's code") for c in codes})
    if tuple(clean) != protection_of(a).bans:
        a.trigger_event(ItemBansSet, codes=clean)


def set_allergies(a: Account, allergens: Sequence[str]) -> None:
    if len(allergens) > MAX_ALLERGIES:
        raise InvalidCommandError(f"at most {MAX_ALLERGIES} allergens")
    clean = sorted({text(x, NAME, what="an allergen").casefold() for x in allergens})
    if tuple(clean) != protection_of(a).allergies:
        a.trigger_event(AllergiesSet, allergens=clean)


def set_limits(a: Account, limits: Mapping[str, int]) -> None:
    clean = {}
    for kind, limit in limits.items():
        if kind not in PAYING_KINDS:
            raise InvalidCommandError(f"{kind!r} is not a paying terminal kind")
        clean[TerminalKind(kind).value] = check_count(
            limit, what=f"the daily limit at {kind}", least=0, most=MAX_DAILY_LIMIT
        )
    if clean != protection_of(a).limits:
        a.trigger_event(CategoryLimitsSet, limits=dict(sorted(clean.items())))


def freeze(a: Account, reason: str) -> None:
    a.check_open()
    reason = text(reason, REASON, what="why the cards are frozen")
    if protection_of(a).frozen is None:
        a.trigger_event(CardsFrozen, reason=reason)


def unfreeze(a: Account) -> None:
    if protection_of(a).frozen is not None:
        a.trigger_event(CardsUnfrozen)


def refusal(
    a: Account, ctx: TapContext, menu: Callable[[], Mapping[str, Sequence[str]]]
) -> DeclineReason | None:
    """Why the parent's protection declines this purchase (None: it does not).

    Only once the card itself may pay: a blocked card stays `card_blocked`. `menu` gives the
    allergens of the day's menu per item code, looked up only when allergies are flagged."""
    if a._card_refusal(ctx, paying=True) is not None:
        return None
    p = protection_of(a)
    if p.frozen is not None:
        return DeclineReason.CARD_FROZEN
    codes = {i.code for i in ctx.request.items}
    if codes & set(p.bans):
        return DeclineReason.BANNED_ITEM
    if p.allergies:
        allergens = menu()
        flagged = set(p.allergies)
        for code in codes:
            if flagged & {x.casefold() for x in allergens.get(code, ())}:
                return DeclineReason.ALLERGEN
    limit = p.limits.get(ctx.kind)
    if limit is not None:
        total = split_payment(ctx.request.items, 0, meals_count=False).total
        spent: dict[str, Any] = a.__dict__.get("kind_spent", {})
        today = spent.get(ctx.kind, 0) if spent.get("day") == ctx.local_date.isoformat() else 0
        if today + total > limit:
            return DeclineReason.CATEGORY_LIMIT
    return None


def menu_allergens(items: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    return {str(i["code"]): list(i.get("allergens", ())) for i in items}
