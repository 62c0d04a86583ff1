"""The `audit_trail` read model against the auditors' own replay of the event store
(`audit.history.audit_trail`): the same events, actors, fields and running balances, however
the work is cut into batches, after a rebuild from zero, when a batch is applied twice, and on
an install whose other read models were built before this one existed."""

from datetime import datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.utils import get_topic

from adapters.postgres import eventsourcing_env
from audit.history import audit_trail
from domain import casework
from domain.billing import Billing
from domain.ledger import Ledger
from domain.recorded import acting_as
from domain.transfer import transfer
from projections import all_projections, by_name
from projections.audit_trail import AuditTrail, account_events, fields_json, trail_page
from projections.directory import Directory
from projections.positions import wait_for
from projections.runner import Source, Worker, rebuild
from tests.builders import SchoolWorld, meal, new_school, snack
from tests.clock import SWEEP_ZONE
from tests.domain.stored_events import current_topics
from tests.projections.helpers import own_database, running


def history(ledger: Ledger, world: SchoolWorld, now: datetime) -> tuple[UUID, UUID]:
    """Top-ups, purchases (one declined), a pass, a monthly fee, a transfer to a sibling and
    a refund paid out to zero: every way a wallet moves, with events between that move none."""
    elder, younger = world.pupil(deposit=50_000), world.pupil(deposit=10_000)
    with acting_as(f"parent:{elder.contract_number}"):
        ledger.top_up(elder.account_id, 30_000, "bank_card", f"pay-{uuid4()}")
    world.tap("canteen_pos", elder.uid, items=[meal(9_000)])
    world.tap("turnstile", elder.uid, direction="in")
    for _ in range(4):  # 90 ₽ + 2 × 45 ₽ reach the 200 ₽ daily limit: the rest are declined
        world.tap("vending", elder.uid, items=[snack(4_500)])
    ledger.change_tariff(elder.account_id, "mobile")
    fee = Billing(ledger).charge_tariff_fee(
        elder.account_id, now.astimezone(SWEEP_ZONE).strftime("%Y-%m")
    )
    assert fee.charged > 0
    transfer(ledger, elder.account_id, younger.account_id, 15_000)
    casework.request_refund(ledger, elder.account_id)
    casework.approve_refund(ledger, elder.account_id)
    casework.pay_refund(ledger, elder.account_id, "payout-1")
    return elder.account_id, younger.account_id


def stored(database_url: str, account_id: UUID) -> list[dict[str, Any]]:
    with psycopg.connect(database_url) as conn:
        return trail_page(conn, account_id, None, 10_000)


def replayed(ledger: Ledger, account_id: UUID) -> list[dict[str, Any]]:
    """The auditors' replay, in the read model's columns."""
    return [
        {
            "position": e.position, "account_id": account_id, "version": e.version,
            "event": e.event, "topic": e.topic, "at": e.timestamp, "actor": e.actor,
            "actor_kind": e.actor_kind, "fields_json": fields_json(e.fields),
            "regular_after": e.regular_after, "subsidised_after": e.subsidised_after,
            "reason": e.reason,
        }
        for e in audit_trail(ledger, account_id)
    ]  # fmt: skip


def project(ledger: Ledger, database_url: str, batch_size: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        Worker(database_url, Source(ledger), AuditTrail(), batch_size).catch_up(conn)


@pytest.mark.parametrize("batch_size", [1, 3, 2000])
def test_the_stored_running_balances_equal_the_audit_replay(
    travelled: datetime, ledger: Ledger, world: SchoolWorld, database_url: str, batch_size: int
) -> None:
    elder, younger = history(ledger, world, travelled)
    project(ledger, database_url, batch_size)
    for account_id in (elder, younger):
        trail = stored(database_url, account_id)
        assert trail == replayed(ledger, account_id)
    kinds = {row["event"] for row in stored(database_url, elder)}
    assert {"ToppedUp", "PurchaseApproved", "PurchaseDeclined", "PassRecorded",
            "TariffFeeCharged", "TransferSent", "RefundPaid"} <= kinds  # fmt: skip
    last = stored(database_url, elder)[-1]
    assert (last["event"], last["regular_after"], last["subsidised_after"]) == ("RefundPaid", 0, 0)
    assert stored(database_url, younger)[-1]["regular_after"] == 25_000


def test_a_rebuild_from_zero_and_a_batch_applied_twice_give_the_same_rows(
    travelled: datetime, ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    elder, _ = history(ledger, world, travelled)
    project(ledger, database_url, 5)
    live = stored(database_url, elder)
    rebuild(database_url, Source(ledger), by_name("audit_trail"), batch_size=4)
    assert stored(database_url, elder) == live == replayed(ledger, elder)

    source, trail = Source(ledger), AuditTrail()
    with psycopg.connect(database_url, autocommit=True) as conn:
        head = source.max_id(conn)
        batch, _ = source.read(conn, 0, head, head, source.topics(trail))
        mine = [b for b in batch if b.event.originator_id == elder]
        with conn.transaction(), conn.cursor() as cur:  # the second half of the history again
            trail.apply(cur, trail.physical(), mine[len(mine) // 2 :], Directory())
    assert stored(database_url, elder) == live


def test_an_install_from_before_the_trail_fills_it_from_the_whole_log(
    travelled: datetime,
) -> None:
    """The runner creates a new read model's table, its index and its position (zero) when it
    starts, and catches it up like any other: the events recorded before it existed are all
    there, with their balances."""
    with own_database() as url:
        app = Ledger(eventsourcing_env(url, pool_size=2), snapshot_interval=10)
        try:
            elder, younger = history(app, new_school(app), travelled)
            source = Source(app)
            with psycopg.connect(url, autocommit=True) as conn:
                for p in all_projections():
                    if p.name != "audit_trail":  # the read models of the older install
                        Worker(url, source, p).catch_up(conn)
                assert conn.execute("SELECT to_regclass('audit_trail')").fetchone() == (None,)
                head = source.max_id(conn)
            with running(app, url):
                wait_for(url, "audit_trail", head, timeout=30)
            with psycopg.connect(url) as conn:
                index = conn.execute(
                    "SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_trail'"
                    " AND indexdef LIKE '%%(account_id, \"position\")%%'"
                ).fetchall()
            assert len(index) == 1
            for account_id in (elder, younger):
                assert stored(url, account_id) == replayed(app, account_id)
        finally:
            app.close()


def test_the_trail_reads_every_event_an_account_records() -> None:
    topics = {get_topic(cls) for cls in account_events()}
    declared = {t for t in current_topics() if t.startswith("infoshkola.account.")}
    assert declared - topics == {"infoshkola.account.Account", "infoshkola.account.Snapshot"}
    assert {"infoshkola.enrolment.ClassMoved", "infoshkola.enrolment.ContractEnded"} <= topics
