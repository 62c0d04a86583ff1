"""The command side: one method per command, each deciding on current state, then saving.

Every command reloads what it decides on and saves all touched aggregates in one
transaction; a version conflict (`IntegrityError`) means someone else saved first, so the
command is decided again on the new state, a bounded number of times.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import BaseAggregate, DomainEventProtocol
from eventsourcing.persistence import Notification, Recording, StoredEvent

from domain import (  # noqa: F401 - their topics
    enrolment,
    fleet,
    preferences,
    preorder,
    preorder_book,
    school_settings,
    subsidy,
    topup,
    transfer,
)
from domain.account import Account
from domain.account_commands import AccountCommands
from domain.autopay import Autopayment  # noqa: F401 - registers its topics for log readers
from domain.clock import Clock, event_clock
from domain.consent import Consent  # noqa: F401 - registers its topics for log readers
from domain.group_commit import GroupCommit
from domain.kinds import Channel
from domain.menu_commands import MenuCommands
from domain.money import DEFAULT_OFFLINE_CAP, parse_rate
from domain.privacy_request import PrivacyRequests  # noqa: F401 - registers its topics
from domain.school import check_offline_cap
from domain.school_commands import SchoolCommands
from domain.tap_commands import TapCommands
from domain.top_up_commands import DEFAULT_COMMISSION_RATES, TopUpCommands


@dataclass
class Collected:
    """A save's events, and its snapshots, encoded and not yet stored (`Ledger.collect`)."""

    events: list[DomainEventProtocol[UUID]]
    stored: list[StoredEvent]
    snapshots: list[StoredEvent] = field(default_factory=list)
    replayed_snapshots: list[tuple[UUID, int]] = field(default_factory=list)


class Ledger(SchoolCommands, AccountCommands, TopUpCommands, MenuCommands, TapCommands):
    """The command side, composed of its command groups: schools and terminals
    (`domain/school_commands.py`), accounts and cards (`domain/account_commands.py`), money
    in (`domain/top_up_commands.py`), menus (`domain/menu_commands.py`) and taps
    (`domain/tap_commands.py`)."""

    name = "Ledger"
    max_attempts = 100

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        commission_rates: Mapping[str, str] | None = None,
        snapshot_interval: int = 100,
        clock: Clock = event_clock,
        offline_cap: int = DEFAULT_OFFLINE_CAP,
    ) -> None:
        self.snapshotting_intervals = {Account: snapshot_interval}  # type: ignore[misc]
        super().__init__({"IS_SNAPSHOTTING_ENABLED": "y", **(env or {})})
        rates = {**DEFAULT_COMMISSION_RATES, **(commission_rates or {})}
        for channel, rate in rates.items():
            Channel(channel)
            parse_rate(rate)
        self.commission_rates = rates
        self.clock = clock
        self.offline_cap = check_offline_cap(offline_cap)
        self.group_commit = GroupCommit(self)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's `save`, the aggregates' events collected without its `isinstance`
        checks against runtime `Protocol`s (about a tenth of the group commit's thread);
        domain events or keyword arguments go the library's way."""
        aggregates = [obj for obj in objs if isinstance(obj, BaseAggregate)]
        if kwargs or len(aggregates) < sum(obj is not None for obj in objs):
            return super().save(*objs, **kwargs)
        return self.record(self.collect(*aggregates))

    def collect(self, *aggregates: BaseAggregate[UUID]) -> Collected:
        """The aggregates' pending events, encoded as they will be stored, and the snapshots
        they are due, taken from the aggregates now (their state is then the one of their
        latest event). Nothing is read from or written to the store: the group commit collects
        a batch while the previous one commits (`api/tap_batcher.py`)."""
        events: list[DomainEventProtocol[UUID]] = []
        for aggregate in aggregates:
            events.extend(aggregate.collect_events())
        collected = Collected(events, [self.events.mapper.to_stored_event(e) for e in events])
        if not self.snapshots:
            return collected
        by_id = {aggregate.id: aggregate for aggregate in aggregates}
        for event in events:
            owner = by_id.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(owner))  # type: ignore[arg-type]
            if owner is None or interval is None or event.originator_version % interval:
                continue
            if owner.version == event.originator_version:
                snapshot: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
                stored = self.snapshots.mapper.to_stored_event(snapshot.take(owner))
                collected.snapshots.append(stored)
            else:  # an event in the middle of the save: from the store, once it is there
                collected.replayed_snapshots.append((event.originator_id, event.originator_version))
        return collected

    def record(self, collected: Collected, claims: Sequence[object] = ()) -> list[Recording[UUID]]:
        """Store what `collect` gathered in one transaction (an `IntegrityError` when another
        writer saved first), then the snapshots; the events' recordings, in order. `claims`
        are accepted by the store in that transaction (`domain/group_commit.py`), or it
        raises the store's refusal and stores nothing."""
        if claims:
            ids = self.recorder.insert_events(collected.stored, claims=claims)
        else:
            ids = self.recorder.insert_events(collected.stored)
        recordings = [
            Recording(event, Notification(s.originator_id, s.originator_version, s.topic,
                                          s.state, n))
            for event, s, n in zip(collected.events, collected.stored, ids or (), strict=True)
        ] if ids else []  # fmt: skip
        if self.snapshots and collected.snapshots:
            self.snapshots.recorder.insert_events(collected.snapshots)
        for aggregate_id, version in collected.replayed_snapshots:
            self.take_snapshot(aggregate_id, version=version)
        self._notify(recordings)
        return recordings
