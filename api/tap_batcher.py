"""Group commit across requests: the taps of all request threads of an API process, saved
together, the next group decided while the previous one commits.

A request hands its tap to the batcher and waits for its own answer. The batcher's thread
(`api/gathered.py`) takes every tap waiting and decides them in arrival order on the current
state (`GroupCommit.decide`); a second thread saves that group in one transaction
(`GroupCommit.save`) and answers its taps once it committed. Meanwhile the first thread
decides the next group on the state the previous one left (its changed accounts and tap
records, `in_flight`), and hands it to the saver only after the previous one committed, so
groups are stored in the order they were decided and a tap is answered only after its own
commit. When a save does not go through, the group decided on it is decided again from the
store: after a version conflict the conflicting group's affected taps are decided again
(`GroupCommit.after_conflict`); after a failure of the store (PostgreSQL down) that group's
taps are each answered with the store's error, and a terminal retries them idempotently. A
tap the domain refuses gets its own error.
"""

import threading
from collections.abc import Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from adapters import metrics
from api.gathered import Gathered
from domain.errors import DomainError
from domain.group_commit import Batch, Outcome, TapResult
from domain.ledger import Ledger
from domain.tap import TapRequest


class Saved(Enum):
    YES = "saved"  # committed, its taps answered
    CONFLICT = "conflict"  # another writer saved first: to be settled by the deciding thread
    FAILED = "failed"  # the store failed: its taps answered with the error


@dataclass
class _Tap:
    request: TapRequest | None  # None: only wakes the deciding thread (a save conflicted)
    actor: str = ""
    answer: "Future[TapResult]" = field(default_factory=Future)


@dataclass
class _Saving:
    batch: Batch
    taps: list[_Tap]
    saved: "Future[Saved]"


class TapBatcher:
    def __init__(
        self, ledger: Ledger, max_batch: int = 200, max_wait: float = 0.0, pipelined: bool = True
    ) -> None:
        self.ledger = ledger
        self.pipelined = pipelined  # False: each group decided and saved before the next
        self.commit = ledger.group_commit
        self._gathered: Gathered[_Tap, None] = Gathered(
            self._decide, "tap-batcher", max_batch, max_wait
        )
        self._saver = ThreadPoolExecutor(1, thread_name_prefix="tap-saver")
        self._saving: _Saving | None = None  # only the deciding thread (or `close`) uses it
        self._closing = False
        self._wake_lock = threading.Lock()

    @property
    def batches(self) -> int:
        return self._gathered.batches

    @property
    def taps(self) -> int:
        return self._gathered.items

    def reset_counts(self) -> None:
        self._gathered.batches = self._gathered.items = 0

    def decide(self, request: TapRequest, actor: str) -> TapResult:
        """Decide and save one tap with whatever else is waiting; raises the domain's error."""
        return self.submit(request, actor).result()

    def submit(self, request: TapRequest, actor: str) -> "Future[TapResult]":
        """`decide` without waiting: the answer's future, set once the tap committed."""
        tap = _Tap(request, actor)
        self._gathered.submit(tap)
        return tap.answer

    def close(self) -> None:
        with self._wake_lock:
            self._closing = True
        self._gathered.close()
        self._settle()  # the deciding thread has ended: the last group is settled here
        self._saver.shutdown(wait=True)

    # The deciding thread

    def _decide(self, items: list[_Tap]) -> list[None]:
        """Decide a group and hand it to the saver; never raises (every tap is answered)."""
        taps = [tap for tap in items if tap.request is not None]
        try:
            self._pipeline(taps)
        except Exception as error:  # the store failed while reading: this group is told so
            for tap in taps:
                if not tap.answer.done():
                    tap.answer.set_exception(error)
        return [None] * len(items)

    def _pipeline(self, taps: list[_Tap]) -> None:
        if self._saving is not None and self._saving.saved.done():
            self._settle()  # already committed: its accounts go back under the version check
        if not taps:
            self._settle()  # woken by a conflict: the conflicting group is decided again
            return
        metrics.GROUP_COMMIT_SIZE.observe(len(taps))
        requests = [tap.request for tap in taps if tap.request is not None]
        actors = [tap.actor for tap in taps]
        if not self.pipelined:
            _answer(taps, self.commit.handle(requests, actors))
            return
        in_flight = self._saving.batch.touched if self._saving is not None else {}
        try:
            batch = self.commit.decide(requests, actors, in_flight)
        except Exception:
            self._settle()
            self.commit.hot.drop(in_flight)  # maybe half-decided on: loaded again
            raise
        self.commit.keep(batch, but=batch.touched)  # what it only read is as stored
        if not self._settle(but=batch.touched):
            # decided on what a group that did not save left: decided again from the store
            self.commit.forget(batch)
            _answer(taps, self.commit.handle(requests, actors))
            return
        self._saving = _Saving(batch, taps, self._saver.submit(self._save, batch, taps))

    def _settle(self, but: Collection[UUID] = ()) -> bool:
        """Wait for the group being saved; whether it saved. Its accounts are kept in memory
        (but those in `but`, which a later group changed and is saving); after a conflict its
        taps are decided again, the affected ones one at a time."""
        saving, self._saving = self._saving, None
        if saving is None:
            return True
        saved = saving.saved.result()
        if saved is Saved.YES:
            self.commit.keep(saving.batch, but=but)
            return True
        self.commit.forget(saving.batch)
        if saved is Saved.CONFLICT:
            try:
                _answer(saving.taps, self.commit.after_conflict(saving.batch))
            except Exception as error:
                _fail(saving.taps, error)
        return False

    # The saving thread

    def _save(self, batch: Batch, taps: list[_Tap]) -> Saved:
        try:
            results = self.commit.save(batch)
        except IntegrityError:
            with self._wake_lock:  # the deciding thread settles it, even if no tap comes
                if not self._closing:
                    self._gathered.submit(_Tap(None))
            return Saved.CONFLICT
        except Exception as error:
            _fail(taps, error)
            return Saved.FAILED
        _answer(taps, results)
        return Saved.YES


def _answer(taps: list[_Tap], results: list[Outcome]) -> None:
    for tap, result in zip(taps, results, strict=True):
        if isinstance(result, DomainError):
            tap.answer.set_exception(result)
        else:
            tap.answer.set_result(result)


def _fail(taps: list[_Tap], error: Exception) -> None:
    for tap in taps:
        if not tap.answer.done():
            tap.answer.set_exception(error)
