"""Hot state: the morning's accounts and schools kept in memory between group commits.

An entry is only ever trusted through the version check: before a batch decides, the
latest stored version of every aggregate it needs is read in one query (`VersionReader`);
an entry whose version is not the stored one (another process or command saved since) is
dropped and the aggregate is loaded again. An entry is taken out while a batch decides on
it and put back only after the batch saved, so a failed save never leaves a half-decided
aggregate behind, and two batches never decide on one object.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Iterable
from uuid import UUID

from eventsourcing.domain import Aggregate

# The latest stored version of each of these aggregates (absent: none stored), one query.
VersionReader = Callable[[Collection[UUID]], dict[UUID, int]]


class HotAggregates:
    def __init__(self, capacity: int = 100_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[UUID, Aggregate] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def take(self, versions: dict[UUID, int]) -> dict[UUID, Aggregate]:
        """The entries whose version is the stored one, taken out; stale ones dropped."""
        found: dict[UUID, Aggregate] = {}
        with self._lock:
            for aggregate_id, version in versions.items():
                entry = self._entries.pop(aggregate_id, None)
                if entry is not None and entry.version == version:
                    found[aggregate_id] = entry
        return found

    def keep(self, aggregates: Iterable[Aggregate]) -> None:
        """Put back aggregates that are now as stored (just saved, or just loaded)."""
        with self._lock:
            for aggregate in aggregates:
                self._entries[aggregate.id] = aggregate
                self._entries.move_to_end(aggregate.id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def drop(self, aggregate_ids: Iterable[UUID]) -> None:
        with self._lock:
            for aggregate_id in aggregate_ids:
                self._entries.pop(aggregate_id, None)
