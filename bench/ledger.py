"""Ledger write path and loading: taps/s with one save per tap vs group commit, group commit
in a process just started (every account cold: read from the store, not from memory), and the
load time of a long-lived account with and without snapshots.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -m bench.ledger --taps 2000 --batch 50 --history 5000

Creates its own database on the server; every figure is measured in the same run, the
baseline first, and reported as a ratio against it.
"""

import argparse
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from adapters.postgres import drop_database, eventsourcing_env
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from tests.builders import Pupil, SchoolWorld, meal, new_school
from tests.services import fresh_database


def timed(work: Callable[[], Any]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def lunches(world: SchoolWorld, pupils: list[Pupil], count: int, tag: str) -> list[TapRequest]:
    terminal, now = world.terminals["canteen_pos"], datetime.now(UTC)
    return [
        TapRequest.parse(terminal, f"{tag}-{n}", pupils[n % len(pupils)].uid, now,
                         items=[meal(100)])
        for n in range(count)
    ]  # fmt: skip


def bench_taps(ledger: Ledger, taps: int, batch: int) -> dict[str, float]:
    world = new_school(ledger)
    pupils = [world.pupil(deposit=10_000_000 // 10) for _ in range(200)]
    for pupil in pupils:
        ledger.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
    single = lunches(world, pupils, taps, "single")
    grouped = lunches(world, pupils, taps, "group")
    one_by_one = timed(lambda: [ledger.handle_tap(r) for r in single])
    group = timed(
        lambda: [ledger.handle_taps(grouped[i : i + batch]) for i in range(0, taps, batch)]
    )
    return {"one save per tap": taps / one_by_one, f"group commit of {batch}": taps / group}


def bench_cold(url: str, accounts: int, batch: int) -> dict[str, float]:
    """Groups of `batch` taps, each on another account, in a process that holds nothing in
    memory yet (no account, no card's index record): what a group reads, it reads from the
    store. Every other account has a snapshot and events after it."""
    env = eventsourcing_env(url)
    writer = Ledger(env, snapshot_interval=10)
    world = new_school(writer)
    pupils = [world.pupil(deposit=100_000) for _ in range(accounts)]
    for n, pupil in enumerate(pupils):
        writer.change_daily_limit(pupil.account_id, MAX_DAILY_LIMIT)
        for k in range(8 if n % 2 else 0):
            writer.top_up(pupil.account_id, 100, "sbp", f"cold-{n}-{k}")
    writer.close()
    taps = lunches(world, pupils, accounts, "cold")
    cold = Ledger(env, snapshot_interval=10)
    spent = timed(
        lambda: [cold.handle_taps(taps[i : i + batch]) for i in range(0, accounts, batch)]
    )
    cold.close()
    return {f"cold group commit of {batch}": accounts / spent}


def bench_history(url: str, events: int) -> dict[str, float]:
    env = eventsourcing_env(url)
    writer = Ledger(env, snapshot_interval=100)
    world = new_school(writer)
    pupil = world.pupil(deposit=10_000)
    for n in range(events):
        writer.top_up(pupil.account_id, 100, "sbp", f"history-{n}")
    writer.close()
    results = {}
    loads = 20
    for label, use_snapshots in (("replay every event", False), ("latest snapshot", True)):
        reader = Ledger(env, snapshot_interval=100)
        if not use_snapshots:
            reader.repository.snapshot_store = None  # the repository replays every event
        started = time.perf_counter()
        for _ in range(loads):
            reader.account(pupil.account_id)
        results[label] = (time.perf_counter() - started) / loads * 1000
        reader.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--taps", type=int, default=2000)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--history", type=int, default=5000)
    parser.add_argument("--cold", type=int, default=1000, help="accounts for the cold groups")
    args = parser.parse_args()
    url = fresh_database()
    try:
        ledger = Ledger(eventsourcing_env(url))
        rates = bench_taps(ledger, args.taps, args.batch)
        ledger.close()
        rates.update(bench_cold(url, args.cold, args.batch))
        base = rates["one save per tap"]
        print(f"taps ({args.taps} lunches, 200 accounts)")
        for label, rate in rates.items():
            print(f"  {label:<27} {rate:8.0f} taps/s   x{rate / base:.1f}")
        loads = bench_history(url, args.history)
        base = loads["replay every event"]
        print(f"load of an account with {args.history} events")
        for label, ms in loads.items():
            print(f"  {label:<22} {ms:8.1f} ms       x{base / ms:.1f} faster")
    finally:
        drop_database(url)


if __name__ == "__main__":
    main()
