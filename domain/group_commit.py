"""Group commit: many taps decided in order on shared in-memory state, saved in one
transaction instead of one each.

Before deciding, one query reads the stored version of every aggregate the batch needs
(its accounts, schools and tap records); hot accounts and schools are taken from memory
when their version is the stored one (`HotAggregates`), the rest are loaded. A tap the
domain refuses gets its error in place and never fails its neighbours. When the save
conflicts with another writer, only the taps whose aggregates changed underneath (and those
sharing an account with them) are decided again, one at a time; the others are decided and
saved again together.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.errors import DomainError
from domain.hot_accounts import HotAggregates, VersionReader
from domain.index import card_key
from domain.lookups import deciding_on
from domain.recorded import acting_as, current_actor
from domain.school import School
from domain.tap import TapDecision, TapRequest

if TYPE_CHECKING:
    from domain.ledger import Ledger

MAX_SPLITS = 3  # a batch that keeps conflicting falls back to one save per tap


@dataclass(frozen=True)
class TapResult:
    decision: TapDecision
    position: int
    replayed: bool = False


@dataclass(frozen=True)
class PendingTap:
    """A decided tap not yet saved: several can be saved together (group commit)."""

    decision: TapDecision
    aggregates: tuple[Aggregate, ...]
    replayed: bool = False


Outcome = TapResult | DomainError


class GroupCommit:
    def __init__(self, ledger: "Ledger", hot: HotAggregates | None = None) -> None:
        self.ledger = ledger
        self.hot = hot or HotAggregates()
        # The persistence module may offer the one-query version check (PostgreSQL does).
        offer = getattr(ledger.factory, "version_reader", None)
        self.versions: VersionReader | None = offer(ledger.recorder) if offer else None

    def handle(
        self, requests: Sequence[TapRequest], actors: Sequence[str] | None = None
    ) -> list[Outcome]:
        """Each tap's result or the domain's refusal, in the order of `requests`."""
        acting = list(actors) if actors is not None else [current_actor.get()] * len(requests)
        return self._commit(list(requests), acting, splits=0)

    def _commit(self, requests: list[TapRequest], actors: list[str], splits: int) -> list[Outcome]:
        loaded, before = self._prefetch(requests)
        decided: list[PendingTap | DomainError] = []
        touched: dict[UUID, Aggregate] = {}
        with deciding_on(loaded):
            for request, actor in zip(requests, actors, strict=True):
                try:
                    with acting_as(actor):
                        pending = self.ledger.decide_tap(request)
                except DomainError as error:
                    decided.append(error)
                    continue
                decided.append(pending)
                for aggregate in pending.aggregates:
                    touched[aggregate.id] = loaded[aggregate.id] = aggregate
        try:
            recordings = self.ledger.save(*touched.values())
        except IntegrityError:
            self.hot.drop(loaded)
            return self._after_conflict(requests, actors, decided, touched, before, splits)
        self.hot.keep(a for a in loaded.values() if isinstance(a, Account | School))
        if recordings:
            position = int(recordings[-1].notification.id)
        else:
            position = self.ledger.recorder.max_notification_id() or 0
        return [
            d if isinstance(d, DomainError) else TapResult(d.decision, position, d.replayed)
            for d in decided
        ]

    def _prefetch(
        self, requests: list[TapRequest]
    ) -> tuple[dict[UUID, Aggregate | None], dict[UUID, int]]:
        """What the batch decides on, with one version query; and the versions it had."""
        loaded: dict[UUID, Aggregate | None] = {}
        if self.versions is None:
            return loaded, {}
        schools: set[UUID] = set()
        accounts: set[UUID] = set()
        records = {r.record_id for r in requests}
        for request in requests:
            try:
                schools.add(self.ledger.terminal_school_id(request.terminal_id))
            except DomainError:
                continue  # decided (and refused) in order below
            owner = self.ledger.known_index(card_key(request.card_uid))
            if owner is None:
                try:
                    owner = self.ledger.card_account_id(request.card_uid)
                except DomainError:
                    continue
            accounts.add(owner)
        versions = self.versions(records | schools | accounts)
        for record in records - versions.keys():
            loaded[record] = None  # not decided before: no query needed to know it
        loaded.update(self.hot.take({i: versions[i] for i in schools | accounts if i in versions}))
        for aggregate_id, cls in [
            *((s, School) for s in schools),
            *((a, Account) for a in accounts),
        ]:
            if aggregate_id not in loaded and aggregate_id in versions:
                loaded[aggregate_id] = self.ledger._load(aggregate_id, cls)
        before = {i: versions.get(i, 0) for i in records | schools | accounts}
        return loaded, before

    def _after_conflict(
        self,
        requests: list[TapRequest],
        actors: list[str],
        decided: list[PendingTap | DomainError],
        touched: dict[UUID, Aggregate],
        before: dict[UUID, int],
        splits: int,
    ) -> list[Outcome]:
        everyone = list(range(len(requests)))
        if self.versions is None or splits >= MAX_SPLITS:
            return self._alone(requests, actors, everyone)
        now = self.versions(touched.keys())
        changed = {i for i in touched if now.get(i, 0) != before.get(i, 0)}
        affected = set(changed)
        grew = True
        while grew:  # a tap sharing an aggregate with an affected tap is affected too
            grew = False
            for d in decided:
                ids = {a.id for a in d.aggregates} if isinstance(d, PendingTap) else set()
                if ids & affected and not ids <= affected:
                    affected |= ids
                    grew = True
        redo = [
            n for n, d in enumerate(decided)
            if isinstance(d, PendingTap) and {a.id for a in d.aggregates} & affected
        ]  # fmt: skip
        if not redo:
            return self._alone(requests, actors, everyone)
        rest = [n for n in everyone if n not in set(redo)]
        results: list[Outcome | None] = [None] * len(requests)
        if rest:
            again = self._commit([requests[n] for n in rest], [actors[n] for n in rest], splits + 1)
            for n, result in zip(rest, again, strict=True):
                results[n] = result
        for n, result in zip(redo, self._alone(requests, actors, redo), strict=True):
            results[n] = result
        return [r for r in results if r is not None]

    def _alone(
        self, requests: list[TapRequest], actors: list[str], which: list[int]
    ) -> list[Outcome]:
        results: list[Outcome] = []
        for n in which:
            try:
                with acting_as(actors[n]):
                    results.append(self.ledger.handle_tap(requests[n]))
            except DomainError as error:
                results.append(error)
        return results
