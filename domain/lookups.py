"""Finding aggregates: by id, by a key through an index record, and within a group commit.

Index records never change once made, so a found one is remembered for good. While a group
commit decides (`deciding_on`), what the batch already loaded or decided on is found first,
so several taps on one account in one batch see each other.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, Repository
from eventsourcing.domain import Aggregate

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
            if isinstance(aggregate, Index) and len(self._indexes) < INDEX_MEMORY:
                self._indexes[aggregate_id] = aggregate
        return aggregate if isinstance(aggregate, cls) else None

    def _load(self, aggregate_id: UUID, cls: type[Aggregate]) -> Aggregate | None:
        repository = self.repository if cls is Account else self._plain
        try:
            return repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
