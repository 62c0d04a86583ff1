"""Projection throughput: catch-up events/s (batched vs one transaction per event) and rebuild.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.projections --events 1000000

Creates its own database on the server, records `--events` account events (hundreds per
`ledger.save`), then measures on the same data in the same run:
  1. baseline: the first `--sample` events through every projection, one transaction per event;
  2. catch-up: all events through every projection, one transaction per batch;
  3. rebuild: every projection rebuilt from zero into fresh tables and swapped in.
"""

import argparse
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg

from adapters.postgres import drop_database, eventsourcing_env
from app.processes import dies_with_parent
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from projections import all_projections, movements
from projections.directory import Directory
from projections.positions import wait_for
from projections.runner import BATCH_SIZE, Source, Worker, drop, rebuild, setup
from tests.builders import new_school
from tests.projections.workload import append_events
from tests.services import fresh_database


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def per_event_baseline(url: str, source: Source, upto: int) -> None:
    """The naive path: every projection, one transaction per event (threads, one process)."""

    def one(projection: Any) -> None:
        worker = Worker(url, source, projection, batch_size=1)
        with psycopg.connect(url, autocommit=True) as conn:
            position, folder = 0, Directory()
            while position < upto:
                position = worker.step(conn, folder, position, upto)

    threads = [threading.Thread(target=one, args=(p,)) for p in all_projections()]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def runner_catch_up(url: str, head: int, *args: str) -> dict[str, float]:
    """`infoshkola projections run` as a process from zero to `head`: seconds per projection."""
    env = {**os.environ, "DATABASE_URL": url}
    command = [sys.executable, "-m", "cli.main", "projections", "run", *args]
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, preexec_fn=dies_with_parent()
    )
    try:
        done = {}
        for projection in all_projections():
            wait_for(url, projection.name, head, timeout=3600)
            done[projection.name] = time.perf_counter() - started
        return done
    finally:
        process.terminate()
        process.wait(timeout=60)


def reset(url: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        for p in all_projections():
            drop(conn.cursor(), p.physical())
        conn.execute("DROP TABLE IF EXISTS projection_positions")
        setup(conn, all_projections())


def rebuild_each(url: str, ledger: Ledger, head: int) -> None:
    for projection in all_projections():
        source = Source(ledger)  # cold: nothing decoded yet
        movements._read.clear()
        started = time.perf_counter()
        rebuild(url, source, projection, 5000)
        spent = time.perf_counter() - started
        print(f"rebuild {projection.name:<15} {spent:6.1f} s  {head / spent:,.0f} events/s")
    print(f"load average after: {os.getloadavg()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=10_000)
    parser.add_argument("--pupils", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=BATCH_SIZE)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--rebuild-each-only", action="store_true", help="skip to the per-projection rebuilds"
    )
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()}, cpus: {os.cpu_count()}")
    url = fresh_database()
    ledger = Ledger(eventsourcing_env(url), snapshot_interval=10**9)
    try:
        world = new_school(ledger)
        pupils = [world.pupil(deposit=100_000) for _ in range(args.pupils)]
        for p in pupils:
            ledger.change_daily_limit(p.account_id, MAX_DAILY_LIMIT)
        seconds = timed(
            lambda: append_events(ledger, world, pupils, args.events, 1000, random.Random(7))
        )
        head = ledger.recorder.max_notification_id() or 0
        print(f"recorded {args.events} account events (head {head}) in {seconds:.1f} s")
        source = Source(ledger)
        six = len(all_projections())
        if args.rebuild_each_only:
            rebuild_each(url, ledger, head)
            return

        reset(url)
        sample = min(args.sample, head)
        naive = sample / timed(lambda: per_event_baseline(url, source, sample))
        print(f"baseline, 1 event per transaction, {six} projections: {naive:,.0f} events/s")

        for processes in (1, 2):
            reset(url)
            done = runner_catch_up(
                url, head, "--batch-size", str(args.batch_size), "--processes", str(processes)
            )
            rate = head / max(done.values())
            print(
                f"catch-up, `projections run --processes {processes}`, {args.batch_size} ids"
                f" per transaction: {max(done.values()):.1f} s, {rate:,.0f} events/s,"
                f" {rate / naive:.0f}x the baseline"
            )

        source = Source(ledger)
        movements._read.clear()
        spent = timed(lambda: rebuild(url, source, all_projections(), 5000))
        print(f"rebuild of all {six} projections in one pass: {spent:.1f} s")
        rebuild_each(url, ledger, head)
        print(f"load average after: {os.getloadavg()}")
    finally:
        ledger.close()
        if not args.keep:
            drop_database(url)


if __name__ == "__main__":
    main()
