"""Group commit: many taps decided on shared state and saved in one transaction."""

from datetime import datetime, timedelta
from uuid import uuid4

from domain.errors import DomainError, TapConflictError, TapTooOldError, UnknownTerminalError
from domain.group_commit import TapResult
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from tests.builders import SchoolWorld, at_once, covering_lunches, lunch, meal
from tests.clock import now


def test_a_batch_decides_in_order_and_saves_once(travelled: datetime, world: SchoolWorld) -> None:
    ledger = world.ledger
    pupil = world.pupil(deposit=3 * 9_000)
    ledger.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
    other = world.pupil(deposit=10_000)
    stray = TapRequest.parse(uuid4(), "x", other.uid, now(), direction="in")
    requests = [lunch(world, pupil.uid, f"b-{n}") for n in range(5)]
    batch = [*requests[:2], requests[0], stray, *requests[2:], lunch(world, other.uid, "o-1")]

    results = ledger.handle_taps(batch)

    assert isinstance(results[3], UnknownTerminalError)
    decided = [r for r in results if isinstance(r, TapResult)]
    assert [r.decision.outcome for r in decided] == [
        *["approved"] * 5,  # b-0, b-1, b-0 again, b-2, b-3 (the last two within the overdraft)
        "declined",  # b-4: beyond the school's meal overdraft
        "approved",  # the other pupil
    ]
    assert decided[2].replayed
    assert decided[2].decision == decided[0].decision
    assert len({r.position for r in decided}) == 1, "one save for the whole batch"
    assert ledger.account(pupil.account_id).regular == 3 * 9_000 - 4 * 9_000  # meal overdraft
    assert ledger.account(other.account_id).regular == 1_000
    again = ledger.handle_taps(requests)
    first = {r.decision.tap_id: r.decision for r in decided}
    assert all(isinstance(r, TapResult) and r.replayed for r in again)
    assert [r.decision for r in again if isinstance(r, TapResult)] == [
        first[f"b-{n}"] for n in range(5)
    ]


def test_concurrent_batches_on_one_account_never_overspend(
    travelled: datetime, ledger: Ledger
) -> None:
    covered = 9
    world, pupil = covering_lunches(ledger, covered)

    def run(worker: int) -> list[TapResult | DomainError]:
        return ledger.handle_taps([lunch(world, pupil.uid, f"w{worker}-{n}") for n in range(6)])

    results = [r for batch in at_once(4, run) for r in batch]
    outcomes = [r.decision.outcome for r in results if isinstance(r, TapResult)]
    assert len(outcomes) == 24
    assert outcomes.count("approved") == covered
    assert ledger.account(pupil.account_id).regular == 0


def test_a_refused_tap_fails_only_itself_and_a_retry_answers_its_own_decision(
    travelled: datetime, world: SchoolWorld
) -> None:
    ledger = world.ledger
    pupil = world.pupil(deposit=50_000)
    ledger.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
    once = lunch(world, pupil.uid, "t-1")
    [first] = ledger.handle_taps([once])
    assert isinstance(first, TapResult)
    terminal = world.terminals["canteen_pos"]
    clash = TapRequest.parse(terminal, "t-1", pupil.uid, now(), items=[meal(5_000)])
    stale = TapRequest.parse(
        terminal, "old", pupil.uid, now() - timedelta(days=30), items=[meal(9_000)]
    )
    batch = [lunch(world, pupil.uid, "t-2"), clash, stale, once, lunch(world, pupil.uid, "t-3")]

    results = ledger.handle_taps(batch)

    assert isinstance(results[1], TapConflictError), "t-1 again with another payload"
    assert isinstance(results[2], TapTooOldError)
    retried = results[3]
    assert isinstance(retried, TapResult)
    assert retried.replayed, "the same tap again: its own decision, nothing new saved"
    assert retried.decision == first.decision
    saved = [results[0], results[4]]
    assert all(isinstance(r, TapResult) and r.decision.outcome == "approved" for r in saved)
    assert len({r.position for r in saved if isinstance(r, TapResult)}) == 1
    assert ledger.account(pupil.account_id).regular == 50_000 - 3 * 9_000
