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

Top-ups and card payments' verdicts of the kiosk's and the acquirer's request threads join
the same groups (`top_up`): decided in arrival order with the taps, each answered with its
result or its own refusal (`domain/group_commit.py`).

A signed tap may come with its request's counter to accept (a `Claim`, `adapters/claims.py`):
the group's own transaction accepts it (`GroupCommit.save`), so a counter counts exactly when
its tap is stored. Before deciding, the group's claims are screened (`Claims.screen`: a
counter this process knows committed, no round trip); a revoked terminal's claimed tap is
refused by the group's decision (`GroupCommit.decide`); a claim the store refuses
(another process accepted that counter, the secret rotated) rolls its group back, that tap
is answered with its refusal and the others are decided again from the store (`_handle`).
"""

import threading
from collections.abc import Callable, Collection
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol, cast
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from adapters import metrics
from adapters.claims import Claim, ClaimsRefusedError
from api.gathered import Gathered
from domain.errors import DomainError
from domain.group_commit import Batch, Outcome, Request, TapResult
from domain.ledger import Ledger
from domain.tap import TapRequest
from domain.top_up_request import MoneyRequest, MoneyResult


class Saved(Enum):
    YES = "saved"  # committed, its taps answered
    CONFLICT = "conflict"  # another writer saved first: to be settled by the deciding thread
    FAILED = "failed"  # the store failed: its taps answered with the error
    REFUSED = "refused"  # a claim was refused: to be settled by the deciding thread


class Claims(Protocol):
    """What the batcher asks about its taps' claims (`api/terminal_desk.py`)."""

    def screen(self, claims: list[Claim]) -> list[Exception | None]:
        """Each claim's refusal known before deciding (a look that began after it came)."""

    def committed(self, claims: list[Claim]) -> None:
        """These claims' transaction committed."""

    def refusals(self, refused: list[Claim]) -> list[Exception]:
        """Why the store refused these claims."""

    def forget(self) -> None:
        """The store failed: nothing remembered about it is trusted."""


@dataclass
class _Tap:
    request: Request | None  # None: only wakes the deciding thread (a save conflicted)
    actor: str = ""
    claim: Claim | None = None
    admitted: Callable[[], None] | None = None  # called once decided in a group, not refused
    answer: "Future[TapResult | MoneyResult]" = field(default_factory=Future)


@dataclass
class _Saving:
    batch: Batch
    taps: list[_Tap]
    saved: "Future[Saved]"


class TapBatcher:
    def __init__(
        self,
        ledger: Ledger,
        max_batch: int = 200,
        max_wait: float = 0.0,
        pipelined: bool = True,
        claims: Claims | None = None,
    ) -> None:
        self.ledger = ledger
        self.claims = claims
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

    def submit(
        self,
        request: TapRequest,
        actor: str,
        claim: Claim | None = None,
        admitted: Callable[[], None] | None = None,
    ) -> "Future[TapResult]":
        """`decide` without waiting: the answer's future, set once the tap committed. With a
        `claim` (only when the batcher has `claims`), the tap's counter is accepted in its
        group's transaction; `admitted` is called (in the deciding thread, while the group
        is saved) once the tap is decided without a refusal."""
        assert claim is None or self.claims is not None, "claims need the batcher's Claims"
        tap = _Tap(request, actor, claim, admitted)
        self._gathered.submit(tap)
        return cast("Future[TapResult]", tap.answer)  # a tap is answered with its result

    def top_up(self, request: MoneyRequest, actor: str) -> MoneyResult:
        """Decide and save a top-up or a card payment's verdict with whatever else is
        waiting, taps included; raises the domain's error."""
        tap = _Tap(request, actor)
        self._gathered.submit(tap)
        result = tap.answer.result()
        assert not isinstance(result, TapResult)
        return result

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
            taps = self._screened(taps)
            self._pipeline(taps)
        except Exception as error:  # the store failed while reading: this group is told so
            for tap in taps:
                if not tap.answer.done():
                    tap.answer.set_exception(error)
        return [None] * len(items)

    def _screened(self, taps: list[_Tap]) -> list[_Tap]:
        """The taps whose claims pass the screen (and those without); the others answered."""
        claimed = [tap for tap in taps if tap.claim is not None]
        if not claimed or self.claims is None:
            return taps
        refusals = self.claims.screen([tap.claim for tap in claimed if tap.claim is not None])
        refused = {id(tap) for tap, error in zip(claimed, refusals, strict=True) if error}
        for tap, error in zip(claimed, refusals, strict=True):
            if error is not None:
                tap.answer.set_exception(error)
        return [tap for tap in taps if id(tap) not in refused]

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
            self._handle(taps)
            return
        in_flight = self._saving.batch.touched if self._saving is not None else {}
        try:
            batch = self.commit.decide(requests, actors, in_flight, claims=_claims(taps))
        except Exception:
            self._settle()
            self.commit.hot.drop(in_flight)  # maybe half-decided on: loaded again
            raise
        for tap, decided in zip(taps, batch.decided, strict=True):
            if tap.admitted is not None and not isinstance(decided, DomainError):
                tap.admitted()
        self.commit.keep(batch, but=batch.touched)  # what it only read is as stored
        if not self._settle(but=batch.touched):
            # decided on what a group that did not save left: decided again from the store
            self.commit.forget(batch)
            self._handle(taps)
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
        try:
            if saved is Saved.CONFLICT:
                results = self.commit.after_conflict(saving.batch)
                self._committed(saving.taps)
                _answer(saving.taps, results)
            elif saved is Saved.REFUSED:
                self._handle(saving.taps)
        except ClaimsRefusedError:  # while settling a conflict: decided again from the store
            self._settled_again(saving.taps)
        except Exception as error:
            _fail(saving.taps, error)
        return False

    def _settled_again(self, taps: list[_Tap]) -> None:
        try:
            self._handle(taps)
        except Exception as error:
            _fail(taps, error)

    def _handle(self, taps: list[_Tap]) -> None:
        """Decide and save these taps from the store, not pipelined; a tap whose claim the
        store refuses is answered with its refusal and the others are handled again."""
        while taps:
            try:
                results = self.commit.handle(
                    [tap.request for tap in taps if tap.request is not None],
                    [tap.actor for tap in taps],
                    _claims(taps),
                )
            except ClaimsRefusedError as refused:
                taps = self._refuse(taps, refused)
                continue
            self._committed(taps)
            _answer(taps, results)
            return

    def _refuse(self, taps: list[_Tap], refused: ClaimsRefusedError) -> list[_Tap]:
        """Answer the taps whose claims the store refused; the others."""
        assert self.claims is not None
        refusals = self.claims.refusals(refused.refused)
        errors = dict(zip(map(id, refused.refused), refusals, strict=True))
        if not any(id(tap.claim) in errors for tap in taps):
            raise refused  # not these taps' claims: never settled by handling them again
        for tap in taps:
            if id(tap.claim) in errors:
                tap.answer.set_exception(errors[id(tap.claim)])
        return [tap for tap in taps if id(tap.claim) not in errors]

    def _committed(self, taps: list[_Tap]) -> None:
        claims = [tap.claim for tap in taps if tap.claim is not None]
        if claims and self.claims is not None:
            self.claims.committed(claims)

    # The saving thread

    def _save(self, batch: Batch, taps: list[_Tap]) -> Saved:
        try:
            results = self.commit.save(batch)
        except IntegrityError:
            self._wake()
            return Saved.CONFLICT
        except ClaimsRefusedError:
            self._wake()
            return Saved.REFUSED
        except Exception as error:
            if self.claims is not None:
                self.claims.forget()
            _fail(taps, error)
            return Saved.FAILED
        self._committed(taps)
        _answer(taps, results)
        return Saved.YES

    def _wake(self) -> None:
        """The deciding thread settles the group being saved, even if no tap comes."""
        with self._wake_lock:
            if not self._closing:
                self._gathered.submit(_Tap(None))


def _claims(taps: list[_Tap]) -> list[object | None]:
    return [tap.claim for tap in taps]


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
