"""Batched reads of the group commit: many aggregates read in one statement are the ones the
library's `Repository.get` builds (snapshots and upcasting included), and a group of taps on
cold accounts reads each kind of thing with one statement, however many taps it holds.
Statements are counted as psycopg sends them to the real PostgreSQL."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.application import Repository
from eventsourcing.domain import Aggregate
from eventsourcing.postgres import PostgresAggregateRecorder

from adapters.postgres import eventsourcing_env
from domain.account import Account
from domain.group_commit import Request, TapResult
from domain.index import Index, card_key, index_id, terminal_key
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.recorded import derived_id
from domain.school import School
from domain.tap import Tap
from domain.top_up_request import SettleRequest, TopUpRequest
from domain.topups import TopUps
from tests.builders import Pupil, SchoolWorld, lunch, paid


@pytest.fixture
def fresh_process(database_url: str) -> Iterator[Ledger]:
    """Another API process, just started: nothing in memory."""
    app = Ledger(eventsourcing_env(database_url, pool_size=2), snapshot_interval=10)
    yield app
    app.close()


@contextmanager
def statements(ledger: Ledger) -> Iterator[list[str]]:
    """The SQL of every statement the ledger's event store sends while the block runs."""
    recorder = ledger.recorder
    assert isinstance(recorder, PostgresAggregateRecorder)
    datastore = recorder.datastore
    original = datastore.get_connection
    sent: list[str] = []

    class Counting(psycopg.Cursor[Any]):
        def execute(self, query: Any, params: Any = None, **kwargs: Any) -> Any:
            sent.append(query if isinstance(query, str) else query.as_string(self.connection))
            return super().execute(query, params, **kwargs)

    @contextmanager
    def counted() -> Iterator[Any]:
        with original() as conn:
            kept = conn.cursor_factory
            conn.cursor_factory = Counting
            try:
                yield conn
            finally:
                conn.cursor_factory = kept

    datastore.get_connection = counted  # type: ignore[method-assign]
    try:
        yield sent
    finally:
        del datastore.get_connection


def same(found: Aggregate | None, built: Aggregate) -> bool:
    return type(found) is type(built) and vars(found) == vars(built)


def write_old_snapshot(ledger: Ledger, account_id: UUID) -> None:
    """The account's latest snapshot as written before notifications and fees (version 1)."""
    stored = ledger.mapper.to_stored_event(Account.Snapshot.take(ledger.account(account_id)))
    old = json.loads(stored.state)
    old.pop("class_version")
    for field in ("service_only", "contact_ref", "low_balance_threshold", "fee_debt",
                  "tariff_history"):  # fmt: skip
        old["state"].pop(field)
    assert ledger.snapshots is not None
    ledger.snapshots.recorder.insert_events([replace(stored, state=json.dumps(old).encode())])


def test_what_one_statement_reads_is_built_as_repository_get_builds_it(
    travelled: datetime, world: SchoolWorld, fresh_process: Ledger
) -> None:
    ledger = world.ledger
    few, many, upcast = world.pupil(), world.pupil(), world.pupil()
    for n in range(24):  # snapshots at versions 10 and 20, events after them
        ledger.top_up(many.account_id, 100 + n, "sbp", paid(many, f"many-{n}"))
    ledger.change_daily_limit(upcast.account_id, MAX_DAILY_LIMIT)
    write_old_snapshot(ledger, upcast.account_id)  # read through the snapshot's upcaster
    ledger.top_up(upcast.account_id, 700, "sbp", paid(upcast, "after-the-old-snapshot"))
    assert ledger.handle_tap(lunch(world, few.uid, "decided", 1_000)).decision.outcome == "approved"
    terminal = world.terminals["canteen_pos"]
    wanted: dict[UUID, type[Aggregate]] = {
        few.account_id: Account, many.account_id: Account, upcast.account_id: Account,
        world.school_id: School, derived_id("tap", terminal, "decided"): Tap,
        index_id(card_key(few.uid)): Index, index_id(terminal_key(terminal)): Index,
        derived_id("tap", terminal, "never"): Tap,
    }  # fmt: skip

    found = fresh_process.find_many(wanted)

    plain = Repository(event_store=fresh_process.events)
    for aggregate_id, cls in wanted.items():
        if aggregate_id == derived_id("tap", terminal, "never"):
            assert found[aggregate_id] is None
            continue
        repository = fresh_process.repository if cls is Account else plain
        assert same(found[aggregate_id], repository.get(aggregate_id)), cls
    read_from_snapshots = [found[p.account_id] for p in (many, upcast)]
    assert [a.version for a in read_from_snapshots if a] == [
        fresh_process.account(many.account_id).version,
        fresh_process.account(upcast.account_id).version,
    ]
    assert found[upcast.account_id].fee_debt == 0  # type: ignore[union-attr]


def test_a_group_on_cold_accounts_reads_each_kind_with_one_statement(
    travelled: datetime, world: SchoolWorld, fresh_process: Ledger, database_url: str
) -> None:
    ledger = world.ledger
    pupils = [world.pupil(deposit=20_000) for _ in range(9)]
    for n, pupil in enumerate(pupils):
        for k in range(11 if n % 2 else 1):  # every other account read from a snapshot
            ledger.top_up(pupil.account_id, 100, "sbp", paid(pupil, f"cold-{k}"))
    retried = lunch(world, pupils[0].uid, "retried", 1_000)
    assert ledger.handle_tap(retried).decision.outcome == "approved"

    def group(process: Ledger, of: list[Pupil], tag: str) -> list[str]:
        with statements(process) as sent:
            taps = [lunch(world, pupil.uid, f"{tag}-{n}", 1_000) for n, pupil in enumerate(of)]
            results = process.handle_taps([retried, *taps])
        assert all(isinstance(r, TapResult) for r in results), results
        return sent

    one_by_one = "WHERE originator_id = %s"  # the library's read of one aggregate
    another = Ledger(eventsourcing_env(database_url, pool_size=2), snapshot_interval=10)
    try:
        for process, of in [(fresh_process, pupils[:2]), (another, pupils[2:])]:
            sent = group(process, of, f"group-{len(of)}")
            saves = [n for n, statement in enumerate(sent) if "INSERT INTO" in statement]
            # What it reads before it saves (after: the snapshots due, not the group's).
            reads = [s for s in sent[: saves[0]] if s.startswith(("SELECT", "WITH"))]

            def count(part: str, reads: list[str] = reads) -> int:
                return sum(part in statement for statement in reads)

            assert count(one_by_one) == 0, reads
            # The index records (cards, terminal), then the accounts, the school and the
            # retried tap's record: one statement each, for 3 taps as for 8.
            assert count("WITH s AS (SELECT DISTINCT ON (originator_id)") == 2, reads
            assert count("max(originator_version)") == 1, reads
            assert len(reads) == 3, reads
    finally:
        another.close()


def test_a_group_with_top_ups_and_a_verdict_reads_each_kind_with_one_statement(
    travelled: datetime, world: SchoolWorld, fresh_process: Ledger
) -> None:
    ledger = world.ledger
    pupils = [world.pupil(deposit=20_000) for _ in range(6)]
    payment, _ = TopUps(ledger).start(pupils[5].account_id, 5_000, "bank_card")
    kiosk = world.terminals["kiosk"]
    requests: list[Request] = [
        lunch(world, pupils[0].uid, "money-0", 1_000),
        TopUpRequest(pupils[0].account_id, 1_000, "kiosk_cash", paid(pupils[0], "cash"), kiosk),
        *[TopUpRequest(p.account_id, 1_000, "sbp", paid(p, "sbp")) for p in pupils],
        SettleRequest(payment.payment_id, True, payment.total),
    ]

    with statements(fresh_process) as sent:
        results = fresh_process.group_commit.handle(requests)

    assert not [r for r in results if isinstance(r, Exception)], results
    saves = [n for n, statement in enumerate(sent) if "INSERT INTO" in statement]
    reads = [s for s in sent[: saves[0]] if s.startswith(("SELECT", "WITH"))]
    assert not [s for s in reads if "WHERE originator_id = %s" in s], reads
    # the index records with the card payment, the versions, then the accounts, the school
    # and the payment records: one statement each, however many top-ups
    assert len(reads) == 3, reads
    assert fresh_process.account(pupils[5].account_id).regular == 20_000 + 1_000 + 5_000
