"""Small read models the terminal API tails from the event store, in memory, per process.

`DenyList`: blocked card UIDs per school. Cards are never unblocked (a blocked UID stays in
the card index for good), so the list only grows; its version is the notification id of the
school's latest `CardBlocked`. `Revocations`: revoked terminals, checked on every request
(one indexed query for what is new, instead of loading the `School`; concurrent requests
share one look, `TerminalDesk._admit`).
"""

import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Notification
from eventsourcing.postgres import PostgresApplicationRecorder

from adapters.event_reads import EventReads
from domain.account import Account
from domain.ledger import Ledger
from domain.school import School


class Tail(ABC):
    """Follows the notification log for a few topics; `see` folds each event in."""

    topics: tuple[str, ...] = ()

    def __init__(self, ledger: Ledger, page_size: int = 1000) -> None:
        self.ledger = ledger
        self.page_size = page_size
        self._lock = threading.Lock()
        self._position = 0
        recorder = ledger.recorder
        self._reads = (
            EventReads(recorder) if isinstance(recorder, PostgresApplicationRecorder) else None
        )

    def catch_up(self) -> None:
        """Read what matches between our position and the head, then stand at the head
        (so a topic that is rare does not make every call rescan the log)."""
        head, notifications = self._page(None)
        while self._position < head:
            for notification in notifications:
                self.see(self.ledger.mapper.to_domain_event(notification), notification.id)
                self._position = notification.id
            if len(notifications) < self.page_size:
                self._position = head
            else:
                notifications = self._page(head)[1]

    def _page(self, head: int | None) -> tuple[int, Sequence[Notification]]:
        """The head (the one given, or the log's now) and the next page up to it: one
        statement on PostgreSQL (`EventReads.after`)."""
        recorder = self.ledger.recorder
        if head is None and self._reads is not None:
            return self._reads.after(self._position, self.topics, self.page_size)
        if head is None:
            head = recorder.max_notification_id() or 0
        page = recorder.select_notifications(
            start=self._position,
            limit=self.page_size,
            stop=head,
            topics=self.topics,
            inclusive_of_start=False,
        )
        return head, page

    @abstractmethod
    def see(self, event: Any, position: int) -> None:
        """Fold one event of `topics` into the tail's state."""


class DenyList(Tail):
    topics = (Account.Opened.TOPIC, Account.CardBlocked.TOPIC, Account.CardUnblocked.TOPIC)

    def __init__(self, ledger: Ledger, page_size: int = 1000) -> None:
        super().__init__(ledger, page_size)
        self._school_of: dict[UUID, UUID] = {}
        self._blocked: dict[UUID, set[str]] = {}
        self._version: dict[UUID, int] = {}

    def for_school(self, school_id: UUID) -> tuple[int, list[str]]:
        """(version, blocked UIDs) for one school, caught up with the event store."""
        with self._lock:
            self.catch_up()
            return self._version.get(school_id, 0), sorted(self._blocked.get(school_id, ()))

    def see(self, event: Any, position: int) -> None:
        if isinstance(event, Account.Opened):
            self._school_of[event.originator_id] = event.school_id
        elif isinstance(event, Account.CardBlocked | Account.CardUnblocked):
            school_id = self._school_of[event.originator_id]
            blocked = self._blocked.setdefault(school_id, set())
            if isinstance(event, Account.CardBlocked):
                blocked.add(event.uid)
            else:
                blocked.discard(event.uid)
            self._version[school_id] = position


class Revocations(Tail):
    topics = (School.TerminalRevoked.TOPIC,)

    def __init__(self, ledger: Ledger, page_size: int = 1000) -> None:
        super().__init__(ledger, page_size)
        self._revoked: set[UUID] = set()

    def revoked_among(self, terminal_ids: set[UUID]) -> set[UUID]:
        """Which of these terminals are revoked, as of a look at the store that begins now
        (for requests that all arrived before this call: `TerminalDesk`'s admission)."""
        with self._lock:
            self.catch_up()
            return terminal_ids & self._revoked

    def see(self, event: Any, position: int) -> None:
        if isinstance(event, School.TerminalRevoked):
            self._revoked.add(event.terminal_id)
