"""What the actors do, as plain functions of a `Runtime`: each one safe to run twice."""

import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any
from uuid import UUID

from adapters.acquiring import FAILED, SUCCEEDED, AcquiringClient
from adapters.mail import MailSender
from adapters.outbox import Outgoing
from adapters.people import PeopleStore
from adapters.push import GONE, SendsPush, WebPushSender, push_sender
from adapters.sms import SendsSms, sms_sender
from adapters.vapid import vapid_keys
from app.composition import build_ledger, resolve_database_url
from app.settings import Settings
from domain.account import Account
from domain.autopay import Autopayment
from domain.billing import Billing
from domain.fees import first_day, next_period
from domain.ledger import Ledger
from domain.money import rubles
from domain.notifications import EMAIL, PUSH, SMS, STATEMENT, channels_for
from domain.preorders import PreOrders
from domain.recorded import acting_as
from domain.subsidy import credit_daily_allowance
from workers.config import WorkerSettings
from workers.feed import contact_refs
from workers.messages import local, statement_text
from workers.store import WorkerStore

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: WorkerSettings
    ledger: Ledger
    billing: Billing
    store: WorkerStore
    people: PeopleStore
    mail: MailSender
    sms: SendsSms
    push: SendsPush
    acquiring: AcquiringClient
    web_push: WebPushSender

    @classmethod
    def from_env(cls) -> "Runtime":
        settings, ws = Settings.from_env(), WorkerSettings.from_env()
        url = resolve_database_url(settings)
        ledger = build_ledger(settings, url)
        store = WorkerStore(url)
        store.create_tables()
        people = PeopleStore(url)
        people.create_tables()
        return cls(
            ws,
            ledger,
            Billing(ledger),
            store,
            people,
            MailSender(ws.smtp_url, ws.mail_from),
            sms_sender(ws.sms_url, ws.sms_token),
            push_sender(ws.push_url, ws.push_token),
            AcquiringClient(ws.acquiring_url, ws.acquiring_key, ws.webhook_public_url),
            WebPushSender(vapid_keys(settings.vapid_private_key, settings.var_dir),
                          settings.vapid_subject, tuple(settings.web_push_services)),
        )  # fmt: skip


_runtime: Runtime | None = None
_lock = threading.Lock()


def runtime() -> Runtime:
    """One runtime per worker process, built on the first message (not at import)."""
    global _runtime
    with _lock:
        if _runtime is None:
            _runtime = Runtime.from_env()
        return _runtime


# Notifications


def address_of(people: PeopleStore, m: Outgoing) -> str | None:
    """A feed message's address, looked up at send time (an erased person has none)."""
    refs = m.subject_ref.split()
    found = people.get_many(refs)
    fields: dict[str, str] = {EMAIL: "email", SMS: "phone", PUSH: "push_token"}
    field = fields[m.channel]
    return next((found[r][field] for r in refs if found.get(r, {}).get(field)), None)


def push_everywhere(rt: Runtime, message_id: str, m: Outgoing) -> str | None:
    """A push message to the app (the gateway's token) and to every browser the parent
    subscribed in the cabinet (Web Push); None when there is neither. A browser gone from its
    push service is forgotten. A failure raises: the retry sends again, which the gateway
    dedupes by its key and a push service by the message's `Topic`."""
    token = address_of(rt.people, m)
    refs = m.subject_ref.split()
    browsers = rt.people.push_subscriptions(refs)
    if not token and not browsers:
        return None
    sent = [rt.push.send(message_id, token, m.title, m.body)] if token else []
    outcomes: dict[str, int] = {}
    for sub in browsers:
        outcome = rt.web_push.send(sub, message_id, m.title, m.body, rt.ledger.clock())
        if outcome == GONE:
            rt.people.remove_push_subscription(refs, sub.endpoint)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    sent += [f"web-push {k}: {n}" for k, n in sorted(outcomes.items())]
    return "; ".join(sent)


def deliver(rt: Runtime, message_id: str) -> str:
    """Send one outbox message at most once: claim it, send it, mark it sent.

    Identity's messages carry their phone (`address`); the feed's are addressed through the
    personal-data store. A failure goes back to `pending` and is raised, so dramatiq retries."""
    m = rt.store.claim(message_id, rt.settings.send_lease_seconds)
    if m is None:
        return "taken"
    try:
        ref = send_one(rt, message_id, m)
    except Exception as error:
        rt.store.release(message_id, repr(error))
        raise
    if ref is None:
        rt.store.finish(message_id, "no_contact")
        return "no_contact"
    rt.store.finish(message_id, "sent", ref)
    return "sent"


def send_one(rt: Runtime, message_id: str, m: Outgoing) -> str | None:
    """The message sent on its channel, the service's reference; None: no address."""
    if m.channel == PUSH and not m.address:
        return push_everywhere(rt, message_id, m)
    to = m.address or address_of(rt.people, m)
    if not to:
        return None
    if m.channel == EMAIL:
        return rt.mail.send(message_id, to, m.title, m.body)
    if m.channel == SMS:
        return rt.sms.send(message_id, to, m.body)
    return rt.push.send(message_id, to, m.title, m.body)


MONEY_LINES: dict[type[Any], tuple[str, str]] = {
    Account.ToppedUp: ("amount", "Пополнение"),
    Account.PurchaseApproved: ("from_regular", "Покупка"),
    Account.OfflinePurchaseRecorded: ("from_regular", "Покупка (офлайн)"),
    Account.DuplicateCardOrdered: ("fee", "Дубликат карты"),
    Account.TariffFeeCharged: ("amount", "Абонентская плата"),
    Account.FeeDebtCollected: ("amount", "Погашение долга"),
    Account.ChargeReversed: ("to_regular", "Возврат оспоренного списания"),
    Account.RefundPaid: ("amount", "Возврат остатка"),
}


def send_statement(rt: Runtime, account_id: str, period: str) -> str:
    """The monthly e-mail statement: every movement of the regular wallet in the month."""
    account = rt.ledger.account(UUID(account_id))
    if EMAIL not in channels_for(STATEMENT, account.tariff, account.service_only):
        return "off"
    zone = rt.ledger.school(account.school_id).zone
    start = datetime.combine(first_day(period), time(), zone)
    end = datetime.combine(first_day(next_period(period)), time(), zone)
    opening, closing, lines = 0, 0, []
    events: list[Any] = list(rt.ledger.repository.event_store.get(account.id))
    for event in events:
        if event.timestamp >= end:
            break
        field_label = MONEY_LINES.get(type(event))
        if field_label is None:
            continue
        amount = int(getattr(event, field_label[0]))
        delta = amount if isinstance(event, Account.ToppedUp | Account.ChargeReversed) else -amount
        if event.timestamp < start:
            opening += delta
        else:
            lines.append(f"{local(event.timestamp, zone)} {field_label[1]}: {rubles(delta)}")
        closing += delta
    text = statement_text(account, period, [*lines, f"Остаток на конец: {rubles(closing)}."],
                          opening)  # fmt: skip
    message_id = f"statement/{account.id}/{period}:{EMAIL}"
    subject = contact_refs(account)
    rt.store.add_standalone_message(
        Outgoing(message_id, account.id, subject, EMAIL, text.kind, text.title, text.body)
    )
    return deliver(rt, message_id)


# Pre-orders


def refund_preorders(rt: Runtime, book_id: str) -> int:
    """Refund what a school's cancellation of a day (or dishes) left unrefunded: kopecks."""
    with acting_as("system:preorders"):
        return PreOrders(rt.ledger).refund_cancelled(UUID(book_id)).amount


# Fees


def charge_fee(rt: Runtime, account_id: str, period: str) -> int:
    with acting_as("system:fees"):
        return rt.billing.charge_tariff_fee(UUID(account_id), period).charged


def collect_fee_debt(rt: Runtime, account_id: str) -> int:
    with acting_as("system:fees"):
        return rt.billing.collect_fee_debt(UUID(account_id))


# Autopayments


NO_CARD = "сохранённая карта удалена: выберите в кабинете карту для автоплатежа"


def card_token(rt: Runtime, schedule: Autopayment) -> str | None:
    """The token of the rule's card, looked up now: None once the card was forgotten or the
    parent's personal data erased. A rule from before saved cards carries its own."""
    if schedule.legacy_token is not None:
        return schedule.legacy_token
    assert schedule.saved_card_id is not None
    parent_ref = rt.ledger.account(schedule.account_id).parent_ref
    card = rt.people.saved_card(parent_ref, schedule.account_id, schedule.saved_card_id)
    return card.token if card else None


def run_autopayment(rt: Runtime, schedule_id: str, period: str) -> str:
    """Request the period's payment once, then ask the provider (idempotent on payment id).
    A rule whose saved card is gone fails the period's payment, which tells the parent."""
    with acting_as("system:autopay"):
        request = rt.billing.request_autopayment(UUID(schedule_id), period)
        if request is None:
            return "not_due"
        if request["failed"]:
            return "failed"
        schedule = rt.billing.autopayment(UUID(schedule_id))
        token = card_token(rt, schedule)
        if token is None:
            return settle_payment(rt, request["payment_id"], FAILED, NO_CARD)
        description = f"Автоплатёж {rubles(request['amount'])}"
        status = rt.acquiring.charge(request["payment_id"], request["amount"], token, description)
        if status.status in (SUCCEEDED, FAILED):
            settle_payment(rt, status.payment_id, status.status, status.reason)
        return status.status


def settle_payment(rt: Runtime, payment_id: str, status: str, reason: str = "") -> str:
    kind, _, rest = payment_id.partition(":")
    schedule_id, _, period = rest.partition(":")
    if kind != "autopay" or status not in (SUCCEEDED, FAILED):
        log.warning("ignoring payment %s in status %s", payment_id, status)
        return "ignored"
    with acting_as("system:autopay"):
        rt.billing.settle_autopayment(UUID(schedule_id), period, status == SUCCEEDED, reason)
    return status


# Subsidies


def credit_subsidy(rt: Runtime, account_id: str, day: str) -> str:
    """The daily allowance of one school day, once (see `domain.subsidy`)."""
    with acting_as("system:subsidy"):
        return credit_daily_allowance(rt.ledger, UUID(account_id), date.fromisoformat(day))
