"""What every command group of the `Ledger` shares: decide again on a version conflict, and
the notification id of what a command saved, or of the log's head when it saved nothing
(`domain/retries.py` bounds the attempts).
"""

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from eventsourcing.domain import Aggregate

from domain.clock import Clock
from domain.lookups import Lookups
from domain.retries import retry

T = TypeVar("T")
A = TypeVar("A", bound=Aggregate)


class Commands(Lookups):
    """The base of the `Ledger`'s command groups (`domain/*_commands.py`)."""

    clock: Clock
    max_attempts: int

    def _retry(self, attempt: Callable[[], T]) -> T:
        return retry(attempt, self.max_attempts)

    def _on(self, load: Callable[[], A], command: Callable[[A], None]) -> int:
        """Let `command` decide on what `load` reads and save it: the position of its events
        (0: nothing new), decided again on the new state after a version conflict."""

        def attempt() -> int:
            aggregate = load()
            command(aggregate)
            return self._position(self.save(aggregate))

        return self._retry(attempt)

    @staticmethod
    def _position(recordings: Sequence[Any]) -> int:
        return int(recordings[-1].notification.id) if recordings else 0

    def _head(self) -> int:
        """The log's last notification id: the position of an answer given again (a retried
        request's first result), as nothing new was saved for it."""
        return self.recorder.max_notification_id() or 0
