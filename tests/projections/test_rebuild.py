"""Rebuilding from zero gives the same rows as the incremental build, and readers keep the
complete old model until the new one is swapped in."""

import threading
from typing import Any

import psycopg

from domain.ledger import Ledger
from projections import all_projections, by_name
from projections.positions import wait_for
from projections.runner import Source, digest, rebuild, run_all
from tests.builders import SchoolWorld, meal, snack
from tests.projections.helpers import catch_up
from tests.projections.replay import assert_parity, replay
from tests.projections.workload import append_events


def some_school_day(ledger: Ledger, world: SchoolWorld) -> None:
    pupils = [world.pupil(), world.pupil(deposit=15_000)]
    for p in pupils:
        world.tap("turnstile", p.uid, direction="in")
        world.tap("canteen_pos", p.uid, items=[meal(), snack()])
        world.tap("vending", p.uid, items=[snack(price=40_000)])  # over the daily limit
    ledger.top_up(pupils[1].account_id, 30_000, "sbp", f"sbp-{pupils[1].contract_number}")
    append_events(ledger, world, pupils, 400, 100)


def test_rebuild_gives_the_same_digest_as_the_incremental_build(
    ledger: Ledger, database_url: str, world: SchoolWorld
) -> None:
    some_school_day(ledger, world)
    catch_up(ledger, database_url, batch_size=7)  # incremental, in many small batches
    source = Source(ledger)
    with psycopg.connect(database_url, autocommit=True) as conn:
        incremental = {p.name: digest(conn, p) for p in all_projections()}
        rebuild(database_url, source, all_projections(), batch_size=50)  # all in one pass
        assert {p.name: digest(conn, p) for p in all_projections()} == incremental
        for projection in all_projections():
            rebuild(database_url, source, projection, batch_size=50)
        assert {p.name: digest(conn, p) for p in all_projections()} == incremental
        assert_parity(conn, replay(ledger))


def test_readers_see_the_complete_old_model_while_a_rebuild_runs(
    ledger: Ledger, database_url: str, world: SchoolWorld
) -> None:
    some_school_day(ledger, world)
    catch_up(ledger, database_url)
    statement = next(p for p in all_projections() if p.name == "statement")
    seen: list[Any] = []
    with psycopg.connect(database_url, autocommit=True) as reader:
        (rows_before,) = reader.execute("SELECT count(*) FROM statement").fetchone() or (0,)

        def look(position: int, head: int) -> None:
            seen.append(reader.execute("SELECT count(*) FROM statement").fetchone())

        rebuild(database_url, Source(ledger), statement, batch_size=20, progress=look)
        assert len(seen) > 3
        assert all(count == (rows_before,) for count in seen)
        assert reader.execute("SELECT count(*) FROM statement").fetchone() == (rows_before,)


def test_rebuilding_while_the_runner_runs_and_events_arrive_keeps_every_row_right(
    ledger: Ledger, database_url: str, world: SchoolWorld
) -> None:
    pupils = [world.pupil() for _ in range(3)]
    stop = threading.Event()
    running = threading.Thread(
        target=run_all, args=(database_url, Source(ledger), all_projections(), stop)
    )
    appender = threading.Thread(target=append_events, args=(ledger, world, pupils, 1_500, 50))
    running.start()
    appender.start()
    try:
        rebuild(database_url, Source(ledger), all_projections(), batch_size=100)
        rebuild(database_url, Source(ledger), by_name("statement"), batch_size=100)
        appender.join(timeout=120)
        head = ledger.recorder.max_notification_id() or 0
        for projection in all_projections():
            wait_for(database_url, projection.name, head, timeout=30)
    finally:
        stop.set()
        running.join(timeout=30)
    with psycopg.connect(database_url) as conn:
        assert_parity(conn, replay(ledger))
