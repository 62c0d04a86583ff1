"""A request decided on the current state and not yet saved (`domain/group_commit.py`).

A tap is decided into a `Pending[TapDecision]`, a top-up or a card payment's verdict into a
`Pending[MoneyResult]` (`domain/top_up_request.py`); either is saved alone by its command
(`Ledger.handle_tap`, `handle_top_up`) or with others in one group commit, and its answer gets
the position of that save.
"""

from dataclasses import dataclass
from typing import Generic, TypeVar

from eventsourcing.domain import Aggregate

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class Pending(Generic[Answer]):
    answer: Answer  # a tap's decision, a top-up's result (its position 0 until saved)
    aggregates: tuple[Aggregate, ...]  # what records it, saved together
    replayed: bool = False  # decided before: nothing to save, the first answer again
