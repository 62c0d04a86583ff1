"""Group commit: many taps decided in order on shared in-memory state, saved in one
transaction instead of one each.

Before deciding, one query reads the stored version of every aggregate the batch needs
(its accounts, schools and tap records); hot accounts and schools are taken from memory
when their version is the stored one (`HotAggregates`), the rest are loaded together in one
more query, as are the index records (cards, terminals) the process does not know yet. A tap the
domain refuses gets its error in place and never fails its neighbours. When the save
conflicts with another writer, only the taps whose aggregates changed underneath (and those
sharing an account with them) are decided again, one at a time; the others are decided and
saved again together.
"""

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError

from domain.account import Account
from domain.errors import DomainError
from domain.hot_accounts import HotAggregates, VersionReader
from domain.index import Index, card_key, index_id, terminal_key
from domain.lookups import deciding_on
from domain.recorded import acting_as, current_actor
from domain.school import School
from domain.tap import Tap, TapDecision, TapRequest

if TYPE_CHECKING:
    from domain.ledger import Collected, Ledger

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


@dataclass(frozen=True)
class Batch:
    """A batch decided and its events collected, not yet saved (`GroupCommit.decide`)."""

    requests: list[TapRequest]
    actors: list[str]
    decided: list[PendingTap | DomainError]
    loaded: dict[UUID, Aggregate | None]  # what it decided on (None: known not to exist)
    touched: dict[UUID, Aggregate]  # what it changed
    before: dict[UUID, int]  # their stored versions before it
    splits: int
    collected: "Collected"


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

    def decide(
        self,
        requests: list[TapRequest],
        actors: list[str],
        in_flight: Mapping[UUID, Aggregate] | None = None,
        splits: int = 0,
    ) -> Batch:
        """Decide a batch in order and collect its events, saving nothing (`save`).

        `in_flight`: what the previous batch decided on and is saving now; this batch decides
        on it as that batch left it, so it must be saved only after that one committed, and
        decided again if that one did not (`api/tap_batcher.py`)."""
        loaded, before = self._prefetch(requests, in_flight or {})
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
        collected = self.ledger.collect(*touched.values())
        return Batch(requests, actors, decided, loaded, touched, before, splits, collected)

    def save(self, batch: Batch) -> list[Outcome]:
        """Store a decided batch in one transaction: each tap's result or refusal, in order.
        Raises `IntegrityError` when another writer saved one of its aggregates first
        (`after_conflict`); keeps nothing in memory (`keep`)."""
        recordings = self.ledger.record(batch.collected)
        if recordings:
            position = int(recordings[-1].notification.id)
        else:
            position = self.ledger.recorder.max_notification_id() or 0
        return [
            d if isinstance(d, DomainError) else TapResult(d.decision, position, d.replayed)
            for d in batch.decided
        ]

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
        return self._after_conflict(
            batch.requests, batch.actors, batch.decided, batch.touched, batch.before, batch.splits
        )

    def _commit(self, requests: list[TapRequest], actors: list[str], splits: int) -> list[Outcome]:
        batch = self.decide(requests, actors, splits=splits)
        try:
            results = self.save(batch)
        except IntegrityError:
            return self.after_conflict(batch)
        self.keep(batch)
        return results

    def _prefetch(
        self, requests: list[TapRequest], in_flight: Mapping[UUID, Aggregate]
    ) -> tuple[dict[UUID, Aggregate | None], dict[UUID, int]]:
        """What the batch decides on, and the versions it had, with one query of each kind:
        the index records this process does not know yet (its terminals and cards), the
        stored versions (what `HotAggregates` holds is trusted through them), the accounts,
        schools and tap records not held in memory (`Lookups.find_many`). What is `in_flight`
        is taken as it is (its save will tell a conflict)."""
        loaded: dict[UUID, Aggregate | None] = {}
        if self.versions is None:
            return loaded, {}
        indexes = {index_id(terminal_key(r.terminal_id)) for r in requests}
        indexes |= {index_id(card_key(r.card_uid)) for r in requests}
        loaded.update(self.ledger.find_many(dict.fromkeys(indexes, Index)))
        schools: set[UUID] = set()
        accounts: set[UUID] = set()
        records = {r.record_id for r in requests}
        with deciding_on(loaded):  # the index records just read, no query each
            for request in requests:
                try:
                    schools.add(self.ledger.terminal_school_id(request.terminal_id))
                    accounts.add(self.ledger.card_account_id(request.card_uid))
                except DomainError:
                    continue  # decided (and refused) in order below
        wanted = records | schools | accounts
        flying = {i: in_flight[i] for i in wanted if i in in_flight}
        versions = self.versions(wanted - flying.keys())
        for record in records - versions.keys() - flying.keys():
            loaded[record] = None  # not decided before: no query needed to know it
        loaded.update(flying)
        loaded.update(self.hot.take({i: versions[i] for i in schools | accounts if i in versions}))
        kinds: dict[UUID, type[Aggregate]] = {
            **dict.fromkeys(records, Tap), **dict.fromkeys(schools, School),
            **dict.fromkeys(accounts, Account),
        }  # fmt: skip
        cold = {i: cls for i, cls in kinds.items() if i not in loaded and i in versions}
        loaded.update(self.ledger.find_many(cold))
        before = {i: versions.get(i, 0) for i in wanted}
        before.update((i, a.version) for i, a in flying.items())
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
