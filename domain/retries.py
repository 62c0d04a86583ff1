"""Retrying a command whose save lost a race: decided again on the new state, a bounded
number of times (a version conflict means someone else saved first)."""

from collections.abc import Callable
from typing import TypeVar

from eventsourcing.persistence import IntegrityError

from domain.errors import ConcurrencyError

T = TypeVar("T")
MAX_ATTEMPTS = 100


def retry(attempt: Callable[[], T], max_attempts: int = MAX_ATTEMPTS) -> T:
    """`attempt()` until it saves without a version conflict, at most `max_attempts` times."""
    for _ in range(max_attempts):
        try:
            return attempt()
        except IntegrityError:
            continue
    raise ConcurrencyError(f"gave up after {max_attempts} conflicting attempts")
