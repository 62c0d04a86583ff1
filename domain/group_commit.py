"""Group commit: many taps decided in order on shared in-memory state, saved in one
transaction instead of one each.

Before deciding, the batch reads what it decides on in a few queries, hot accounts and schools
trusted through one version query (`domain/group_reads.py`). A tap the domain refuses gets its
error in place and never fails its neighbours. When the save conflicts with another writer,
only the taps whose aggregates changed underneath (and those sharing an account with them)
are decided again, one at a time; the others are decided and saved again together
(`domain/group_conflicts.py`). What a group holds and answers: `domain/group_batch.py`.

A group holds top-ups and card payments' verdicts beside taps (`domain/top_up_request.py`):
decided in arrival order with them (a tap after a top-up of its account sees the credit),
their `Payment` records (idempotency by payment id), card payments and accounts read with the
taps' in the same queries; a repeated payment id in the group or across groups credits once,
and a payment conflict fails that request only.

A tap may come with a claim (opaque here: an authenticated request's counter,
`adapters/claims.py`), accepted by the store in the transaction that saves the tap, whatever
the tap's decision, and in no other: every save below passes the claims of the taps it saves.
A claimed tap of a revoked terminal is refused (`TerminalRevokedError`), decided on the
school the batch's version query found, which began after every tap of the batch arrived.
A claim the store refuses fails that transaction (nothing of it is stored) with the store's
error, raised to the caller, which answers those taps and hands the others in again.
"""

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.errors import DomainError
from domain.group_batch import (
    Batch,
    Decided,
    Outcome,
    PendingTap,
    Request,
    TapResult,
    claims_of,
    outcome,
)
from domain.group_conflicts import MAX_SPLITS, affected_by, one_at_a_time
from domain.group_reads import GroupReads
from domain.hot_accounts import HotAggregates
from domain.lookups import deciding_on
from domain.recorded import acting_as, current_actor
from domain.school import School
from domain.tap import TapRequest

if TYPE_CHECKING:
    from domain.ledger import Ledger

# What the group commit's callers use (`api/tap_batcher.py`, `domain/tap_commands.py`).
__all__ = ["Batch", "GroupCommit", "Outcome", "PendingTap", "Request", "TapResult"]


class GroupCommit(GroupReads):
    def __init__(self, ledger: "Ledger", hot: HotAggregates | None = None) -> None:
        self.ledger = ledger
        self.hot = hot or HotAggregates()
        # The persistence module may offer the one-query version check (PostgreSQL does).
        offer = getattr(ledger.factory, "version_reader", None)
        self.versions = offer(ledger.recorder) if offer else None

    def handle(
        self,
        requests: Sequence[Request],
        actors: Sequence[str] | None = None,
        claims: Sequence[object | None] | None = None,
    ) -> list[Outcome]:
        """Each tap's result or the domain's refusal, in the order of `requests`."""
        acting = list(actors) if actors is not None else [current_actor.get()] * len(requests)
        return self._commit(list(requests), acting, 0, claims_of(requests, claims))

    def decide(
        self,
        requests: list[Request],
        actors: list[str],
        in_flight: Mapping[UUID, Aggregate] | None = None,
        splits: int = 0,
        claims: Sequence[object | None] | None = None,
    ) -> Batch:
        """Decide a batch in order and collect its events, saving nothing (`save`).

        `in_flight`: what the previous batch decided on and is saving now; this batch decides
        on it as that batch left it, so it must be saved only after that one committed, and
        decided again if that one did not (`api/tap_batcher.py`)."""
        loaded, before = self._prefetch(requests, in_flight or {})
        decided: list[Decided | DomainError] = []
        touched: dict[UUID, Aggregate] = {}
        claimed = claims_of(requests, claims)
        with deciding_on(loaded):
            for request, actor, claim in zip(requests, actors, claimed, strict=True):
                try:
                    with acting_as(actor):
                        pending = self._decide_one(request, claim)
                except DomainError as error:
                    decided.append(error)
                    continue
                decided.append(pending)
                for aggregate in pending.aggregates:
                    touched[aggregate.id] = loaded[aggregate.id] = aggregate
        collected = self.ledger.collect(*touched.values())
        return Batch(requests, actors, decided, loaded, touched, before, splits, collected, claimed)

    def _decide_one(self, request: Request, claim: object | None) -> Decided:
        if not isinstance(request, TapRequest):
            return self.ledger.decide_top_up(request)
        if claim is not None:  # on the school as the version query found it
            self.ledger.check_not_revoked(request.terminal_id)
        return self.ledger.decide_tap(request)

    def save(self, batch: Batch) -> list[Outcome]:
        """Store a decided batch in one transaction: each tap's result or refusal, in order.
        Raises `IntegrityError` when another writer saved one of its aggregates first
        (`after_conflict`); keeps nothing in memory (`keep`)."""
        recordings = self.ledger.record(batch.collected, [c for c in batch.claims if c])
        position = self.ledger._position(recordings) if recordings else self.ledger._head()
        return [outcome(d, position) for d in batch.decided]

    def keep(self, batch: Batch, but: Collection[UUID] = ()) -> None:
        """After the batch saved: its accounts and schools are as stored (`HotAggregates`),
        except those in `but` (a later batch decides on them)."""
        self.hot.keep(
            a for i, a in batch.loaded.items() if isinstance(a, Account | School) and i not in but
        )

    def forget(self, batch: Batch) -> None:
        """The batch did not save: nothing it decided on is trusted again."""
        self.hot.drop([*batch.loaded, *batch.touched])

    def after_conflict(self, batch: Batch) -> list[Outcome]:
        """Another writer saved first: the affected taps decided again, the others saved."""
        self.forget(batch)
        return self._after_conflict(batch)

    def _commit(
        self,
        requests: list[Request],
        actors: list[str],
        splits: int,
        claims: list[object | None],
    ) -> list[Outcome]:
        batch = self.decide(requests, actors, splits=splits, claims=claims)
        try:
            results = self.save(batch)
        except IntegrityError:
            return self.after_conflict(batch)
        self.keep(batch)
        return results

    def _after_conflict(self, batch: Batch) -> list[Outcome]:
        requests, actors, claims = batch.requests, batch.actors, batch.claims
        everyone = list(range(len(requests)))
        if self.versions is None or batch.splits >= MAX_SPLITS:
            return one_at_a_time(self.ledger, batch, everyone)
        redo = affected_by(batch, self.versions(batch.touched.keys()))
        if not redo:
            return one_at_a_time(self.ledger, batch, everyone)
        rest = [n for n in everyone if n not in set(redo)]
        results: list[Outcome | None] = [None] * len(requests)
        if rest:
            again = self._commit(
                [requests[n] for n in rest],
                [actors[n] for n in rest],
                batch.splits + 1,
                [claims[n] for n in rest],
            )
            for n, result in zip(rest, again, strict=True):
                results[n] = result
        for n, result in zip(redo, one_at_a_time(self.ledger, batch, redo), strict=True):
            results[n] = result
        return [r for r in results if r is not None]
