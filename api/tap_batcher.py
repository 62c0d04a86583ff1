"""Group commit across requests: the taps of all request threads of an API process, saved
together.

A request hands its tap to the batcher and waits for its own answer. The batcher's thread
(`api/gathered.py`) takes every tap waiting, decides them in arrival order on the current
state and saves them in one transaction (`Ledger.handle_taps`). While one batch commits,
the next one gathers, so a lone tap waits for nobody and a rush shares its commits. A tap
the domain refuses gets its own error; a failure of the store (PostgreSQL down) fails only
the taps of that batch, each answered as the store's error, and a terminal retries them
idempotently.
"""

from concurrent.futures import Future

from adapters import metrics
from api.gathered import Gathered
from domain.errors import DomainError
from domain.group_commit import TapResult
from domain.ledger import Ledger
from domain.tap import TapRequest


class TapBatcher:
    def __init__(self, ledger: Ledger, max_batch: int = 200, max_wait: float = 0.0) -> None:
        self.ledger = ledger
        self._gathered: Gathered[tuple[TapRequest, str], TapResult] = Gathered(
            self._commit, "tap-batcher", max_batch, max_wait
        )

    @property
    def batches(self) -> int:
        return self._gathered.batches

    @property
    def taps(self) -> int:
        return self._gathered.items

    def reset_counts(self) -> None:
        self._gathered.batches = self._gathered.items = 0

    def decide(self, request: TapRequest, actor: str) -> TapResult:
        """Decide and save one tap with whatever else is waiting; raises the domain's error."""
        return self._gathered((request, actor))

    def submit(self, request: TapRequest, actor: str) -> "Future[TapResult]":
        """`decide` without waiting: the answer's future."""
        return self._gathered.submit((request, actor))

    def close(self) -> None:
        self._gathered.close()

    def _commit(self, batch: list[tuple[TapRequest, str]]) -> list[TapResult | DomainError]:
        results = self.ledger.handle_taps([r for r, _ in batch], [a for _, a in batch])
        metrics.GROUP_COMMIT_SIZE.observe(len(batch))
        return results
