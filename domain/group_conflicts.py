"""A group commit's batch after another writer saved first (`GroupConflicts`).

Only the taps whose aggregates changed underneath (and those sharing an account with them)
are decided again, one at a time; the others are decided and saved again together. A batch
that keeps conflicting falls back to one save per request.
"""

from typing import TYPE_CHECKING

from domain.errors import DomainError
from domain.group_batch import Batch, Outcome, Request
from domain.hot_accounts import VersionReader
from domain.recorded import acting_as
from domain.tap import TapRequest

if TYPE_CHECKING:
    from domain.ledger import Ledger

MAX_SPLITS = 3  # a batch that keeps conflicting falls back to one save per tap


class GroupConflicts:
    """The conflict handling of `GroupCommit` (`domain/group_commit.py`)."""

    ledger: "Ledger"
    versions: VersionReader | None

    if TYPE_CHECKING:  # the GroupCommit's

        def _commit(
            self,
            requests: list[Request],
            actors: list[str],
            splits: int,
            claims: list[object | None],
        ) -> list[Outcome]: ...

    def _after_conflict(self, batch: Batch) -> list[Outcome]:
        requests, actors, claims = batch.requests, batch.actors, batch.claims
        decided = batch.decided
        everyone = list(range(len(requests)))
        if self.versions is None or batch.splits >= MAX_SPLITS:
            return self._alone(requests, actors, claims, everyone)
        now = self.versions(batch.touched.keys())
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
        redo = [
            n for n, d in enumerate(decided)
            if not isinstance(d, DomainError) and {a.id for a in d.aggregates} & affected
        ]  # fmt: skip
        if not redo:
            return self._alone(requests, actors, claims, everyone)
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
        for n, result in zip(redo, self._alone(requests, actors, claims, redo), strict=True):
            results[n] = result
        return [r for r in results if r is not None]

    def _alone(
        self,
        requests: list[Request],
        actors: list[str],
        claims: list[object | None],
        which: list[int],
    ) -> list[Outcome]:
        results: list[Outcome] = []
        for n in which:
            try:
                with acting_as(actors[n]):
                    request = requests[n]
                    if isinstance(request, TapRequest):
                        results.append(self.ledger.handle_tap(request, claims[n]))
                    else:
                        results.append(self.ledger.handle_top_up(request))
            except DomainError as error:
                if claims[n] is not None:  # refused, yet its request was answered
                    self.ledger.record(self.ledger.collect(), [claims[n]])
                results.append(error)
        return results
