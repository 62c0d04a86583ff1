"""Index records: name-based ids that make a key belong to one owner only.

`CardIndex` (card UID → account), `ContractIndex` (contract number → account) and
`TerminalIndex` (terminal → school) are `Index` aggregates whose ids derive from the key.
Saved atomically with their owner, a second claim on the same key conflicts in the event
store, so a UID or a contract number can never belong to two accounts.
"""

from functools import lru_cache
from typing import TYPE_CHECKING
from uuid import UUID

from domain.recorded import AssignsFields, Recorded, derived_id


class Index(Recorded):
    TOPIC = "infoshkola.index.Index"

    class Assigned(AssignsFields, Recorded.Created):
        TOPIC = "infoshkola.index.Assigned"
        key: str
        owner_id: UUID

    if TYPE_CHECKING:  # state assigned by the events' apply methods
        key: str
        owner_id: UUID

    @classmethod
    def assign(cls, key: str, owner_id: UUID) -> "Index":
        return cls._create(cls.Assigned, id=derived_id(key), key=key, owner_id=owner_id)


def card_key(uid: str) -> str:
    return f"card/{uid}"


def contract_key(contract_number: str) -> str:
    return f"contract/{contract_number}"


def terminal_key(terminal_id: UUID) -> str:
    return f"terminal/{terminal_id}"


def CardIndex(uid: str, account_id: UUID) -> Index:  # noqa: N802 - reads as the glossary name
    return Index.assign(card_key(uid), account_id)


def ContractIndex(contract_number: str, account_id: UUID) -> Index:  # noqa: N802
    return Index.assign(contract_key(contract_number), account_id)


def TerminalIndex(terminal_id: UUID, school_id: UUID) -> Index:  # noqa: N802
    return Index.assign(terminal_key(terminal_id), school_id)


@lru_cache(maxsize=65_536)  # a pure function the group commit asks twice per tap (uuid5)
def index_id(key: str) -> UUID:
    return derived_id(key)
