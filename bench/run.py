"""`make bench`: the tap path against the limit of raw PostgreSQL, in one run.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python -u -m bench.run --seconds 3 --json var/bench.json

In order, on a database of its own (created, then dropped):
1. the limit: raw psycopg insert-commits into an events-shaped table at 1, 4, 16, 32
   connections, single rows and 100-row batches;
2. the baseline: the library's plain path, `Ledger.handle_tap`, one save per tap;
3. our tap path in process: `TapBatcher` (group commit across threads) at 1, 8, 32 tills;
4. the same over HTTP through `infoshkola api` (a real uvicorn process), every request
   signed, at 1, 8, 32 tills, closed loop;
5. open loop at fixed offered rates (default 200 and 500 taps/s): latency p50/p99/max from the
   instant a tap was due, a school-like mix (many accounts, a few hot ones, 10 % turnstile),
   with parents' GraphQL balance + statement queries alongside (by default to a second API
   process: `--no-graphql-apart` sends them to the taps' one);
6. afterwards the invariant: every account's balance is its deposit minus its approved taps.
Each rate is also given as a ratio to the best raw single-row rate of the same run. The
load average of the machine is printed with the results (other work on it skews them).
"""

import argparse
import asyncio
import json
import os
import platform
import random
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import orjson
import psycopg
import uvloop

from adapters.people import PeopleStore
from adapters.postgres import drop_database, eventsourcing_env
from adapters.terminal_auth import TerminalSecrets, enrol_terminal, signed_headers
from api.tap_batcher import TapBatcher
from app.processes import dies_with_parent
from bench.http import Client
from bench.lag import wait_until_caught_up
from bench.load import Plan, Till
from bench.open_loop import run_load
from bench.rush import Rush
from bench.rush import run as run_rush
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from domain.tap import TapRequest
from identity.service import Identity, Role
from tests.builders import meal, new_uid
from tests.services import fresh_database

RAW_DDL = """
CREATE TABLE bench_raw (
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    topic text NOT NULL,
    state bytea NOT NULL,
    notification_id bigserial,
    PRIMARY KEY (originator_id, originator_version))
"""
RAW_INSERT = (
    "INSERT INTO bench_raw (originator_id, originator_version, topic, state) "
    "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[])"
)
STATE = os.urandom(300)  # about the size of a stored purchase event


def load_average() -> float:
    return round(os.getloadavg()[0], 2)


# 1. the limit


def raw_rate(url: str, clients: int, rows: int, seconds: float) -> float:
    stop = time.monotonic() + seconds
    counts = [0] * clients

    def client(n: int) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            while time.monotonic() < stop:
                ids = [uuid4() for _ in range(rows)]
                conn.execute(RAW_INSERT, (ids, [1] * rows, ["Purchase"] * rows, [STATE] * rows))
                counts[n] += rows

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def bench_raw(url: str, seconds: float) -> dict[str, float]:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(RAW_DDL)
    results: dict[str, float] = {}
    for rows in (1, 100):
        for clients in (1, 4, 16, 32):
            rate = raw_rate(url, clients, rows, seconds)
            results[f"raw {rows}-row inserts, {clients} connections (rows/s)"] = round(rate)
            print(f"  raw {rows:>3}-row inserts, {clients:>2} connections: {rate:10,.0f} rows/s")
    return results


# The school


@dataclass
class Town:
    ledger: Ledger
    schools: list[UUID]
    canteens: list[tuple[UUID, str]]  # (terminal, secret)
    turnstiles: list[tuple[UUID, str]]
    cards: list[str]
    hot: list[str]
    deposits: dict[str, int]
    accounts: dict[str, UUID]

    def card(self, rng: random.Random) -> str:
        return rng.choice(self.hot) if rng.random() < 0.2 else rng.choice(self.cards)


def build_town(url: str, schools: int, pupils: int, tills: int) -> Town:
    ledger = Ledger(eventsourcing_env(url, pool_size=8))
    secrets = TerminalSecrets(url)
    secrets.create_tables()
    people = PeopleStore(url, pool_size=1)  # every pupil has a name, as at a real school
    town = Town(ledger, [], [], [], [], [], {}, {})
    for s in range(schools):
        school_id = ledger.register_school(f"Школа {s}", "Новосибирск", "Asia/Novosibirsk", 0)
        town.schools.append(school_id)
        for _ in range(tills // schools + 1):
            town.canteens.append(enrol_terminal(ledger, secrets, school_id, "canteen_pos", "касса"))
            town.turnstiles.append(enrol_terminal(ledger, secrets, school_id, "turnstile", "вход"))
        for p in range(pupils // schools):
            pupil_ref = f"subject:{uuid4()}"
            account = ledger.open_account(
                f"B-{s}-{p}-{uuid4().hex[:6]}", school_id, "5А", pupil_ref, f"subject:{uuid4()}"
            )
            people.put(pupil_ref, name=f"Ученик {s}-{p}", **{"class": "5А"})
            uid = new_uid()
            ledger.issue_card(account, uid)
            ledger.change_daily_limit(account, MAX_DAILY_LIMIT)
            ledger.top_up(account, 10_000_000, "sbp", f"deposit-{uid}")
            town.cards.append(uid)
            town.deposits[uid] = 10_000_000
            town.accounts[uid] = account
    town.hot = town.cards[:5]
    secrets.close()
    people.close()
    return town


def school_of_card(town: Town) -> dict[str, UUID]:
    return {uid: town.ledger.account(a).school_id for uid, a in town.accounts.items()}


# 2. and 3. in process


def lunch(terminal: UUID, uid: str) -> TapRequest:
    return TapRequest.parse(
        terminal, uuid4().hex, uid, datetime.now(UTC), items=[meal(100)]
    )  # fmt: skip


def closed_loop(tills: int, seconds: float, one_tap: Callable[[int], None]) -> float:
    stop = time.monotonic() + seconds
    counts = [0] * tills

    def till(n: int) -> None:
        while time.monotonic() < stop:
            one_tap(n)
            counts[n] += 1

    started = time.monotonic()
    with ThreadPoolExecutor(tills) as pool:
        list(pool.map(till, range(tills)))
    return sum(counts) / (time.monotonic() - started)


def own_canteen(town: Town, schools: dict[str, UUID]) -> Callable[[int], tuple[UUID, str]]:
    """Till n's terminal and a random card of that terminal's school."""
    cards_of: dict[UUID, list[str]] = {}
    for uid, school in schools.items():
        cards_of.setdefault(school, []).append(uid)
    tills = [(t, cards_of[town.ledger.terminal_school_id(t)]) for t, _ in town.canteens]

    def pick(n: int) -> tuple[UUID, str]:
        terminal, cards = tills[n % len(tills)]
        return terminal, random.choice(cards)

    return pick


def bench_in_process(town: Town, seconds: float, schools: dict[str, UUID]) -> dict[str, float]:
    pick = own_canteen(town, schools)
    results: dict[str, float] = {}

    def plain(n: int) -> None:
        terminal, uid = pick(n)
        town.ledger.handle_tap(lunch(terminal, uid))

    rate = closed_loop(1, seconds, plain)
    results["library baseline: handle_tap, one save per tap, 1 till (taps/s)"] = round(rate)
    print(f"  baseline handle_tap, 1 till: {rate:8,.0f} taps/s")
    batcher = TapBatcher(town.ledger)
    for tills in (1, 8, 32):

        def grouped(n: int) -> None:
            terminal, uid = pick(n)
            batcher.decide(lunch(terminal, uid), "terminal:bench")

        batcher.reset_counts()
        rate = closed_loop(tills, seconds, grouped)
        mean = batcher.taps / max(1, batcher.batches)
        results[f"in process, group commit, {tills} tills (taps/s)"] = round(rate)
        print(f"  in process, {tills:>2} tills: {rate:8,.0f} taps/s (mean batch {mean:.1f})")
    batcher.close()
    return results


# 4. and 5. over HTTP


def start_api(
    url: str, port: int, var: Path, workers: int = 1, code: Path | None = None
) -> subprocess.Popen[str]:
    """`infoshkola api` on `port`; `code`: serve it from another checkout (a baseline)."""
    env = {**os.environ, "DATABASE_URL": url, "INFOSHKOLA_VAR": str(var.resolve()),
           "POSTGRES_POOL_SIZE": "8"}  # fmt: skip
    if code is not None:
        env["PYTHONPATH"] = str(code)
    command = [sys.executable, "-m", "cli.main", "api", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    proc = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=code,
        preexec_fn=dies_with_parent(),
    )
    assert proc.stderr is not None
    deadline, started = time.monotonic() + 120, 0
    for line in proc.stderr:  # every worker process says so when its app is up
        started += "Application startup complete" in line
        if started >= workers:
            break
        if time.monotonic() > deadline or proc.poll() is not None:
            raise RuntimeError("the API did not start")
    threading.Thread(target=lambda: [None for _ in proc.stderr or []], daemon=True).start()
    return proc


class Tills:
    """Signed terminals; each is used by one request at a time (its counter must rise)."""

    def __init__(self, town: Town, schools: dict[str, UUID], base: str) -> None:
        self.town, self.base = town, base
        self.counters: dict[UUID, int] = {}
        self.free: dict[bool, asyncio.Queue[tuple[UUID, str, str]]] = {}
        school_of_terminal = {}
        for terminal, secret in town.canteens:
            school_of_terminal[terminal] = (town.ledger.terminal_school_id(terminal), secret)
        for terminal, secret in town.turnstiles:
            school_of_terminal[terminal] = (town.ledger.terminal_school_id(terminal), secret)
        self.school_of_terminal = school_of_terminal
        self.cards_of: dict[UUID, list[str]] = {}
        for uid, school in schools.items():
            self.cards_of.setdefault(school, []).append(uid)
        self.turnstiles = {t for t, _ in town.turnstiles}

    def renew(self) -> None:
        """Free queues of terminals for the event loop now running (one per kind)."""
        self.free = {}
        for terminal, (_, secret) in self.school_of_terminal.items():
            turnstile = terminal in self.turnstiles
            kind = "turnstile" if turnstile else "canteen_pos"
            self.free.setdefault(turnstile, asyncio.Queue()).put_nowait((terminal, secret, kind))

    def body(self, terminal: UUID, kind: str, rng: random.Random) -> bytes:
        school, _ = self.school_of_terminal[terminal]
        cards = self.cards_of[school]
        hot = [c for c in self.town.hot if c in set(cards)]
        uid = rng.choice(hot) if hot and rng.random() < 0.2 else rng.choice(cards)
        tap: dict[str, Any] = {
            "tap_id": uuid4().hex,
            "card_uid": uid,
            "tapped_at": datetime.now(UTC).isoformat(),
        }
        if kind == "turnstile":
            tap["direction"] = "in"
        else:
            tap["items"] = [meal(100)]
        return orjson.dumps(tap)

    async def tap(self, client: Client, rng: random.Random, turnstile: bool) -> int:
        terminal, secret, kind = await self.free[turnstile].get()
        try:
            counter = self.counters.get(terminal, 0) + 1
            self.counters[terminal] = counter
            body = self.body(terminal, kind, rng)
            path = "/terminal/v1/taps"
            headers = signed_headers(secret, str(terminal), counter, "POST", path, body)
            headers["Content-Type"] = "application/json"
            response = await client.post(path, body, headers)
            return response.status
        finally:
            self.free[turnstile].put_nowait((terminal, secret, kind))


async def http_closed(tills: Tills, concurrency: int, seconds: float) -> tuple[float, int]:
    tills.renew()
    rng = random.Random(concurrency)
    async with Client(tills.base, concurrency, timeout=30) as client:
        stop = time.monotonic() + seconds
        done = errors = 0

        async def till() -> None:
            nonlocal done, errors
            while time.monotonic() < stop:
                status = await tills.tap(client, rng, turnstile=False)
                done += 1
                errors += status != 200

        started = time.monotonic()
        await asyncio.gather(*(till() for _ in range(concurrency)))
        return done / (time.monotonic() - started), errors


def start_projections(url: str, var: Path) -> subprocess.Popen[bytes]:
    """`infoshkola projections run`, the read models' process, as in production."""
    env = {**os.environ, "DATABASE_URL": url, "INFOSHKOLA_VAR": str(var)}
    command = [sys.executable, "-m", "cli.main", "projections", "run", "--report-every", "600"]
    return subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=dies_with_parent(),
    )


def staff_token(url: str, base: str) -> str:
    """A support user over every school logs in through the API: its bearer token."""
    identity = Identity(url)
    name, password = f"bench-{uuid4().hex[:8]}", f"bench-{uuid4().hex}"
    try:
        identity.create_staff(name, password, Role.SUPPORT, all_schools=True)
    finally:
        identity.close()
    login = (
        "mutation($u: String!, $p: String!) { login(input: {username: $u, password: $p}) {"
        " session { accessToken } userErrors { code } } }"
    )
    answer = httpx.post(
        f"{base}/graphql", json={"query": login, "variables": {"u": name, "p": password}},
        timeout=30,
    ).json()  # fmt: skip
    return str(answer["data"]["login"]["session"]["accessToken"])


def load_tills(tills: Tills) -> list[Till]:
    """The signed terminals for `bench.load`, each with its school's cards and hot cards."""
    found = []
    for terminal, (school, secret) in tills.school_of_terminal.items():
        cards = tills.cards_of[school]
        kind = "turnstile" if terminal in tills.turnstiles else "canteen_pos"
        hot = [c for c in tills.town.hot if c in set(cards)]
        found.append(Till(str(terminal), secret, kind, tills.counters.get(terminal, 0), cards, hot))
    return found


def check_balances(town: Town) -> int:
    """Accounts below zero (no school here has an overdraft) or above their deposit."""
    wrong = 0
    for uid, account_id in town.accounts.items():
        regular = town.ledger.account(account_id).regular
        wrong += not 0 <= regular <= town.deposits[uid]
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=3.0, help="per closed-loop figure")
    parser.add_argument("--schools", type=int, default=4)
    parser.add_argument("--pupils", type=int, default=200)
    parser.add_argument("--rates", default="200,500", help="open-loop offered taps/s")
    parser.add_argument("--open-seconds", type=float, default=10.0)
    parser.add_argument("--graphql-rate", type=float, default=200.0, help="during the open loop")
    parser.add_argument("--rush-schools", type=int, default=50, help="0: no lunch rush")
    parser.add_argument("--rush-taps", type=int, default=600, help="canteen taps per school")
    parser.add_argument("--rush-seconds", type=float, default=60.0)
    parser.add_argument("--rush-pupils", type=int, default=20, help="pupils per school")
    parser.add_argument("--rush-graphql-rate", type=float, default=100.0)
    parser.add_argument("--api-workers", type=int, default=1, help="`infoshkola api --workers`")
    parser.add_argument(
        "--graphql-apart",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="parents' GraphQL to an `infoshkola api` process of its own (as a load balancer "
        "would route /graphql), not to the one serving the taps",
    )
    parser.add_argument("--json", type=Path, default=Path("var/bench.json"))
    parser.add_argument("--profile", type=Path, help="py-spy the API during 32 HTTP tills")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": machine(), "load average before": load_average(), "started": time.time(),
        "arguments": {k: str(v) for k, v in vars(args).items()},
    }  # fmt: skip
    url = fresh_database()
    processes: list[subprocess.Popen[Any]] = []
    try:
        print("the limit")
        results["raw"] = bench_raw(url, args.seconds)
        best = max(v for k, v in results["raw"].items() if "1-row" in k)
        print("building the town")
        town = build_town(url, args.schools, args.pupils, tills=64)
        schools = school_of_card(town)
        print("in process")
        results["in process"] = bench_in_process(town, args.seconds, schools)
        print("over HTTP (signed, closed loop)")
        from tests.terminals.test_server import free_port

        port = free_port()
        var = Path(f"var/bench-{port}")
        api = start_api(url, port, var, args.api_workers)
        processes.append(api)
        base = f"http://127.0.0.1:{port}"
        tills = Tills(town, schools, base)
        http: dict[str, float] = {}
        for concurrency in (1, 8, 32):
            profiler = None
            if args.profile and concurrency == 32:
                spy = str(Path(sys.executable).parent / "py-spy")
                profiler = subprocess.Popen(
                    [spy, "record", "--pid", str(api.pid), "--subprocesses", "--format", "raw",
                     "--duration", str(int(args.seconds)), "--rate", "200", "--output",
                     str(args.profile), "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                    preexec_fn=dies_with_parent(),
                )  # fmt: skip
            rate, errors = uvloop.run(http_closed(tills, concurrency, args.seconds))
            if profiler:
                profiler.wait(timeout=60)
            http[f"HTTP signed, {concurrency} tills (taps/s)"] = round(rate)
            print(f"  HTTP, {concurrency:>2} tills: {rate:8,.0f} taps/s, {errors} errors")
        results["http"] = http
        print("open loop (bench.load in its own process), projections running")
        processes.append(start_projections(url, var))
        graphql_base = base
        if args.graphql_apart:  # parents' GraphQL served by an API process of its own
            reads_port = free_port()
            processes.append(start_api(url, reads_port, Path(f"var/bench-{reads_port}")))
            graphql_base = f"http://127.0.0.1:{reads_port}"
        wait_until_caught_up(url, town.ledger.recorder.max_notification_id() or 0)
        token = staff_token(url, graphql_base)
        contracts = [town.ledger.account(a).contract_number for a in town.accounts.values()]
        plan_tills = load_tills(tills)
        results["open loop"] = []
        for rate in (int(r) for r in args.rates.split(",")):
            plan = Plan(
                base=base, seconds=args.open_seconds, tap_rate=rate, tills=plan_tills,
                items=[meal(100)], graphql_rate=args.graphql_rate, token=token,
                graphql_base=graphql_base, contracts=contracts, seed=rate,
            )  # fmt: skip
            figures, _ = run_load(plan, url)
            results["open loop"].append(figures)
            print(json.dumps(figures, ensure_ascii=False))
        results["ratios to the best raw single-row rate"] = {
            k: round(v / best, 2)
            for part in ("in process", "http")
            for k, v in results[part].items()
        }
        results["accounts below zero or above their deposit (must be 0)"] = check_balances(town)
        if args.rush_schools:
            print(f"lunch rush: {args.rush_schools} schools x {args.rush_taps} canteen taps")
            rush = Rush(
                schools=args.rush_schools, taps_per_school=args.rush_taps,
                seconds=args.rush_seconds, pupils=args.rush_pupils,
                graphql_rate=args.rush_graphql_rate,
            )  # fmt: skip
            results["lunch rush"] = run_rush(
                rush, town.ledger, url, base, token, str(var), graphql_base
            )
            print(json.dumps(results["lunch rush"], ensure_ascii=False))
        results["load average after"] = load_average()
        print(json.dumps(results, indent=1, ensure_ascii=False))
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        town.ledger.close()
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)
        drop_database(url)


def machine() -> str:
    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
         if line.startswith("model name")), "unknown CPU",
    )  # fmt: skip
    return f"{os.cpu_count()} cores, {cpu}, {platform.platform()}"


if __name__ == "__main__":
    main()
