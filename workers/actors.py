"""Thin actors over `workers.jobs`: primitives in, idempotent work out.

`declare(broker)` declares them on the broker `workers.broker.build_broker` made; every
process that sends or runs them calls it once.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import dramatiq
from dramatiq.brokers.redis import RedisBroker

from workers import jobs
from workers.store import WorkerStore

NOTIFICATIONS, BILLING = "notifications", "billing"
# Identity's SMS (passwords, codes, PINs) on a queue of their own: a parent waiting for a
# code is not behind a backlog of purchase notifications.
CREDENTIALS = "credentials"
QUEUES = (NOTIFICATIONS, CREDENTIALS, BILLING)
RETRY: dict[str, Any] = {
    "max_retries": 8,
    "min_backoff": 500,
    "max_backoff": 30_000,
    "time_limit": 120_000,
}


@dataclass(frozen=True)
class Actors:
    deliver: dramatiq.Actor[..., Any]
    deliver_credential: dramatiq.Actor[..., Any]
    send_statement: dramatiq.Actor[..., Any]
    close_month: dramatiq.Actor[..., Any]
    charge_fee: dramatiq.Actor[..., Any]
    collect_fee_debt: dramatiq.Actor[..., Any]
    run_autopayment: dramatiq.Actor[..., Any]
    settle_payment: dramatiq.Actor[..., Any]
    credit_subsidies: dramatiq.Actor[..., Any]
    credit_subsidy: dramatiq.Actor[..., Any]
    refund_preorders: dramatiq.Actor[..., Any]

    def send(self, name: str, args: tuple[Any, ...]) -> None:
        getattr(self, name).send(*args)


_declared: dict[int, Actors] = {}


def declare(broker: RedisBroker) -> Actors:
    if id(broker) in _declared:
        return _declared[id(broker)]

    def deliver(message_id: str) -> str:
        return jobs.deliver(jobs.runtime(), message_id)

    def deliver_credential(message_id: str) -> None:
        jobs.deliver(jobs.runtime(), message_id)

    def send_statement(account_id: str, period: str) -> None:
        jobs.send_statement(jobs.runtime(), account_id, period)

    def close_month(school_id: str, period: str) -> None:
        """Fan a month's closing out: one fee and one statement per account of the school."""
        store: WorkerStore = jobs.runtime().store
        accounts = store.accounts_of(UUID(school_id), period)
        for account_id in accounts:
            actors.charge_fee.send(str(account_id), period)
            actors.send_statement.send(str(account_id), period)

    def charge_fee(account_id: str, period: str) -> None:
        jobs.charge_fee(jobs.runtime(), account_id, period)

    def collect_fee_debt(account_id: str) -> None:
        jobs.collect_fee_debt(jobs.runtime(), account_id)

    def run_autopayment(schedule_id: str, period: str) -> None:
        jobs.run_autopayment(jobs.runtime(), schedule_id, period)

    def settle_payment(payment_id: str, status: str, reason: str) -> None:
        jobs.settle_payment(jobs.runtime(), payment_id, status, reason)

    def credit_subsidies(school_id: str, day: str) -> None:
        """Fan a school day's subsidies out: one credit per account of the school."""
        store: WorkerStore = jobs.runtime().store
        for account_id in store.accounts_of(UUID(school_id), day[:7]):
            actors.credit_subsidy.send(str(account_id), day)

    def credit_subsidy(account_id: str, day: str) -> None:
        jobs.credit_subsidy(jobs.runtime(), account_id, day)

    def refund_preorders(book_id: str) -> None:
        jobs.refund_preorders(jobs.runtime(), book_id)

    def actor(fn: Any, queue: str, **options: Any) -> dramatiq.Actor[..., Any]:
        name, options = fn.__name__, {**RETRY, **options}
        return dramatiq.Actor(
            fn, broker=broker, actor_name=name, queue_name=queue, priority=0, options=options
        )

    actors = Actors(
        deliver=actor(deliver, NOTIFICATIONS, store_results=True),
        deliver_credential=actor(deliver_credential, CREDENTIALS),
        send_statement=actor(send_statement, NOTIFICATIONS),
        close_month=actor(close_month, BILLING),
        charge_fee=actor(charge_fee, BILLING),
        collect_fee_debt=actor(collect_fee_debt, BILLING),
        run_autopayment=actor(run_autopayment, BILLING),
        settle_payment=actor(settle_payment, BILLING, store_results=True),
        credit_subsidies=actor(credit_subsidies, BILLING),
        credit_subsidy=actor(credit_subsidy, BILLING),
        refund_preorders=actor(refund_preorders, BILLING),
    )
    _declared[id(broker)] = actors
    return actors
