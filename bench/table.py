"""`var/bench.json` as the Markdown table of docs/BENCHMARKS.md.

.venv/bin/python -m bench.table var/bench.json
"""

import json
import sys
from pathlib import Path
from typing import Any


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:g}"


def latency(figures: dict[str, Any]) -> str:
    found = f"p50 {fmt(figures['p50 (ms)'])} ms, p99 {fmt(figures['p99 (ms)'])} ms"
    return found + (f", max {fmt(figures['max (ms)'])} ms" if "max (ms)" in figures else "")


def open_loop_rows(run: dict[str, Any], what: str) -> list[str]:
    lag = run["projection lag, balances + statement"]
    every = run["projection lag, every read model"]
    rows = [
        f"| {what}: taps | {latency(run['tap latency'])}; {run['tap errors']} errors, "
        f"{run['tap retries (no answer in time, sent again)']} retries; "
        f"{fmt(run['taps answered per second of the run'])} answered/s | |",
        f"| {what}: projection lag (balances + statement / every read model) | "
        f"{latency(lag)} / {latency(every)} | |",
    ]
    if "GraphQL balance + statement latency" in run:
        rows.append(
            f"| {what}: GraphQL balance + statement at {fmt(run['GraphQL offered requests/s'])}"
            f" requests/s | {latency(run['GraphQL balance + statement latency'])}; "
            f"{run['GraphQL errors']} errors | |"
        )
    return rows


def table(results: dict[str, Any]) -> str:
    raw = results["raw"]
    best = max(v for k, v in raw.items() if "1-row" in k)
    ratios = results["ratios to the best raw single-row rate"]
    lines = [
        f"Machine: {results['machine']}. Load average {results['load average before']} before,"
        f" {results['load average after']} after.",
        "",
        f"| measurement | result | × best raw single-row ({best:,}) |",
        "|---|---|---|",
        "| raw 1-row commits, 1 / 4 / 16 / 32 connections | "
        + " / ".join(fmt(v) for k, v in raw.items() if "1-row" in k)
        + " rows/s | |",
        "| raw 100-row commits, 1 / 4 / 16 / 32 connections | "
        + " / ".join(fmt(v) for k, v in raw.items() if "100-row" in k)
        + " rows/s | |",
    ]
    for part in ("in process", "http"):
        for name, value in results[part].items():
            label = name.removesuffix(" (taps/s)")
            lines.append(f"| {label} | {fmt(value)} taps/s | {ratios[name]} |")
    for run in results["open loop"]:
        lines += open_loop_rows(run, f"open loop {fmt(run['offered taps/s'])} taps/s offered")
    lines.append(
        "| accounts below zero or above their deposit after the runs | "
        f"{results['accounts below zero or above their deposit (must be 0)']} | |"
    )
    rush = results.get("lunch rush")
    if rush:
        what = (f"lunch rush ({rush['schools']} schools × {rush['canteen taps per school']} "
                f"canteen taps in {fmt(rush['seconds'])} s)")  # fmt: skip
        lines += open_loop_rows(rush, what)
        for name, value in rush["invariants"].items():
            lines.append(f"| lunch rush: {name} | {value} |  |")
    return "\n".join(line.replace("|  |", "| |") for line in lines)


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "var/bench.json")
    print(table(json.loads(path.read_text())))


if __name__ == "__main__":
    main()
