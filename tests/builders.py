"""Small builders so tests read as the school's story, not as setup code."""

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from domain.group_commit import TapResult
from domain.kinds import TerminalKind
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from tests.clock import now

_counter = itertools.count(1)

T = TypeVar("T")


def new_uid() -> str:
    """A card UID no other test has: not from `random`, which Hypothesis seeds the same for
    every example (a test run at several sweep instants on one database would meet its own)."""
    return "04" + uuid4().hex[:12].upper()


def meal(price: int = 9000, code: str = "LUNCH", quantity: int = 1) -> dict[str, Any]:
    return {"code": code, "name": "Комплексный обед", "price": price, "quantity": quantity,
            "meal": True}  # fmt: skip


def snack(price: int = 4500, code: str = "BUN", quantity: int = 1) -> dict[str, Any]:
    return {"code": code, "name": "Булочка", "price": price, "quantity": quantity, "meal": False}


@dataclass
class Pupil:
    account_id: UUID
    contract_number: str
    uid: str


@dataclass
class SchoolWorld:
    """A registered school with one terminal of each kind."""

    ledger: Ledger
    school_id: UUID
    terminals: dict[str, UUID] = field(default_factory=dict)

    def pupil(self, deposit: int = 50_000, activate: bool = True) -> Pupil:
        contract = f"T-{uuid4().hex[:10]}"
        account_id = self.ledger.open_account(
            contract, self.school_id, "5А", f"subject:{uuid4()}", f"subject:{uuid4()}"
        )
        uid = new_uid()
        self.ledger.issue_card(account_id, uid)
        if activate:
            self.ledger.activate_card(
                uid, "offer-2025", f"subject:{uuid4()}", deposit, f"kiosk-{uuid4()}",
                self.terminals[TerminalKind.KIOSK],
            )  # fmt: skip
        return Pupil(account_id, contract, uid)

    def tap(
        self,
        kind: str,
        uid: str,
        *,
        items: list[dict[str, Any]] | None = None,
        direction: str | None = None,
        at: datetime | None = None,
        tap_id: str | None = None,
        offline: bool = False,
        photo_check: str | None = None,
        paying_wallet: str | None = None,
        slot: str | None = None,
    ) -> TapResult:
        request = TapRequest.parse(
            self.terminals[kind],
            tap_id or f"tap-{next(_counter)}-{uuid4().hex[:6]}",
            uid,
            at or self.ledger.clock(),  # the server's clock: an online tap is "now"
            items=items,
            direction=direction,
            offline=offline,
            photo_check=photo_check,
            paying_wallet=paying_wallet,
            slot=slot,
        )
        return self.ledger.handle_tap(request)

    def tap_then(self, kind: str, uid: str, *, at: datetime, **kw: Any) -> TapResult:
        """A tap posted online at `at`: the server decides with its clock at `at` (the window
        of an online tap is minutes), for stories set on a given day. The event store still
        stamps the real time."""
        clock = self.ledger.clock
        self.ledger.clock = lambda: at
        try:
            return self.tap(kind, uid, at=at, **kw)
        finally:
            self.ledger.clock = clock


def paid(pupil: Pupil, name: str) -> str:
    """The payment id `name` of this pupil's: payment ids are unique across the ledger, and the
    date sweep (`make test-dates`) runs each test again on the same database."""
    return f"{name}-{pupil.contract_number}"


def new_school(
    ledger: Ledger, time_zone: str = "Asia/Novosibirsk", meal_overdraft: int = 15_000
) -> SchoolWorld:
    school_id = ledger.register_school("Школа №1", "Новосибирск", time_zone, meal_overdraft)
    world = SchoolWorld(ledger, school_id)
    for kind in TerminalKind:
        world.terminals[kind.value] = ledger.register_terminal(school_id, kind.value, kind.value)
    return world


def covering_lunches(ledger: Ledger, lunches: int) -> tuple[SchoolWorld, Pupil]:
    """A school without meal overdraft and a pupil whose money covers exactly `lunches` lunches
    of 9 000 kopecks, no daily limit in the way."""
    world = new_school(ledger, meal_overdraft=0)
    pupil = world.pupil(deposit=lunches * 9_000)
    ledger.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
    return world, pupil


def lunch(world: SchoolWorld, uid: str, tap_id: str, price: int = 9000) -> TapRequest:
    """A lunch at the school's canteen till at the test's clock, as a request not yet decided:
    for a batch (`handle_taps`, the group commit) or the tap batcher."""
    terminal = world.terminals["canteen_pos"]
    return TapRequest.parse(terminal, tap_id, uid, now(), items=[meal(price)])


def at_once(workers: int, work: Callable[[int], T]) -> list[T]:
    """`work(0)` … `work(workers - 1)`, each on a thread of its own, all released together."""
    start = threading.Barrier(workers)

    def run(worker: int) -> T:
        start.wait()
        return work(worker)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, range(workers)))
