"""What a group commit holds: its requests (taps, top-ups, card payments' verdicts), a batch
of them decided and not yet saved, and each one's outcome once the batch saved
(`domain/group_commit.py`).
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING
from uuid import UUID

from eventsourcing.domain import Aggregate

from domain.errors import DomainError
from domain.pending import Pending
from domain.tap import TapDecision, TapRequest
from domain.top_up_request import MoneyRequest, MoneyResult, PendingTopUp

if TYPE_CHECKING:
    from domain.ledger import Collected


@dataclass(frozen=True)
class TapResult:
    decision: TapDecision
    position: int
    replayed: bool = False


PendingTap = Pending[TapDecision]  # a decided tap not yet saved
Request = TapRequest | MoneyRequest  # what a group holds: taps, top-ups, verdicts
Decided = PendingTap | PendingTopUp  # a request of the group decided, not yet saved
Outcome = TapResult | MoneyResult | DomainError


@dataclass(frozen=True)
class Batch:
    """A batch decided and its events collected, not yet saved (`GroupCommit.decide`)."""

    requests: list[Request]
    actors: list[str]
    decided: list[Decided | DomainError]
    loaded: dict[UUID, Aggregate | None]  # what it decided on (None: known not to exist)
    touched: dict[UUID, Aggregate]  # what it changed
    before: dict[UUID, int]  # their stored versions before it
    splits: int
    collected: "Collected"
    claims: list[object | None]  # each tap's claim, saved with it (None: none)


def outcome(decided: Decided | DomainError, position: int) -> Outcome:
    """A request's outcome once its batch saved at `position`."""
    if isinstance(decided, DomainError):
        return decided
    if isinstance(decided.answer, TapDecision):
        return TapResult(decided.answer, position, decided.replayed)
    return replace(decided.answer, position=position)


def claims_of(
    requests: Sequence[Request], claims: Sequence[object | None] | None
) -> list[object | None]:
    """Each request's claim (None: none)."""
    return list(claims) if claims is not None else [None] * len(requests)
