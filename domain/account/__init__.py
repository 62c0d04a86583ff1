"""Account (учётный счёт): a pupil's money, cards, tariff and limits, one per contract.

Commands validate and then record a past-tense event; each event's `apply` only assigns.
`Account` is composed of one part per concern, each part a module of this package holding
that concern's events and decisions:

| part | module |
|---|---|
| cards: issue, activate, block, unblock, duplicate | `cards.py` |
| money in: top-ups, the subsidy | `money.py` |
| money and taps: purchases, offline purchases, passes | `taps.py` |
| tariff, daily limit, monthly fees and fee debt | `tariff.py` |
| notification preferences, contact, low-balance alert | `notifications.py` |
| disputes of a charge | `disputes.py` |
| refund, closing, erasure | `closing.py` |
| the state they all read, the base event | `state.py` |

Every event keeps its explicit TOPIC ("infoshkola.account.…"): `Account.CardIssued` is what
is stored and read back, whichever module defines it (tests/domain/test_stored_topics.py).
"""

from typing import Any
from uuid import UUID, uuid4

from eventsourcing.domain import Snapshot as BaseSnapshot

from domain.account.cards import ACTIVATION_MIN_DEPOSIT, DUPLICATE_CARD_FEE, MAX_LIVE_CARDS, Cards
from domain.account.closing import REFUND_DESTINATIONS, Closing
from domain.account.disputes import Disputes
from domain.account.money import Money
from domain.account.notifications import Notifications
from domain.account.state import DEFAULT_DAILY_LIMIT, SPENT_DAYS_KEPT, AccountState, spent_after
from domain.account.taps import Taps
from domain.account.tariff import TariffAndFees
from domain.fees import history_after
from domain.fields import CODE, REF, text
from domain.kinds import Tariff
from domain.recorded import AssignsFields, Recorded

__all__ = [
    "ACTIVATION_MIN_DEPOSIT",
    "DEFAULT_DAILY_LIMIT",
    "DUPLICATE_CARD_FEE",
    "MAX_LIVE_CARDS",
    "REFUND_DESTINATIONS",
    "SPENT_DAYS_KEPT",
    "Account",
    "spent_after",
]


class Account(Cards, Money, Taps, TariffAndFees, Notifications, Disputes, Closing):
    TOPIC = "infoshkola.account.Account"

    class Created(Recorded.Created):
        TOPIC = "infoshkola.account.Created"

    class Snapshot(BaseSnapshot):
        TOPIC = "infoshkola.account.Snapshot"
        class_version = 2

        @staticmethod
        def upcast_v1_v2(snapshot: dict[str, Any]) -> None:
            """Snapshots from before notifications and fees: their defaults; the tariff
            history starts with the current tariff at the opening (earlier changes unknown)."""
            a = snapshot["state"]
            a.setdefault("service_only", False)
            a.setdefault("contact_ref", None)
            a.setdefault("low_balance_threshold", 0)
            a.setdefault("fee_debt", 0)
            a.setdefault("tariff_history", history_after([], a["_created_on"], a["tariff"]))

    class Opened(AssignsFields, Created):
        TOPIC = "infoshkola.account.Opened"
        actor: str
        contract_number: str
        school_id: UUID
        class_name: str
        pupil_ref: str
        parent_ref: str

        def apply(self, a: AccountState) -> None:
            super().apply(a)
            a.regular, a.subsidised = 0, 0
            a.cards = {}
            a.offer_accepted, a.parent_phone_ref = False, None
            a.tariff, a.daily_limit = Tariff.ZERO.value, DEFAULT_DAILY_LIMIT
            a.spent = {}
            a.subsidy = None
            a.closed = False
            a.blocked_at = {}
            a.service_only, a.contact_ref = False, None
            a.low_balance_threshold, a.fee_debt = 0, 0
            a.tariff_history = history_after([], self.timestamp, Tariff.ZERO.value)
            a.disputes, a.refund, a.erased = {}, None, False

    @classmethod
    def open(
        cls, contract_number: str, school_id: UUID, class_name: str, pupil_ref: str, parent_ref: str
    ) -> "Account":
        return cls._create(
            cls.Opened,
            id=uuid4(),
            contract_number=contract_number,
            school_id=school_id,
            class_name=text(class_name, CODE, what="a class"),
            pupil_ref=text(pupil_ref, REF, what="the pupil's reference"),
            parent_ref=text(parent_ref, REF, what="the parent's reference"),
        )
