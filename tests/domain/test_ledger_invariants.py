"""Random taps, top-ups, limit and tariff changes, blocks and subsidies keep DESIGN.md's
invariants 1-5 and 8 after every step, across local midnight in Novosibirsk and Irkutsk.

The ledger runs on eventsourcing's in-memory recorder here for speed; the same application
runs on PostgreSQL in tests/integration. Every check folds over the stored events on its own
rather than trusting the aggregate's arithmetic.
"""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from domain.account import DUPLICATE_CARD_FEE, Account
from domain.errors import DomainError
from domain.kinds import DeclineReason, TerminalKind
from domain.ledger import Ledger
from domain.tap import TapRequest
from tests.builders import Pupil, SchoolWorld, new_school, new_uid

ZONES = {"Asia/Novosibirsk": 15_000, "Asia/Irkutsk": 0}  # time zone -> meal overdraft
KINDS = ["canteen_pos", "vending", "wardrobe", "locker", "turnstile"]

item = st.fixed_dictionaries(
    {
        "code": st.sampled_from(["LUNCH", "BUN", "TEA", "COAT"]),
        "name": st.just("позиция"),
        "price": st.integers(100, 15_000),
        "quantity": st.integers(1, 2),
        "meal": st.booleans(),
    }
)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        # 15:30 UTC is 22:30 in Novosibirsk and 23:30 in Irkutsk: midnights come soon.
        self.now = datetime(2025, 9, 1, 15, 30, tzinfo=UTC)
        self.ledger = Ledger(
            {"PERSISTENCE_MODULE": "eventsourcing.popo"},
            clock=lambda: self.now,
            snapshot_interval=7,
        )
        self.worlds: list[SchoolWorld] = []
        self.pupils: list[tuple[SchoolWorld, Pupil]] = []
        self.taps: list[tuple[TapRequest, dict[str, Any]]] = []
        self.payments: list[tuple[Pupil, int, str, str, Any]] = []
        self.blocked: list[tuple[SchoolWorld, str]] = []

    @initialize()
    def open_schools(self) -> None:
        for zone, overdraft in ZONES.items():
            world = new_school(self.ledger, zone, overdraft)
            self.worlds.append(world)
            for deposit in (10_000, 12_000):
                self.pupils.append((world, world.pupil(deposit)))

    def _tap(
        self,
        world: SchoolWorld,
        home: SchoolWorld,
        uid: str,
        kind: str,
        items: list[dict[str, Any]],
    ) -> dict[str, Any]:
        direction = "in" if kind == "turnstile" else None
        request = TapRequest.parse(
            home.terminals[kind],
            str(uuid4()),
            uid,
            self.now,
            items=None if direction else items,
            direction=direction,
        )
        decision = self.ledger.handle_tap(request).decision.as_dict()
        if home is not world:
            assert decision["reason"] == DeclineReason.FOREIGN_SCHOOL
        self.taps.append((request, decision))
        return decision

    @rule(data=st.data(), items=st.lists(item, min_size=1, max_size=3))
    def canteen_tap(self, data: st.DataObject, items: list[dict[str, Any]]) -> None:
        world, pupil = data.draw(st.sampled_from(self.pupils))
        self._tap(world, world, pupil.uid, "canteen_pos", items)

    @rule(data=st.data(), kind=st.sampled_from(KINDS), items=st.lists(item, min_size=1, max_size=2))
    def any_tap(self, data: st.DataObject, kind: str, items: list[dict[str, Any]]) -> None:
        world, pupil = data.draw(st.sampled_from(self.pupils))
        home = data.draw(st.sampled_from(self.worlds))
        self._tap(world, home, pupil.uid, kind, items)

    @rule(data=st.data(), kind=st.sampled_from(KINDS))
    def tap_a_blocked_card(self, data: st.DataObject, kind: str) -> None:
        if not self.blocked:
            return
        world, uid = data.draw(st.sampled_from(self.blocked))
        decision = self._tap(world, world, uid, kind, [{"code": "A", "name": "B", "price": 100}])
        assert decision["reason"] == DeclineReason.CARD_BLOCKED

    @rule(kind=st.sampled_from(["canteen_pos", "turnstile"]))
    def tap_unknown_card(self, kind: str) -> None:
        world = self.worlds[0]
        turnstile = kind == "turnstile"
        items = None if turnstile else [{"code": "A", "name": "B", "price": 100}]
        result = world.tap(
            kind, new_uid(), items=items, direction="in" if turnstile else None, at=self.now
        )
        assert result.decision.reason == DeclineReason.UNKNOWN_CARD

    @rule(data=st.data())
    def retry_a_tap(self, data: st.DataObject) -> None:
        if not self.taps:
            return
        request, decision = data.draw(st.sampled_from(self.taps))
        before = self.ledger.recorder.max_notification_id()
        result = self.ledger.handle_tap(request)
        assert result.replayed
        assert result.decision.as_dict() == decision
        assert self.ledger.recorder.max_notification_id() == before

    @rule(
        data=st.data(), amount=st.integers(1, 50_000), channel=st.sampled_from(["bank_card", "sbp"])
    )
    def top_up(self, data: st.DataObject, amount: int, channel: str) -> None:
        _, pupil = data.draw(st.sampled_from(self.pupils))
        payment_id = str(uuid4())
        result = self.ledger.top_up(pupil.account_id, amount, channel, payment_id)
        self.payments.append((pupil, amount, channel, payment_id, result))

    @rule(data=st.data())
    def retry_a_top_up(self, data: st.DataObject) -> None:
        if not self.payments:
            return
        pupil, amount, channel, payment_id, first = data.draw(st.sampled_from(self.payments))
        again = self.ledger.top_up(pupil.account_id, amount, channel, payment_id)
        assert again.replayed
        assert (again.amount, again.regular_after) == (
            first.amount,
            first.regular_after,
        )

    @rule(data=st.data(), limit=st.integers(0, 40_000))
    def change_daily_limit(self, data: st.DataObject, limit: int) -> None:
        _, pupil = data.draw(st.sampled_from(self.pupils))
        self.ledger.change_daily_limit(pupil.account_id, limit)

    @rule(data=st.data(), tariff=st.sampled_from(["zero", "mobile", "sms_plus"]))
    def change_tariff(self, data: st.DataObject, tariff: str) -> None:
        _, pupil = data.draw(st.sampled_from(self.pupils))
        self.ledger.change_tariff(pupil.account_id, tariff)

    @rule(data=st.data())
    def lose_and_replace_a_card(self, data: st.DataObject) -> None:
        world, pupil = data.draw(st.sampled_from(self.pupils))
        self.ledger.block_card(pupil.account_id, pupil.uid, "lost")
        self.blocked.append((world, pupil.uid))
        shortfall = DUPLICATE_CARD_FEE - self.ledger.account(pupil.account_id).regular
        if shortfall > 0:
            self.ledger.top_up(pupil.account_id, shortfall, "sbp", str(uuid4()))
        pupil.uid = new_uid()
        self.ledger.order_duplicate(pupil.account_id, self.blocked[-1][1], pupil.uid)

    @rule(data=st.data(), amount=st.integers(1_000, 20_000))
    def subsidise(self, data: st.DataObject, amount: int) -> None:
        _, pupil = data.draw(st.sampled_from(self.pupils))
        if self.ledger.account(pupil.account_id).subsidy is None:
            self.ledger.grant_subsidy(pupil.account_id, "льгота", amount)
        self.ledger.credit_subsidy(pupil.account_id, amount, self.now.date().isoformat())

    @rule(data=st.data())
    def revoke_subsidy(self, data: st.DataObject) -> None:
        _, pupil = data.draw(st.sampled_from(self.pupils))
        try:
            self.ledger.revoke_subsidy(pupil.account_id, "истёк срок")
        except DomainError:
            assert self.ledger.account(pupil.account_id).subsidy is None

    @rule(minutes=st.integers(1, 36 * 60))
    def time_passes(self, minutes: int) -> None:
        self.now += timedelta(minutes=minutes)

    @invariant()
    def history_explains_every_account(self) -> None:
        for world, pupil in self.pupils:
            check_account_history(self.ledger, world, pupil)


def check_account_history(ledger: Ledger, world: SchoolWorld, pupil: Pupil) -> None:
    school = ledger.school(world.school_id)
    zone, overdraft = ZoneInfo(school.time_zone), school.meal_overdraft
    regular = subsidised = 0
    limit = 20_000
    spent: dict[str, int] = defaultdict(int)
    blocked: set[str] = set()
    for event in ledger.events.get(pupil.account_id):
        if isinstance(event, Account.ToppedUp):
            regular += event.amount
        elif isinstance(event, Account.DuplicateCardOrdered):
            assert regular - event.fee >= 0, "a card fee never overdraws"
            regular -= event.fee
        elif isinstance(event, Account.SubsidyCredited):
            subsidised += event.amount
        elif isinstance(event, Account.DailyLimitChanged):
            limit = event.limit
        elif isinstance(event, Account.CardBlocked):
            blocked.add(event.uid)
        elif isinstance(event, Account.PassRecorded):
            assert event.card_uid not in blocked, "invariant 5: blocked card passed"
        elif isinstance(event, Account.PurchaseApproved):
            assert event.card_uid not in blocked, "invariant 5: blocked card paid"
            assert event.terminal_id in world.terminals.values()
            day = event.tapped_at.astimezone(zone).date().isoformat()
            assert event.local_date == day
            assert spent[day] + event.from_regular <= limit, "invariant 4: daily limit"
            spent[day] += event.from_regular
            meals = sum(i["price"] * i["quantity"] for i in event.items if i["meal"])
            meals = meals if event.terminal_kind == TerminalKind.CANTEEN_POS else 0
            others = event.amount - meals
            assert event.from_subsidised <= meals
            assert others == 0 or regular - others >= 0, "invariant 3: non-meal overdraft"
            regular -= event.from_regular
            subsidised -= event.from_subsidised
            floor = -overdraft if event.from_regular > others else 0
            assert regular >= floor, "invariant 3: below the overdraft policy"
            assert subsidised >= 0
    account = ledger.account(pupil.account_id)
    assert (account.regular, account.subsidised) == (regular, subsidised), "invariant 1"
    assert account.daily_limit == limit


TestLedgerInvariants = LedgerMachine.TestCase
TestLedgerInvariants.settings = settings(max_examples=100, stateful_step_count=40, deadline=None)
