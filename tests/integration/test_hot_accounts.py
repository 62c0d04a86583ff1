"""Group commit's hot state and conflicts: a remembered account is trusted only through the
version check, and a conflict re-decides only the taps whose accounts changed underneath."""

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from adapters.postgres import eventsourcing_env
from domain.group_commit import PendingTap, TapResult
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from tests.builders import SchoolWorld, lunch, paid


@pytest.fixture
def other_process(database_url: str) -> Iterator[Ledger]:
    """A second ledger on the same database, as another API process would be."""
    app = Ledger(eventsourcing_env(database_url, pool_size=2), snapshot_interval=10)
    yield app
    app.close()


def approved(results: Sequence[object]) -> list[str]:
    return [r.decision.outcome for r in results if isinstance(r, TapResult)]


def test_a_remembered_account_changed_by_another_process_is_reloaded(
    travelled: datetime, world: SchoolWorld, other_process: Ledger
) -> None:
    ledger = world.ledger
    assert ledger.group_commit.versions is not None, "PostgreSQL offers the version check"
    pupil = world.pupil(deposit=10_000)
    ledger.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
    assert approved(ledger.handle_taps([lunch(world, pupil.uid, "warm", 1_000)])) == ["approved"]
    assert len(ledger.group_commit.hot) >= 2, "the account and the school stay in memory"

    other_process.top_up(pupil.account_id, 50_000, "sbp", paid(pupil, "elsewhere-1"))
    results = ledger.handle_taps([lunch(world, pupil.uid, "after", 20_000)])

    assert approved(results) == ["approved"]
    assert results[0].decision.regular_after == 10_000 - 1_000 + 50_000 - 20_000  # type: ignore[union-attr]
    assert other_process.account(pupil.account_id).regular == 39_000


def test_a_conflict_redecides_only_the_taps_of_the_changed_account(
    travelled: datetime, world: SchoolWorld, other_process: Ledger
) -> None:
    ledger = world.ledger
    raced, calm = world.pupil(deposit=30_000), world.pupil(deposit=30_000)
    for pupil in (raced, calm):
        ledger.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
    decide = ledger.decide_tap
    raced_once: list[bool] = []

    def another_writer_saves_meanwhile(request: TapRequest) -> PendingTap:
        pending = decide(request)  # decided on the loaded state ...
        if not raced_once:  # ... which another process changes before our save
            raced_once.append(True)
            elsewhere = lunch(world, raced.uid, "elsewhere", 25_000)
            with ThreadPoolExecutor(1) as another:  # its own thread, as another process
                another.submit(other_process.handle_tap, elsewhere).result()
        return pending

    ledger.decide_tap = another_writer_saves_meanwhile  # type: ignore[method-assign]
    batch = [
        lunch(world, raced.uid, "r-1", 4_000),
        lunch(world, calm.uid, "c-1", 1_000),
        lunch(world, raced.uid, "r-2", 4_000),
        lunch(world, calm.uid, "c-2", 1_000),
    ]
    results = ledger.handle_taps(batch)

    assert all(isinstance(r, TapResult) for r in results)
    decided = [r for r in results if isinstance(r, TapResult)]
    # The raced account had 5,000 left: r-1 approved, r-2 within the meal overdraft.
    assert [r.decision.regular_after for r in decided] == [1_000, 29_000, -3_000, 28_000]
    assert decided[1].position == decided[3].position, "the calm taps saved together"
    assert decided[0].position != decided[1].position, "the raced taps decided again alone"
    assert ledger.account(raced.account_id).regular == -3_000
    assert ledger.account(calm.account_id).regular == 28_000
