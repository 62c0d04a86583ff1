"""Where an HTTP tap's and a GraphQL query's time goes: py-spy on a real `infoshkola api`.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -u -m bench.profile --seconds 10 --out var/profile

On a database of its own: a small town (`bench.run.build_town`), the API as its own process,
then signed taps from 16 tills (closed loop) for `--seconds` while py-spy samples the API,
then GraphQL balance + statement queries from 8 clients the same way. Each profile is kept
raw (py-spy's collapsed stacks, `OUT/taps.txt`, `OUT/graphql.txt`) and summed up: the share
of the busy samples (all threads) in which each of our functions and of the libraries' main
steps is on the stack (inclusive, so shares overlap).
"""

import argparse
import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import orjson

from adapters.postgres import drop_database
from bench.load import BALANCE_AND_STATEMENT
from bench.run import (
    Tills,
    build_town,
    http_closed,
    school_of_card,
    staff_token,
    start_api,
)
from tests.services import fresh_database

# Frames on (nearly) every stack, and the leaves of threads that only wait for work.
WRAPPERS = ("threading.py", "runpy", "typer/", "_click/", "click/", "uvicorn/main.py",
            "uvicorn/server.py", "uvicorn/_compat.py", "asyncio/runners.py", "cli/main.py",
            "cli/api.py", "_backends/_asyncio.py", "asyncio/base_events.py")  # fmt: skip
IDLE = ("Condition.wait (threading.py)", "Queue.get (queue.py)", "Event.wait (threading.py)",
        "SimpleQueue.get", "select (selectors.py)", "run_forever")  # fmt: skip


def summary(path: Path, top: int = 45) -> tuple[int, list[tuple[str, float]]]:
    """(busy samples, [(frame, share of busy samples with it on the stack)]), largest first.
    A sample whose innermost frame waits for work (an idle pool thread) is not busy."""
    samples = 0
    inclusive: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = [f"{frame.split(' (')[0]} ({_where(frame)})" for frame in stack.split(";")]
        if any(idle in frames[-1] for idle in IDLE):
            continue
        samples += int(count)
        for frame in set(frames):
            if not any(w in frame for w in WRAPPERS):
                inclusive[frame] += int(count)
    shares = [(frame, n / samples) for frame, n in inclusive.most_common(top)] if samples else []
    return samples, shares


def _where(frame: str) -> str:
    """`module/file.py` of a py-spy frame `name (path/to/module/file.py:line)`."""
    inside = frame.rpartition(" (")[2].rstrip(")")
    path = inside.rpartition(":")[0]
    return "/".join(Path(path).parts[-2:])


def spy(pid: int, seconds: float, out: Path) -> subprocess.Popen[bytes]:
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
               "--subprocesses",
               "--format", "raw", "--duration", str(int(seconds)), "--rate", "250",
               "--output", str(out), "--nonblocking"]  # fmt: skip
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def graphql_closed(base: str, token: str, contracts: list[str], clients: int,
                         seconds: float) -> tuple[float, list[float]]:  # fmt: skip
    """Requests/s and latencies of `clients` clients asking one query after another."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        stop = time.monotonic() + seconds

        async def one(n: int) -> None:
            i = n
            while time.monotonic() < stop:
                i += clients
                payload = {"query": BALANCE_AND_STATEMENT,
                           "variables": {"c": contracts[i % len(contracts)]}}  # fmt: skip
                started = time.monotonic()
                response = await client.post("/graphql", content=orjson.dumps(payload),
                                             headers=headers)  # fmt: skip
                if response.status_code != 200 or "errors" in response.json():
                    raise RuntimeError(f"GraphQL answered {response.text[:300]}")
                latencies.append(time.monotonic() - started)

        started = time.monotonic()
        await asyncio.gather(*(one(n) for n in range(clients)))
        return len(latencies) / (time.monotonic() - started), latencies


def print_summary(title: str, path: Path) -> None:
    busy, shares = summary(path)
    print(f"\n{title} ({path}, {busy} busy samples):")
    for frame, share in shares:
        print(f"  {share:6.1%}  {frame}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tills", type=int, default=16)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--out", type=Path, default=Path("var/profile"))
    parser.add_argument("--api-workers", type=int, default=1)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from tests.terminals.test_server import free_port

    url = fresh_database()
    api = None
    try:
        town = build_town(url, schools=2, pupils=100, tills=32)
        port = free_port()
        api = start_api(url, port, args.out / "var", args.api_workers)
        base = f"http://127.0.0.1:{port}"
        tills = Tills(town, school_of_card(town), base)
        asyncio.run(http_closed(tills, args.tills, 2))  # warm: hot accounts, pools
        profiler = spy(api.pid, args.seconds, args.out / "taps.txt")
        rate, errors = asyncio.run(http_closed(tills, args.tills, args.seconds))
        profiler.wait(timeout=60)
        print(f"taps: {rate:,.0f}/s over {args.tills} tills, {errors} errors")
        token = staff_token(url, base)
        contracts = [town.ledger.account(a).contract_number for a in town.accounts.values()]
        # the read models: projected once, in this process (no runner competes for the CPU)
        subprocess.run(
            [sys.executable, "-m", "cli.main", "projections", "rebuild"],
            env={**os.environ, "DATABASE_URL": url}, check=True,
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        asyncio.run(graphql_closed(base, token, contracts, args.clients, 2))
        profiler = spy(api.pid, args.seconds, args.out / "graphql.txt")
        qps, latencies = asyncio.run(
            graphql_closed(base, token, contracts, args.clients, args.seconds)
        )
        profiler.wait(timeout=60)
        latencies.sort()
        print(f"GraphQL: {qps:,.0f}/s over {args.clients} clients, "
              f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms")  # fmt: skip
        print_summary("HTTP tap", args.out / "taps.txt")
        print_summary("GraphQL balance + statement", args.out / "graphql.txt")
        town.ledger.close()
    finally:
        if api is not None:
            api.terminate()
            api.wait(timeout=30)
        drop_database(url)


if __name__ == "__main__":
    main()
