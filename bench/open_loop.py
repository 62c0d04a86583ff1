"""One open-loop run: the plan written, `bench.load` run as its own process, the answers
summed up (tap and GraphQL latencies, errors) with the projection lag sampled meanwhile."""

import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

import orjson

from bench.lag import PositionSampler
from bench.load import Plan

# the read models a parent's balance and statement come from
READS = ["balances", "statement"]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else 0.0


def ms(values: list[float], share: float) -> float:
    return round(percentile(values, share) * 1000, 1)


def latencies(rows: list[list[Any]]) -> dict[str, float]:
    waits = [answered - due for due, answered, *_ in rows]
    return {"count": len(rows), "p50 (ms)": ms(waits, 0.5), "p99 (ms)": ms(waits, 0.99),
            "max (ms)": round(max(waits, default=0.0) * 1000, 1)}  # fmt: skip


def run_load(plan: Plan, database_url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(figures, raw result of the load process); the tills' counters in `plan` move on."""
    with tempfile.TemporaryDirectory() as tmp:
        plan_path, result_path = Path(tmp, "plan.json"), Path(tmp, "result.json")
        plan_path.write_bytes(orjson.dumps(asdict(plan)))
        with PositionSampler(database_url) as sampler:
            subprocess.run(
                [sys.executable, "-m", "bench.load", str(plan_path), str(result_path)], check=True
            )
            last = max((row[6] for row in _rows(result_path, "taps")), default=0)
            _wait_for(sampler, last)
        result: dict[str, Any] = orjson.loads(result_path.read_bytes())
    for till in plan.tills:
        till.counter = result["counters"][till.terminal_id]
    taps, queries = result["taps"], result["queries"]
    answered = [(row[1], row[6]) for row in taps if row[2] == 200]
    every, reads = sampler.lags(answered), sampler.lags(answered, READS)
    span = max((r[1] for r in taps), default=0) - min((r[0] for r in taps), default=0)
    figures: dict[str, Any] = {
        "offered taps/s": plan.tap_rate,
        "seconds": plan.seconds,
        "taps answered per second of the run": round(len(answered) / span) if span else 0,
        "tap latency": latencies(taps),
        "tap errors": sum(row[2] != 200 for row in taps),
        "tap retries (no answer in time, sent again)": result["retries"],
        "projection lag, balances + statement": {
            "p50 (ms)": ms(reads, 0.5), "p99 (ms)": ms(reads, 0.99),
            "max (ms)": round(max(reads, default=0.0) * 1000, 1),
            "taps not seen": len(answered) - len(reads)},
        "projection lag, every read model": {
            "p50 (ms)": ms(every, 0.5), "p99 (ms)": ms(every, 0.99),
            "taps not seen": len(answered) - len(every)},
    }  # fmt: skip
    if queries:
        figures["GraphQL offered requests/s"] = plan.graphql_rate
        figures["GraphQL balance + statement latency"] = latencies(queries)
        figures["GraphQL errors"] = sum(row[2] != 200 or row[5] != "ok" for row in queries)
        figures["GraphQL requests sent again (connection closed by the server)"] = result[
            "query retries"
        ]
    failed = {row[7] for row in taps + queries if row[7]}
    if failed:
        figures["what failed (up to 5)"] = sorted(failed)[:5]
    return figures, result


def _rows(path: Path, key: str) -> list[list[Any]]:
    rows: list[list[Any]] = orjson.loads(path.read_bytes())[key]
    return rows


def _wait_for(sampler: PositionSampler, position: int, timeout: float = 120.0) -> None:
    """Keep sampling until every projection has passed the last tap (or `timeout`)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sampler.positions and min(sampler.positions[-1].values(), default=0) >= position:
            return
        time.sleep(0.05)
