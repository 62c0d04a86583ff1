"""What every command group of the `Ledger` shares: decide again on a version conflict, and
the notification id of what a command saved (`domain/retries.py` bounds the attempts).
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from domain.clock import Clock
from domain.lookups import Lookups
from domain.retries import retry

T = TypeVar("T")


class Commands(Lookups):
    """The base of the `Ledger`'s command groups (`domain/*_commands.py`)."""

    clock: Clock
    max_attempts: int

    def _retry(self, attempt: Callable[[], T]) -> T:
        return retry(attempt, self.max_attempts)

    @staticmethod
    def _position(recordings: Sequence[Any]) -> int:
        return int(recordings[-1].notification.id) if recordings else 0
