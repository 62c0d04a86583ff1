"""Offline purchases arriving late: what the server records when a reader decided alone.

The food was eaten, so an offline purchase is never declined after the fact. What a reader
keeping to its rules could not have allowed is recorded anyway, as a debt the regular wallet
may show below zero, with the reason it would have been declined online
(`Account.OfflinePurchaseRecorded.online_reason`): that reason is the school's flag. Such a
purchase is bounded like any other (`domain.purchase.parse_items`: lines, quantities, prices,
total), and its `tapped_at` lies within the reader's offline period (`domain.tap`).

The offline cap is the readers' rule per card, reader and school-local day. One tap over the
cap is something no reader keeping to it could approve: the server flags it (`offline_cap`).
Several readers may together let a card spend more than one cap; each tap then stays within it
and is decided on the money like any other.
"""

from domain.kinds import CardState, DeclineReason


def offline_reason(
    after_block: bool, state: CardState, amount: int, offline_cap: int
) -> DeclineReason | None:
    """Why a conforming reader could not have approved this tap, if it could not."""
    if after_block:
        return DeclineReason.CARD_BLOCKED
    if amount > offline_cap:
        return DeclineReason.OFFLINE_CAP
    if state == CardState.ISSUED:
        return DeclineReason.CARD_NOT_ACTIVATED
    return None
