"""A group commit's batch after another writer saved first (`GroupCommit.after_conflict`).

Only the taps whose aggregates changed underneath (and those sharing an account with them)
are decided again, one at a time (`affected_by`, `one_at_a_time`); the others are decided and
saved again together. A batch that keeps conflicting falls back to one save per request.
"""

from collections.abc import Mapping
from typing import TYPE_CHECKING
from uuid import UUID

from domain.errors import DomainError
from domain.group_batch import Batch, Outcome
from domain.recorded import acting_as
from domain.tap import TapRequest

if TYPE_CHECKING:
    from domain.ledger import Ledger

MAX_SPLITS = 3  # a batch that keeps conflicting falls back to one save per tap


def affected_by(batch: Batch, now: Mapping[UUID, int]) -> list[int]:
    """The requests of `batch` (by place) to decide again alone, `now` the stored versions of
    what it changed: those whose aggregates changed underneath, and those sharing one with
    them."""
    decided = batch.decided
    changed = {i for i in batch.touched if now.get(i, 0) != batch.before.get(i, 0)}
    affected = set(changed)
    grew = True
    while grew:  # a tap sharing an aggregate with an affected tap is affected too
        grew = False
        for d in decided:
            ids = set() if isinstance(d, DomainError) else {a.id for a in d.aggregates}
            if ids & affected and not ids <= affected:
                affected |= ids
                grew = True
    return [
        n for n, d in enumerate(decided)
        if not isinstance(d, DomainError) and {a.id for a in d.aggregates} & affected
    ]  # fmt: skip


def one_at_a_time(ledger: "Ledger", batch: Batch, which: list[int]) -> list[Outcome]:
    """These requests of `batch` (by place) decided and saved each alone, in order."""
    requests, actors, claims = batch.requests, batch.actors, batch.claims
    results: list[Outcome] = []
    for n in which:
        try:
            with acting_as(actors[n]):
                request = requests[n]
                if isinstance(request, TapRequest):
                    results.append(ledger.handle_tap(request, claims[n]))
                else:
                    results.append(ledger.handle_top_up(request))
        except DomainError as error:
            if claims[n] is not None:  # refused, yet its request was answered
                ledger.record(ledger.collect(), [claims[n]])
            results.append(error)
    return results
