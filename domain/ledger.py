"""The command side: one method per command, each deciding on current state, then saving.

Every command reloads what it decides on and saves all touched aggregates in one
transaction; a version conflict (`IntegrityError`) means someone else saved first, so the
command is decided again on the new state, a bounded number of times.
"""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from eventsourcing.application import ProcessingEvent
from eventsourcing.domain import BaseAggregate
from eventsourcing.persistence import Recording

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
        anything but an aggregate goes the library's way."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        others = []
        for obj in objs:
            if isinstance(obj, BaseAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            elif obj is not None:
                others.append(obj)
        processing_event.collect_events(*others, **kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        return recordings

    def _take_snapshots(self, processing_event: ProcessingEvent[UUID]) -> None:
        """A snapshot every `snapshot_interval` events of an account, taken from the account
        just saved when the snapshot's event is its latest (its state is then the stored
        state), instead of loading it again from the store and replaying it (the library's
        way, kept for an event in the middle of a save)."""
        if not self.snapshots:
            return
        for event in processing_event.events:
            aggregate = processing_event.aggregates.get(event.originator_id)
            interval = self.snapshotting_intervals.get(type(aggregate))  # type: ignore[arg-type]
            if aggregate is None or interval is None or event.originator_version % interval:
                continue
            if aggregate.version == event.originator_version:
                snapshot: Any = getattr(type(aggregate), "Snapshot", self.snapshot_class)
                self.snapshots.put([snapshot.take(aggregate)])
            else:
                self.take_snapshot(event.originator_id, version=event.originator_version)
