"""An account's cards: issued, activated at the kiosk, blocked, unblocked, replaced."""

from domain.account.state import AccountState
from domain.errors import (
    CardStateError,
    InsufficientFundsError,
    InvalidAmountError,
    TooManyActiveCardsError,
)
from domain.fields import CODE, REASON, REF, text
from domain.kinds import CardState
from domain.money import RUBLE

MAX_LIVE_CARDS = 2
ACTIVATION_MIN_DEPOSIT = 100 * RUBLE
DUPLICATE_CARD_FEE = 50 * RUBLE


class Cards(AccountState):
    class CardIssued(AccountState.Event):
        TOPIC = "infoshkola.account.CardIssued"
        uid: str
        state: str

        def apply(self, a: AccountState) -> None:
            a.cards[self.uid] = self.state

    class CardActivated(AccountState.Event):
        TOPIC = "infoshkola.account.CardActivated"
        uid: str
        offer_version: str
        parent_phone_ref: str

        def apply(self, a: AccountState) -> None:
            a.cards[self.uid] = CardState.ACTIVE.value
            a.offer_accepted, a.parent_phone_ref = True, self.parent_phone_ref

    class CardBlocked(AccountState.Event):
        TOPIC = "infoshkola.account.CardBlocked"
        uid: str
        reason: str

        def apply(self, a: AccountState) -> None:
            a.cards[self.uid] = CardState.BLOCKED.value
            a.blocked_at = {**a.blocked_at, self.uid: self.timestamp}

    class CardUnblocked(AccountState.Event):
        """Support returned a blocked card to service (found again, blocked by mistake)."""

        TOPIC = "infoshkola.account.CardUnblocked"
        uid: str
        state: str
        reason: str

        def apply(self, a: AccountState) -> None:
            a.cards[self.uid] = self.state
            a.blocked_at = {k: v for k, v in a.blocked_at.items() if k != self.uid}

    class DuplicateCardOrdered(AccountState.Event):
        TOPIC = "infoshkola.account.DuplicateCardOrdered"
        blocked_uid: str
        new_uid: str
        new_state: str
        fee: int

        def apply(self, a: AccountState) -> None:
            a.cards[self.new_uid] = self.new_state
            a.regular -= self.fee

    def issue_card(self, uid: str) -> None:
        self.check_open()
        self._check_room(
            f"an account holds at most {MAX_LIVE_CARDS} cards that are not blocked", uid
        )
        self.trigger_event(self.CardIssued, uid=uid, state=self._new_card_state())

    def activate_card(
        self, uid: str, offer_version: str, parent_phone_ref: str, deposit: int
    ) -> None:
        """Activation at the kiosk: the offer accepted, a parent phone, a first cash deposit."""
        self.check_open()
        if self.card_state(uid) != CardState.ISSUED:
            raise CardStateError(f"card {uid} is {self.cards[uid]}, not waiting for activation")
        offer_version = text(offer_version, CODE, what="the accepted offer's version")
        parent_phone_ref = text(parent_phone_ref, REF, what="the parent's phone reference")
        if deposit < ACTIVATION_MIN_DEPOSIT:
            raise InvalidAmountError(
                f"the first deposit must be at least {ACTIVATION_MIN_DEPOSIT} kopecks"
            )
        self.trigger_event(
            self.CardActivated,
            uid=uid,
            offer_version=offer_version,
            parent_phone_ref=parent_phone_ref,
        )

    def block_card(self, uid: str, reason: str) -> None:
        reason = text(reason, REASON, what="why the card is blocked")
        if self.card_state(uid) == CardState.BLOCKED:
            return
        self.trigger_event(self.CardBlocked, uid=uid, reason=reason)

    def unblock_card(self, uid: str, reason: str) -> None:
        self.check_open()
        if self.card_state(uid) != CardState.BLOCKED:
            raise CardStateError(f"card {uid} is not blocked")
        reason = text(reason, REASON, what="why the card is unblocked")
        self._check_room("block another card before unblocking this one")
        self.trigger_event(self.CardUnblocked, uid=uid, state=self._new_card_state(), reason=reason)

    def order_duplicate(self, blocked_uid: str, new_uid: str) -> None:
        """A new card replaces a blocked one, for a fee the regular wallet must cover."""
        self.check_open()
        if self.card_state(blocked_uid) != CardState.BLOCKED:
            raise CardStateError(f"card {blocked_uid} must be blocked before it is replaced")
        self._check_room("block another card before ordering a duplicate", new_uid)
        if self.regular < DUPLICATE_CARD_FEE:
            raise InsufficientFundsError(
                f"a duplicate card costs {DUPLICATE_CARD_FEE} kopecks; top up the account first"
            )
        self.trigger_event(
            self.DuplicateCardOrdered,
            blocked_uid=blocked_uid,
            new_uid=new_uid,
            new_state=self._new_card_state(),
            fee=DUPLICATE_CARD_FEE,
        )

    def _check_room(self, too_many: str, new_uid: str | None = None) -> None:
        """Refuse one card more in service than an account holds (`too_many` says what to do
        instead), and a `new_uid` that is on the account already."""
        if new_uid in self.cards:
            raise CardStateError(f"card {new_uid} is already on this account")
        if len(self.live_cards) >= MAX_LIVE_CARDS:
            raise TooManyActiveCardsError(too_many)

    def _new_card_state(self) -> str:
        """A card put on the account works at once once the offer was accepted."""
        return (CardState.ACTIVE if self.offer_accepted else CardState.ISSUED).value
