"""Finding aggregates: by id, by a key through an index record, and within a group commit.

Index records never change once made, so a found one is remembered for good. While a group
commit decides (`deciding_on`), what the batch already loaded or decided on is found first,
so several taps on one account in one batch see each other.

A group commit finds what it decides on with `find_many`: many aggregates in one query where
the persistence module offers it (`StoredReader`; PostgreSQL does), each built exactly as
`Repository.get` builds it (the latest snapshot, if the repository reads snapshots, then the
events after it, through the application's mapper, upcasting included).
"""

from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import (
    AggregateNotFoundError,
    Application,
    Repository,
    project_aggregate,
)
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import StoredEvent

from domain.account import Account
from domain.errors import (
    DomainError,
    InvalidCommandError,
    UnknownCardError,
    UnknownContractError,
    UnknownSchoolError,
    UnknownTerminalError,
)
from domain.index import Index, card_key, contract_key, index_id, terminal_key
from domain.kinds import TerminalKind
from domain.recorded import derived_id
from domain.school import School
from domain.tap import Tap, TapDecision, normalise_uid

A = TypeVar("A", bound=Aggregate)
INDEX_MEMORY = 200_000  # index records remembered per process (a few dozen MB at most)
# What the group commit under way in this context has loaded or decided on (None: known
# not to exist).
_batch: ContextVar[dict[UUID, Aggregate | None] | None] = ContextVar("_batch", default=None)
# (those of the ids to read from their latest snapshot, the ids) -> per aggregate stored: its
# latest snapshot or None, then its events after it in version order; absent: nothing stored.
StoredReader = Callable[
    [Collection[UUID], Collection[UUID]], dict[UUID, tuple[StoredEvent | None, list[StoredEvent]]]
]


@contextmanager
def deciding_on(loaded: dict[UUID, Aggregate | None]) -> Iterator[None]:
    """Within the block, lookups find `loaded` first and add what they load to it."""
    token = _batch.set(loaded)
    try:
        yield
    finally:
        _batch.reset(token)


class Lookups(Application[UUID]):
    def __init__(self, env: Mapping[str, str] | None = None) -> None:
        super().__init__(env)
        # Only accounts are snapshotted: other aggregates load without asking for a snapshot.
        self._plain = Repository(event_store=self.events)
        self._indexes: dict[UUID, Index] = {}
        offer = getattr(self.factory, "stored_reader", None)
        snapshots = self.snapshots.recorder if self.snapshots else None
        self._stored: StoredReader | None = offer(self.recorder, snapshots) if offer else None

    def school(self, school_id: UUID) -> School:
        return self._get(school_id, School, UnknownSchoolError(f"school {school_id} is unknown"))

    def account(self, account_id: UUID) -> Account:
        error = UnknownContractError(f"account {account_id} is unknown")
        return self._get(account_id, Account, error)

    def account_id_for_contract(self, contract_number: str) -> UUID:
        index = self._find(index_id(contract_key(contract_number.strip())), Index)
        if index is None:
            raise UnknownContractError(f"contract {contract_number} is unknown")
        return index.owner_id

    def card_account_id(self, uid: str) -> UUID:
        index = self._find(index_id(card_key(normalise_uid(uid))), Index)
        if index is None:
            raise UnknownCardError(f"card {uid} is not issued")
        return index.owner_id

    def recorded_tap(self, terminal_id: UUID, tap_id: str) -> TapDecision | None:
        """The decision stored for (terminal, tap_id), if that tap was ever decided."""
        tap = self._find(derived_id("tap", terminal_id, tap_id), Tap)
        return TapDecision.from_dict(tap.decision) if tap else None

    def terminal_school_id(self, terminal_id: UUID) -> UUID:
        index = self._find(index_id(terminal_key(terminal_id)), Index)
        if index is None:
            raise UnknownTerminalError(f"terminal {terminal_id} is not registered")
        return index.owner_id

    def known_index(self, key: str) -> UUID | None:
        """The owner an index record names, only if this process already knows it."""
        index = self._indexes.get(index_id(key))
        return index.owner_id if index is not None else None

    def _check_terminal_kind(self, terminal_id: UUID, kind: TerminalKind) -> None:
        terminal = self.school(self.terminal_school_id(terminal_id)).terminal(terminal_id)
        if terminal["kind"] != kind or terminal["revoked"]:
            raise InvalidCommandError(f"terminal {terminal_id} is not an active {kind.value}")

    def _get(self, aggregate_id: UUID, cls: type[A], error: DomainError) -> A:
        found = self._find(aggregate_id, cls)
        if found is None:
            raise error
        return found

    def _find(self, aggregate_id: UUID, cls: type[A]) -> A | None:
        batch = _batch.get()
        if batch is not None and aggregate_id in batch:
            found = batch[aggregate_id]
            return found if isinstance(found, cls) else None
        aggregate: Aggregate | None = self._indexes.get(aggregate_id)
        if aggregate is None:
            aggregate = self._load(aggregate_id, cls)
            if aggregate is None:
                return None
            if batch is not None:
                batch[aggregate_id] = aggregate
            self._remember(aggregate_id, aggregate)
        return aggregate if isinstance(aggregate, cls) else None

    def _remember(self, aggregate_id: UUID, aggregate: Aggregate | None) -> None:
        """An index record never changes once made: kept for good (while there is room)."""
        if isinstance(aggregate, Index) and len(self._indexes) < INDEX_MEMORY:
            self._indexes[aggregate_id] = aggregate

    def find_many(self, wanted: Mapping[UUID, type[Aggregate]]) -> dict[UUID, Aggregate | None]:
        """Each wanted aggregate as `_load` finds it (None: nothing stored), the index records
        this process knows from memory, the rest read in one query (`StoredReader`) and the
        index records among them remembered."""
        found: dict[UUID, Aggregate | None] = {}
        cold: dict[UUID, type[Aggregate]] = {}
        for aggregate_id, cls in wanted.items():
            known = self._indexes.get(aggregate_id)
            if known is not None:
                found[aggregate_id] = known
            else:
                cold[aggregate_id] = cls
        if self._stored is None:
            found.update((i, self._load(i, cls)) for i, cls in cold.items())
        else:
            snapshotted = [i for i, cls in cold.items() if self._reads_snapshots(cls)]
            stored = self._stored(snapshotted, cold.keys())
            found.update((i, self._project(*stored[i]) if i in stored else None) for i in cold)
        for aggregate_id in cold:
            self._remember(aggregate_id, found[aggregate_id])
        return found

    def _project(self, snapshot: StoredEvent | None, events: list[StoredEvent]) -> Aggregate | None:
        """As `Repository.get` reconstructs an aggregate from what it read."""
        domain_events: list[Any] = []
        if snapshot is not None and self.snapshots is not None:
            domain_events.append(self.snapshots.mapper.to_domain_event(snapshot))
        domain_events.extend(self.events.mapper.to_domain_event(e) for e in events)
        aggregate: Aggregate | None = project_aggregate(None, domain_events)
        return aggregate

    def _reads_snapshots(self, cls: type[Aggregate]) -> bool:
        return cls is Account and self.repository.snapshot_store is not None

    def _load(self, aggregate_id: UUID, cls: type[Aggregate]) -> Aggregate | None:
        repository = self.repository if cls is Account else self._plain
        try:
            return repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
