"""The pipelined group commit (`api/tap_batcher.py`): the next group is decided while the
previous one commits, on the state it left; a tap is answered only after its own commit, and
a group decided on a save that did not go through is decided again from the store."""

import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

import pytest
from psycopg import OperationalError

from adapters.postgres import eventsourcing_env
from api.tap_batcher import TapBatcher
from domain.group_commit import Batch, Outcome, TapResult
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from tests.builders import Pupil, SchoolWorld, lunch

PRICE = 1_000


@pytest.fixture
def other_process(database_url: str) -> Iterator[Ledger]:
    """A second ledger on the same database, as another API process would be."""
    app = Ledger(eventsourcing_env(database_url, pool_size=2))
    yield app
    app.close()


class HeldSave:
    """The batcher's first save waits until `release`; the group decided meanwhile is seen."""

    def __init__(self, ledger: Ledger, fail_with: Exception | None = None) -> None:
        commit = ledger.group_commit
        self.saving, self.release = threading.Event(), threading.Event()
        self.decided: list[Batch] = []
        save, decide = commit.save, commit.decide
        self.next_decided = threading.Event()

        def held(batch: Batch) -> list[Outcome]:
            if not self.saving.is_set():
                self.saving.set()
                assert self.release.wait(30)
                if fail_with is not None:
                    raise fail_with
            return save(batch)

        def watched(*args: object, **kwargs: object) -> Batch:
            batch = decide(*args, **kwargs)  # type: ignore[arg-type]
            self.decided.append(batch)
            if self.saving.is_set():
                self.next_decided.set()
            return batch

        commit.save = held  # type: ignore[method-assign]
        commit.decide = watched  # type: ignore[method-assign]


def pupils(world: SchoolWorld) -> tuple[Pupil, Pupil]:
    ann, bob = world.pupil(deposit=10_000), world.pupil(deposit=10_000)
    for pupil in (ann, bob):
        world.ledger.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
    return ann, bob


@dataclass
class Rig:
    batcher: TapBatcher
    held: HeldSave
    ann: Pupil
    bob: Pupil
    first: "Future[TapResult]"  # Ann's a-1
    later: list["Future[TapResult]"]  # Ann's a-2, Bob's b-1, a-1 sent again


@contextmanager
def first_held(world: SchoolWorld, fail_with: Exception | None = None) -> Iterator[Rig]:
    """Ann's first tap held in its save; then Ann's second, Bob's and a retry of Ann's first,
    decided on what the first left, before it commits."""
    ann, bob = pupils(world)
    batcher = TapBatcher(world.ledger)
    held = HeldSave(world.ledger, fail_with)
    try:
        a_1 = lunch(world, ann.uid, "a-1", PRICE)
        first = batcher.submit(a_1, "terminal:test")
        assert held.saving.wait(30)
        requests = [
            lunch(world, ann.uid, "a-2", PRICE),
            lunch(world, bob.uid, "b-1", PRICE),
            a_1,  # again
        ]
        later = [batcher.submit(request, "terminal:test") for request in requests]
        assert held.next_decided.wait(30)
        yield Rig(batcher, held, ann, bob, first, later)
    finally:
        held.release.set()
        batcher.close()


def stored_as_answered(results: list[TapResult], store: Ledger, rig: Rig) -> None:
    """a-1 sent again got a-1's decision back; the store holds what the last answers say."""
    assert results[3].replayed
    assert results[3].decision == results[0].decision
    assert store.account(rig.ann.account_id).regular == results[1].decision.regular_after
    assert store.account(rig.bob.account_id).regular == results[2].decision.regular_after


def test_the_next_group_is_decided_while_the_first_commits_and_answered_after_it(
    travelled: datetime, world: SchoolWorld, other_process: Ledger
) -> None:
    stored_when_answered: list[bool] = []
    terminal = world.terminals["canteen_pos"]

    def look(answered: "Future[TapResult]") -> None:  # in the thread that answers
        tap_id = answered.result().decision.tap_id
        stored_when_answered.append(other_process.recorded_tap(terminal, tap_id) is not None)

    with first_held(world) as rig:
        for future in (rig.first, *rig.later):  # acknowledged only once its tap is stored
            future.add_done_callback(look)
        assert not rig.first.done(), "not committed yet"
        assert not any(f.done() for f in rig.later), "decided on a group not committed yet"
        rig.held.release.set()
        results = [rig.first.result(30), *(f.result(30) for f in rig.later)]

    assert stored_when_answered == [True] * 4
    assert [r.decision.regular_after for r in results] == [9_000, 8_000, 9_000, 9_000]
    assert results[1].position > results[0].position, "stored in the order decided"
    stored_as_answered(results, other_process, rig)


def test_a_conflict_of_the_first_group_decides_it_and_the_next_again(
    travelled: datetime, world: SchoolWorld, other_process: Ledger
) -> None:
    with first_held(world) as rig:
        elsewhere = f"elsewhere-{uuid4()}"
        other_process.top_up(rig.ann.account_id, 50_000, "sbp", elsewhere)  # saved first
        rig.held.release.set()
        results = [rig.first.result(30), *(f.result(30) for f in rig.later)]

    assert [r.decision.outcome for r in results] == ["approved"] * 4
    assert [r.decision.regular_after for r in results] == [59_000, 58_000, 9_000, 59_000]
    stored_as_answered(results, other_process, rig)


def test_a_failed_save_fails_its_own_taps_and_the_next_group_is_decided_without_them(
    travelled: datetime, world: SchoolWorld, other_process: Ledger
) -> None:
    with first_held(world, OperationalError("the server closed the connection")) as rig:
        rig.held.release.set()
        with pytest.raises(OperationalError):
            rig.first.result(30)
        results = [f.result(30) for f in rig.later]
        a_1 = rig.held.decided[0].requests[0]
        assert isinstance(a_1, TapRequest)
        retried = rig.batcher.decide(a_1, "terminal:test")

    # a-2 and Bob's tap decided again without a-1; the retry of a-1 is decided anew
    assert [r.decision.regular_after for r in results] == [9_000, 9_000, 8_000]
    assert not results[2].replayed
    assert retried.replayed
    assert retried.decision == results[2].decision
    assert other_process.account(rig.ann.account_id).regular == 8_000
    assert other_process.account(rig.bob.account_id).regular == 9_000
