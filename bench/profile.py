"""Where an HTTP tap's and a GraphQL query's time goes: py-spy on a real `infoshkola api`.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python -u -m bench.profile --seconds 10 --out var/profile

On a database of its own: a small town (`bench.run.build_town`), the API as its own process,
then signed taps from 16 tills (closed loop) for `--seconds` while py-spy samples the API,
then GraphQL balance + statement queries from 1, then 8 clients (idle otherwise), the last
profiled the same way. Each profile is kept raw (py-spy's collapsed stacks, `OUT/taps.txt`,
`OUT/graphql.txt`) and summed up: the share of the busy samples (all threads) in which each
of our functions and of the libraries' main steps is on the stack (inclusive, so shares
overlap).
"""

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from operator import attrgetter
from pathlib import Path
from typing import Any

import orjson
import psycopg
import uvloop

from adapters.postgres import drop_database
from app.processes import dies_with_parent
from bench.http import Client, HttpError
from bench.load import BALANCE_AND_STATEMENT
from bench.run import (
    Tills,
    Town,
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


def spy(pid: int, seconds: float, out: Path, gil: bool = False) -> subprocess.Popen[bytes]:
    """py-spy on `pid`; with `gil`, only the samples of the thread holding the GIL (where
    the process's Python CPU goes, waits left out)."""
    command = [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid),
               "--subprocesses",
               "--format", "raw", "--duration", str(int(seconds)), "--rate", "250",
               "--output", str(out), "--nonblocking", *(["--gil"] if gil else [])]  # fmt: skip
    return subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=dies_with_parent(),
    )


async def graphql_closed(base: str, token: str, contracts: list[str], clients: int,
                         seconds: float) -> tuple[float, list[float]]:  # fmt: skip
    """Requests/s and latencies of `clients` clients asking one query after another."""
    latencies: list[float] = []
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    async with Client(base, clients, timeout=30) as client:
        stop = time.monotonic() + seconds

        async def one(n: int) -> None:
            i = n
            while time.monotonic() < stop:
                i += clients
                payload = {"query": BALANCE_AND_STATEMENT,
                           "variables": {"c": contracts[i % len(contracts)]}}  # fmt: skip
                started = time.monotonic()
                response = await client.post("/graphql", orjson.dumps(payload), headers)
                if response.status != 200 or "errors" in orjson.loads(response.body):
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


def cpu_of(pids: list[int]) -> dict[int, float]:
    """User + system CPU seconds each process has used so far (all its threads), if alive."""
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue  # ended meanwhile
        found[pid] = (int(fields[11]) + int(fields[12])) / tick
    return found


def cpu_seconds(pids: list[int]) -> float:
    return sum(cpu_of(pids).values())


def cpu_since(before: dict[int, float], pids: list[int]) -> float:
    """CPU seconds `pids` used since `before` (a process not in it: all of its CPU; one that
    ended meanwhile: none, so a figure can only be too low)."""
    return sum(now - before.get(pid, 0.0) for pid, now in cpu_of(pids).items())


def idle() -> float:
    """Seconds all cores of the machine have been idle so far."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()
    return (int(fields[4]) + int(fields[5])) / os.sysconf("SC_CLK_TCK")


def transactions(url: str) -> float:
    """Transactions committed or rolled back in the database so far (its statistics)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_stat_force_next_flush()")
        row = conn.execute(
            "SELECT xact_commit + xact_rollback FROM pg_stat_database"
            " WHERE datname = current_database()"
        ).fetchone()
    return float(row[0]) if row else 0.0


def backends(url: str) -> list[int]:
    """The PostgreSQL server processes serving our database now."""
    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(row[0]) for row in rows]


@dataclass
class Cost:
    """A closed-loop figure and the CPU each tap cost: CPU per tap compares changes on a
    shared machine better than the rate does."""

    rate: float
    python_ms: float  # the process(es) serving the taps
    postgres_ms: float  # the database's server processes
    client_ms: float  # this process (the HTTP client)
    idle: float  # share of the machine's cores idle during the run
    commits: float  # transactions per tap in the database (all of its clients)
    group: float = 0.0  # taps per group commit (in process; 0: not told)

    def __str__(self) -> str:
        group = f"; {self.group:.1f} taps per group" if self.group else ""
        return (f"{self.rate:,.0f} taps/s; CPU per tap: {self.python_ms:.2f} ms serving, "
                f"{self.postgres_ms:.2f} ms in PostgreSQL, {self.client_ms:.2f} ms in the "
                f"client; {self.commits:.2f} transactions{group}; "
                f"the machine {self.idle:.0%} idle")  # fmt: skip


class Meter:
    """CPU seconds of `pids`, of the database's server processes and of this process, and
    the machine's idle time, from `start` to `stop`."""

    def __init__(self, url: str, pids: list[int]) -> None:
        self.url, self.pids = url, pids

    def start(self) -> None:
        self.servers = backends(self.url)
        self.began = time.monotonic()
        self.before = (cpu_seconds(self.pids), cpu_of(self.servers),
                       cpu_seconds([os.getpid()]), idle(), transactions(self.url))  # fmt: skip

    def stop(self, rate: float, serving_cpu: float | None = None) -> Cost:
        seconds = time.monotonic() - self.began
        taps = max(1.0, rate * seconds)
        serving = cpu_seconds(self.pids) - self.before[0] if serving_cpu is None else serving_cpu
        database = cpu_since(self.before[1], [*self.servers, *backends(self.url)])
        client = cpu_seconds([os.getpid()]) - self.before[2]
        idle_share = (idle() - self.before[3]) / seconds / (os.cpu_count() or 1)
        commits = transactions(self.url) - self.before[4]
        return Cost(rate, serving / taps * 1000, database / taps * 1000,
                    client / taps * 1000, idle_share, commits / taps)  # fmt: skip


def in_process(url: str, town: Town, code: Path, tills: int, seconds: float,
               profile: Path | None, gil: bool) -> Cost:  # fmt: skip
    """`tills` threads through one `TapBatcher` in a process of its own running `code`."""
    schools = school_of_card(town)
    cards_of: dict[str, list[str]] = {}
    for uid, school in schools.items():
        cards_of.setdefault(str(school), []).append(uid)
    plan = {
        "url": url, "concurrency": tills, "seconds": seconds,
        "tills": [[str(t), cards_of[str(town.ledger.terminal_school_id(t))]]
                  for t, _ in town.canteens],
    }  # fmt: skip
    plan_file = Path(tempfile.mkstemp(suffix=".json")[1])
    plan_file.write_text(json.dumps(plan))
    script = Path(__file__).with_name("in_process.py")
    child = subprocess.Popen(
        [sys.executable, "-c", "import runpy, sys; runpy.run_path(sys.argv[1], "
         "run_name='__main__')", str(script), str(plan_file)], stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(code)}, cwd=code, preexec_fn=dies_with_parent(),
    )  # fmt: skip
    assert child.stdout is not None
    try:
        meter = Meter(url, [child.pid])
        profiler = None
        group = 0.0
        for line in child.stdout:
            if line.startswith("measuring"):
                meter.start()
                if profile is not None:
                    profiler = spy(child.pid, seconds, profile, gil)
            elif line.startswith("groups"):  # a checkout before it told them: none
                _, groups, taps = line.split()
                group = int(taps) / max(1, int(groups))
            elif line.startswith("done"):
                _, rate, cpu = line.split()
                cost = meter.stop(float(rate), float(cpu))
                cost.group = group
                if profiler is not None:
                    profiler.wait(timeout=60)
                return cost
        raise RuntimeError("the in-process run did not finish")
    finally:
        child.wait(timeout=60)
        plan_file.unlink()


def over_http(url: str, tills: Tills, code: Path, args: argparse.Namespace,
              profile: Path | None) -> Cost:  # fmt: skip
    """Signed taps of `args.tills` tills through `infoshkola api` running `code`."""
    from tests.terminals.test_server import free_port

    port = free_port()
    api = start_api(url, port, args.out / "var", args.api_workers, code)
    try:
        tills.base = f"http://127.0.0.1:{port}"  # the same tills: their counters go on
        uvloop.run(http_closed(tills, args.tills, 2))  # warm: hot accounts, pools
        meter = Meter(url, [api.pid, *(int(p) for p in _children(api.pid))])
        profiler = spy(api.pid, args.seconds, profile, args.gil) if profile else None
        meter.start()
        rate, errors = uvloop.run(http_closed(tills, args.tills, args.seconds))
        cost = meter.stop(rate)
        if profiler is not None:
            profiler.wait(timeout=60)
        if errors:
            print(f"  ({errors} errors)")
        return cost
    finally:
        api.terminate()
        api.wait(timeout=30)


@dataclass
class Queries:
    """One GraphQL figure: closed-loop requests/s, latencies, the CPU per request."""

    cost: Cost
    p50_ms: float
    p99_ms: float

    def __str__(self) -> str:
        c = self.cost
        return (f"{c.rate:,.0f} requests/s, p50 {self.p50_ms:.1f} ms, p99 {self.p99_ms:.1f} ms; "
                f"CPU per request {c.python_ms:.2f} ms in the API, {c.postgres_ms:.2f} ms in "
                f"PostgreSQL, {c.client_ms:.2f} ms in the client; {c.commits:.2f} "
                f"transactions; the machine {c.idle:.0%} idle")  # fmt: skip


def graphql(url: str, town: Town, args: argparse.Namespace, code: Path,
            profile: Path | None) -> dict[int, Queries]:  # fmt: skip
    """Balance + statement queries from 1, then 8 clients (`--clients`) to an API running
    `code`; with `profile`, py-spy during the last (the most clients)."""
    from tests.terminals.test_server import free_port

    port = free_port()
    api = start_api(url, port, args.out / "var", args.api_workers, code)
    base = f"http://127.0.0.1:{port}"
    found: dict[int, Queries] = {}
    try:
        token = staff_token(url, base)
        contracts = [town.ledger.account(a).contract_number for a in town.accounts.values()]
        uvloop.run(graphql_closed(base, token, contracts, 8, 2))  # warm
        counts = [int(n) for n in args.clients.split(",")]
        for clients in counts:
            profiler = None
            if profile is not None and clients == counts[-1]:
                profiler = spy(api.pid, args.seconds, profile, args.gil)
            meter = Meter(url, [api.pid])
            meter.start()
            qps, latencies = uvloop.run(
                graphql_closed(base, token, contracts, clients, args.seconds)
            )
            cost = meter.stop(qps)
            if profiler is not None:
                profiler.wait(timeout=60)
            latencies.sort()
            found[clients] = Queries(cost, latencies[len(latencies) // 2] * 1000,
                                     latencies[int(len(latencies) * 0.99)] * 1000)  # fmt: skip
        return found
    finally:
        api.terminate()
        api.wait(timeout=30)


def project(url: str) -> None:
    """The read models, projected once, in a process of its own (no runner competes for the
    CPU while queries are measured)."""
    subprocess.run(
        [sys.executable, "-m", "cli.main", "projections", "rebuild"],
        env={**os.environ, "DATABASE_URL": url}, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


PARTS = ("in-process", "taps", "graphql")
HERE = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--tills", type=int, default=16)
    parser.add_argument("--in-process-tills", type=int, default=32)
    parser.add_argument("--clients", default="1,8", help="GraphQL's concurrent clients, each")
    parser.add_argument("--out", type=Path, default=Path("var/profile"))
    parser.add_argument("--api-workers", type=int, default=1)
    parser.add_argument("--parts", default=",".join(PARTS), help="of " + ", ".join(PARTS))
    parser.add_argument(
        "--gil", action="store_true", help="sample only the thread holding the GIL (Python's CPU)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        action="append",
        default=[],
        help="another checkout (e.g. `git archive main`): its figures are measured in the "
        "same run, alternating with this tree's; repeatable (the first is the one the others "
        "are compared with)",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --baseline: A/B rounds")
    args = parser.parse_args()  # fmt: skip
    parts = set(args.parts.split(","))
    args.out.mkdir(parents=True, exist_ok=True)
    codes = [*((str(b), b.resolve()) for b in args.baseline), ("this tree", HERE)]
    url = fresh_database()
    try:
        town = build_town(url, schools=2, pupils=100, tills=32)
        costs: dict[tuple[str, str], list[Cost]] = {}
        tills = Tills(town, school_of_card(town), "")
        for _ in range(args.rounds if args.baseline else 1):
            for label, code in codes:
                mine = code == HERE
                if "in-process" in parts:
                    profile = args.out / "in-process.txt" if mine else None
                    cost = again(partial(in_process, url, town, code, args.in_process_tills,
                                         args.seconds, profile, args.gil))  # fmt: skip
                    costs.setdefault(("in process", label), []).append(cost)
                    print(f"in process, {args.in_process_tills} tills, {label}: {cost}")
                if "taps" in parts:
                    profile = args.out / "taps.txt" if mine else None
                    cost = again(partial(over_http, url, tills, code, args, profile))
                    costs.setdefault(("HTTP", label), []).append(cost)
                    print(f"HTTP, {args.tills} tills, {label}: {cost}")
        if args.baseline and parts & {"in-process", "taps"}:
            compare(costs, [label for label, _ in codes], TAP_FIGURES)
        if "graphql" in parts:
            project(url)
            queries: dict[tuple[str, str], list[Queries]] = {}
            rounds = args.rounds if args.baseline else 1
            for _ in range(rounds):
                for label, code in codes:
                    # py-spy takes CPU too: not in an A/B comparison
                    profile = None if args.baseline else args.out / "graphql.txt"
                    for clients, figure in graphql(url, town, args, code, profile).items():
                        queries.setdefault((f"{clients} clients", label), []).append(figure)
                        print(f"GraphQL, {clients} clients, {label}: {figure}")
            if args.baseline:
                compare(queries, [label for label, _ in codes], QUERY_FIGURES)
        for part, title in (("in-process", "in-process tap (TapBatcher)"), ("taps", "HTTP tap"),
                            ("graphql", "GraphQL balance + statement")):  # fmt: skip
            if part in parts and (args.out / f"{part}.txt").exists():
                print_summary(title, args.out / f"{part}.txt")
        town.ledger.close()
    finally:
        drop_database(url)


def _children(pid: int) -> list[str]:
    """The worker processes of `infoshkola api --workers N`."""
    try:
        return Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []


def again(measure: Callable[[], Cost], attempts: int = 4) -> Cost:
    """A figure, measured again when the shared server ran out of connections meanwhile."""
    for attempt in range(attempts):
        try:
            return measure()
        except (RuntimeError, OSError, psycopg.OperationalError, HttpError) as error:
            print(f"  (failed: {str(error)[:120]}; again)")
            time.sleep(10 * (attempt + 1))
    return measure()


TAP_FIGURES = {name: attrgetter(name)
               for name in ("rate", "python_ms", "postgres_ms", "commits", "group")}  # fmt: skip
QUERY_FIGURES: dict[str, Callable[[Any], float]] = {
    "requests/s": lambda q: q.cost.rate, "p50 ms": attrgetter("p50_ms"),
    "p99 ms": attrgetter("p99_ms"), "API CPU ms": lambda q: q.cost.python_ms,
    "transactions": lambda q: q.cost.commits,
}  # fmt: skip


def compare(found: Mapping[tuple[str, str], Sequence[Any]], labels: list[str],
            figures: Mapping[str, Callable[[Any], float]]) -> None:  # fmt: skip
    """Each checkout against the first, per row (a path, a number of clients): the ratios
    of the rounds' medians of each figure."""
    print(f"\nagainst {labels[0]} (medians of the rounds)")
    for row in dict.fromkeys(row for row, _ in found):
        if (row, labels[0]) not in found:
            continue
        for name, of in figures.items():
            base = statistics.median(of(c) for c in found[(row, labels[0])])
            shown = []
            for label in labels[1:]:
                value = statistics.median(of(c) for c in found[(row, label)])
                ratio = f" (x{value / base:.2f})" if base else ""
                shown.append(f"{label}: {value:.2f}{ratio}")
            print(f"  {row:<10} {name:<12} {labels[0]}: {base:.2f}; " + "; ".join(shown))


if __name__ == "__main__":
    main()
