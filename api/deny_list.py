"""The deny list: blocked card UIDs per school, tailed from the event store in memory.

Cards are never unblocked (a blocked UID stays in the card index for good), so the list
only grows; its version is the notification id of the school's latest `CardBlocked`.
"""

import threading
from uuid import UUID

from domain.account import Account
from domain.ledger import Ledger

TOPICS = (Account.Opened.TOPIC, Account.CardBlocked.TOPIC)


class DenyList:
    def __init__(self, ledger: Ledger, page_size: int = 1000) -> None:
        self.ledger = ledger
        self.page_size = page_size
        self._lock = threading.Lock()
        self._position = 0
        self._school_of: dict[UUID, UUID] = {}
        self._blocked: dict[UUID, dict[str, int]] = {}

    def for_school(self, school_id: UUID) -> tuple[int, list[str]]:
        """(version, blocked UIDs) for one school, caught up with the event store."""
        with self._lock:
            self._catch_up()
            blocked = self._blocked.get(school_id, {})
            return max(blocked.values(), default=0), sorted(blocked)

    def _catch_up(self) -> None:
        while True:
            notifications = self.ledger.recorder.select_notifications(
                start=self._position,
                limit=self.page_size,
                topics=TOPICS,
                inclusive_of_start=False,
            )
            for notification in notifications:
                event = self.ledger.mapper.to_domain_event(notification)
                if isinstance(event, Account.Opened):
                    self._school_of[event.originator_id] = event.school_id
                elif isinstance(event, Account.CardBlocked):
                    school_id = self._school_of[event.originator_id]
                    self._blocked.setdefault(school_id, {})[event.uid] = notification.id
                self._position = notification.id
            if len(notifications) < self.page_size:
                return
