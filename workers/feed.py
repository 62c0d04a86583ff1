"""The notification feed: ledger events in, outbox rows and jobs out, exactly once.

One transaction per batch writes the outbox rows, the workers' directory (schools,
accounts, autopayments, the last balance seen) and the feed's position, so a crash replays
the batch without duplicating rows. Jobs are enqueued after the commit; one lost between
commit and enqueue is found by the sweep (`WorkerStore.stale_messages`) or, for billing,
is idempotent when the next event or tick enqueues it again. The feed also hands over the
rows identity writes (`hand_over`: their requests do no network) and expires old secrets.
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import psycopg

from adapters.outbox import Outgoing
from domain import school_settings
from domain.account import Account
from domain.autopay import THRESHOLD, Autopayment
from domain.fees import next_period, period_of
from domain.ledger import Ledger
from domain.notifications import EMAIL, channels_for
from domain.preferences import wanted
from domain.preorder_book import PreOrderBook
from domain.school import School
from workers.casework_messages import staff_dispute_text
from workers.messages import Text, autopay_failed_text, low_balance_text, text_for
from workers.store import WorkerStore

log = logging.getLogger(__name__)

Job = tuple[str, tuple[Any, ...]]
FEED = "notifications"


def contact_refs(account: Account) -> str:
    """Where to look for an address, in order: the chosen contact, then the parent."""
    refs = [account.contact_ref, account.parent_ref, account.parent_phone_ref]
    return " ".join(dict.fromkeys(r for r in refs if r))


def first_autopay_period(created: date, day: int) -> str:
    """A monthly rule first runs in the month of its creation only if its day is still ahead."""
    period = period_of(created)
    return period if created.day <= day else next_period(period)


class Feed:
    def __init__(
        self, ledger: Ledger, store: WorkerStore, enqueue: Callable[[str, tuple[Any, ...]], None]
    ) -> None:
        self.ledger, self.store, self.enqueue = ledger, store, enqueue
        self.zones: dict[UUID, ZoneInfo] = {}
        self.schools: dict[UUID, School] = {}  # loaded once per batch (their settings)

    def run_once(self, limit: int = 200) -> int:
        jobs: list[Job] = []
        self.schools = {}
        with self.store.transaction() as conn:
            position = self.store.lock_position(conn, FEED)
            notifications = self.ledger.recorder.select_notifications(position + 1, limit)
            for notification in notifications:
                event = self.ledger.mapper.to_domain_event(notification)
                jobs.extend(self.handle(conn, event))
            if notifications:
                self.store.set_position(conn, FEED, notifications[-1].id)
        for name, args in jobs:
            self.enqueue(name, args)
        return len(notifications)

    def hand_over(self) -> int:
        """Enqueue the delivery of messages others wrote (identity's credentials)."""
        picked = self.store.pick_up()
        for message_id in picked:
            self.enqueue("deliver_credential", (message_id,))
        return len(picked)

    def run_forever(self, stop: threading.Event, poll: float, lease: float) -> None:
        swept = 0.0
        while not stop.is_set():
            done = self.run_once() + self.hand_over()
            if time.monotonic() - swept > lease:
                self.store.expire()
                for message_id in self.store.stale_messages(older_than_seconds=lease):
                    self.enqueue("deliver", (message_id,))
                swept = time.monotonic()
            if done == 0:
                stop.wait(poll)

    def handle(self, conn: psycopg.Connection[Any], event: Any) -> list[Job]:
        if isinstance(event, School.Registered):
            conn.execute(
                "INSERT INTO wk_schools (school_id, time_zone, first_period) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                (event.originator_id, event.time_zone,
                 period_of(event.timestamp.astimezone(ZoneInfo(event.time_zone)).date())),
            )  # fmt: skip
            return []
        if isinstance(event, Autopayment.Scheduled):
            zone = self.zone(self.ledger.account(event.account_id).school_id)
            conn.execute(
                "INSERT INTO wk_autopay (schedule_id, account_id, kind, day, below, active, "
                "first_period) VALUES (%s, %s, %s, %s, %s, true, %s) ON CONFLICT DO NOTHING",
                (event.originator_id, event.account_id, event.kind, event.day, event.below,
                 first_autopay_period(event.timestamp.astimezone(zone).date(), event.day)),
            )  # fmt: skip
            return []
        if isinstance(event, Autopayment.Cancelled):
            conn.execute(
                "UPDATE wk_autopay SET active = false WHERE schedule_id = %s",
                (event.originator_id,),
            )
            return []
        if isinstance(event, Autopayment.Changed | Autopayment.Paused | Autopayment.Resumed):
            rule: Autopayment = self.ledger.repository.get(
                event.originator_id, version=event.originator_version
            )
            conn.execute(
                "UPDATE wk_autopay SET day = %s, below = %s, active = %s WHERE schedule_id = %s",
                (rule.day, rule.below, rule.active, event.originator_id),
            )
            return []
        if isinstance(event, Autopayment.PaymentFailed):
            schedule: Autopayment = self.ledger.repository.get(event.originator_id)
            account = self.ledger.account(schedule.account_id)
            key = f"{event.originator_id}/{event.originator_version}"
            text = autopay_failed_text(event, account)
            return self.queue(conn, key, account, text, event.timestamp)
        if isinstance(event, PreOrderBook.ServiceCancelled):  # the refunds, made sure of
            return [("refund_preorders", (str(event.originator_id),))]
        if isinstance(event, Account.Event | Account.Created):
            return self.on_account(conn, event)
        return []

    def on_account(self, conn: psycopg.Connection[Any], event: Any) -> list[Job]:
        account: Account = self.ledger.repository.get(
            event.originator_id, version=event.originator_version
        )
        zone = self.zone(account.school_id)
        key = f"{event.originator_id}/{event.originator_version}"
        if isinstance(event, Account.Opened):
            conn.execute(
                "INSERT INTO wk_accounts (account_id, school_id, first_period) "
                "VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                (account.id, account.school_id, period_of(event.timestamp.astimezone(zone).date())),
            )
        jobs: list[Job] = []
        text = text_for(event, account, zone)
        if text is not None:
            jobs += self.queue(conn, key, account, text, event.timestamp)
        if isinstance(event, Account.ChargeDisputed):
            jobs += self.tell_staff(conn, key, account, staff_dispute_text(event, account, zone))
        row = conn.execute(
            "SELECT regular, below FROM wk_accounts WHERE account_id = %s", (account.id,)
        ).fetchone()
        previous, was_below = (int(row[0]), bool(row[1])) if row else (0, False)
        threshold = account.low_balance_threshold or school_settings.low_balance_default_on(
            self.school(account.school_id), event.timestamp.astimezone(zone).date()
        )  # a parent's own threshold, else the school's default
        below = threshold > 0 and account.regular < threshold
        moved = account.regular != previous
        if moved and below and not was_below:
            alert = low_balance_text(account, threshold)
            jobs += self.queue(conn, f"{key}/low_balance", account, alert, event.timestamp)
        conn.execute(
            "UPDATE wk_accounts SET regular = %s, below = %s WHERE account_id = %s",
            (account.regular, below, account.id),
        )
        if moved:
            today = event.timestamp.astimezone(zone).date().isoformat()
            for (schedule_id,) in conn.execute(
                "SELECT schedule_id FROM wk_autopay WHERE account_id = %s AND active "
                "AND kind = %s AND below > %s",
                (account.id, THRESHOLD, account.regular),
            ).fetchall():
                jobs.append(("run_autopayment", (str(schedule_id), today)))
        if isinstance(event, Account.ToppedUp) and account.fee_debt > 0:
            jobs.append(("collect_fee_debt", (str(account.id),)))
        return jobs

    def queue(
        self,
        conn: psycopg.Connection[Any],
        key: str,
        account: Account,
        text: Text,
        at: datetime | None = None,
    ) -> list[Job]:
        """The message on the channels the tariff gives and the parent wants at `at`."""
        jobs: list[Job] = []
        subject = contact_refs(account)
        channels = channels_for(text.importance, account.tariff, account.service_only)
        if at is not None:
            local = at.astimezone(self.zone(account.school_id)).time()
            channels = wanted(account, text.kind, channels, local)
        for channel in channels:
            message_id = f"{key}/{text.kind}:{channel}"
            outgoing = Outgoing(
                message_id, account.id, subject, channel, text.kind, text.title, text.body
            )
            if self.store.add_message(conn, outgoing):
                jobs.append(("deliver", (message_id,)))
        return jobs

    def tell_staff(
        self, conn: psycopg.Connection[Any], key: str, account: Account, text: Text
    ) -> list[Job]:
        """An e-mail to the school's casework contact, when the school has set one."""
        school = self.school(account.school_id)
        today = school.local_date(self.ledger.clock())
        contact = school_settings.on(school, school_settings.CASEWORK_CONTACT, today)
        if not contact:
            return []
        message_id = f"{key}/{text.kind}:{EMAIL}"
        outgoing = Outgoing(message_id, account.id, str(contact), EMAIL, text.kind, text.title,
                            text.body)  # fmt: skip
        return [("deliver", (message_id,))] if self.store.add_message(conn, outgoing) else []

    def school(self, school_id: UUID) -> School:
        if school_id not in self.schools:
            self.schools[school_id] = self.ledger.school(school_id)
        return self.schools[school_id]

    def zone(self, school_id: UUID) -> ZoneInfo:
        if school_id not in self.zones:
            self.zones[school_id] = self.ledger.school(school_id).zone
        return self.zones[school_id]
