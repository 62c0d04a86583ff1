"""The open-loop load generator, in a process of its own (`bench.http`'s lean asyncio client).

    python -m bench.load PLAN.json RESULT.json

`bench/run.py` writes the plan (the API's address, the terminals with their secrets, cards
and last counters, the offered rates) and reads the result. Every request is due at a fixed
instant (`n / rate` after the start) whatever the answers to earlier ones: its latency is
counted from that instant, so a server that falls behind shows its queue in the figures
(no coordinated omission). A terminal sends one request at a time (its counter must rise),
so a request waits for a free terminal of its kind, and that wait is part of its latency,
as a pupil's wait at a busy till is.

Taps: a school-like mix (each terminal's own school's cards, a share of them on a few hot
cards, a share of turnstile passes). GraphQL, alongside: one query per request, a contract's
balance and its 20 latest statement lines, with a bearer token.
"""

import asyncio
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import orjson
import uvloop

from adapters.terminal_auth import signed_headers
from bench.http import Client, HttpError

TAP_PATH = "/terminal/v1/taps"
BALANCE_AND_STATEMENT = """query($c: String!) {
  account(contractNumber: $c) { contractNumber regular subsidised spentToday dailyLimit }
  statement(contractNumber: $c, first: 20) {
    pageInfo { hasNextPage endCursor }
    edges { node { position at kind amount regularAfter declined reason } }
  }
}"""


@dataclass
class Till:
    terminal_id: str
    secret: str
    kind: str  # canteen_pos or turnstile
    counter: int
    cards: list[str]
    hot: list[str]


@dataclass
class Plan:
    base: str
    seconds: float
    tap_rate: float
    tills: list[Till]
    items: list[dict[str, Any]]
    turnstile_share: float = 0.1
    hot_share: float = 0.2
    graphql_rate: float = 0.0
    token: str = ""
    graphql_base: str = ""  # the API serving GraphQL, when not `base`
    contracts: list[str] = field(default_factory=list)
    seed: int = 1
    graphql_clients: int = 32  # GraphQL requests in flight at most (browsers)
    timeout: float = 15.0  # per attempt; then the terminal retries
    retries: int = 8

    @classmethod
    def read(cls, path: Path) -> "Plan":
        raw = orjson.loads(path.read_bytes())
        raw["tills"] = [Till(**t) for t in raw["tills"]]
        return cls(**raw)


@dataclass
class Outcome:
    """One request: when it was due and answered (wall clock, seconds), its status."""

    due: float
    answered: float
    status: int
    tap_id: str = ""
    card_uid: str = ""
    outcome: str = ""  # approved / declined for a tap answered 200; for GraphQL "ok"
    position: int = 0  # the tap's notification id
    detail: str = ""  # what went wrong, for a failed request

    def row(self) -> list[Any]:
        return [round(self.due, 6), round(self.answered, 6), self.status, self.tap_id,
                self.card_uid, self.outcome, self.position, self.detail]  # fmt: skip


class Load:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.free: dict[bool, asyncio.Queue[Till]] = {False: asyncio.Queue(), True: asyncio.Queue()}
        for till in plan.tills:
            self.free[till.kind == "turnstile"].put_nowait(till)
        self.taps: list[Outcome] = []
        self.queries: list[Outcome] = []
        self.retried = self.retried_queries = 0

    def body(self, till: Till) -> tuple[str, str, bytes]:
        hot = till.hot and self.rng.random() < self.plan.hot_share
        uid = self.rng.choice(till.hot if hot else till.cards)
        tap_id = uuid4().hex
        tap: dict[str, Any] = {
            "tap_id": tap_id, "card_uid": uid, "tapped_at": datetime.now(UTC).isoformat(),
        }  # fmt: skip
        if till.kind == "turnstile":
            tap["direction"] = "in"
        else:
            tap["items"] = self.plan.items
        return tap_id, uid, orjson.dumps(tap)

    async def tap(self, client: Client, due: float, turnstile: bool) -> None:
        """One tap, retried as a terminal does (same tap id, a new counter) while it has no
        answer (a timeout, a dropped connection, a 5xx): the tap path is idempotent."""
        await asyncio.sleep(max(0.0, due - time.time()))
        queue = self.free[turnstile]
        till = await queue.get()
        outcome = Outcome(due, 0.0, 0)
        try:
            outcome.tap_id, outcome.card_uid, body = self.body(till)
            for _ in range(1 + self.plan.retries):
                till.counter += 1
                if await self.send(client, till, body, outcome):
                    break
                self.retried += 1
        finally:
            outcome.answered = time.time()
            queue.put_nowait(till)
            self.taps.append(outcome)

    async def send(self, client: Client, till: Till, body: bytes, outcome: Outcome) -> bool:
        """True when the tap has its final answer (a decision, or a 4xx refusal). Signed as
        the terminal signs it: its id, this attempt's counter, the method, path and body."""
        terminal, counter = till.terminal_id, till.counter
        headers = signed_headers(till.secret, terminal, counter, "POST", TAP_PATH, body)
        headers["Content-Type"] = "application/json"
        try:
            response = await client.post(TAP_PATH, body, headers)
        except HttpError as error:
            outcome.status, outcome.detail = -1, repr(error)
            return False
        outcome.status = response.status
        if response.status == 200:
            answer = orjson.loads(response.body)
            outcome.outcome, outcome.position = answer["outcome"], answer["position"]
            return True
        outcome.detail = response.text[:300]
        return response.status < 500

    async def query(self, client: Client, due: float) -> None:
        """One parent's query; a request that went out on a kept-alive connection the server
        had just closed is sent again once by the client (counted in `client.resent`)."""
        await asyncio.sleep(max(0.0, due - time.time()))
        outcome = Outcome(due, 0.0, 0)
        contract = self.rng.choice(self.plan.contracts)
        payload = {"query": BALANCE_AND_STATEMENT, "variables": {"c": contract}}
        try:
            headers = {"Authorization": f"Bearer {self.plan.token}",
                       "Content-Type": "application/json"}  # fmt: skip
            response = await client.post("/graphql", orjson.dumps(payload), headers)
            outcome.status = response.status
            body = orjson.loads(response.body) if response.status == 200 else {}
            account = (body.get("data") or {}).get("account")
            ok = not body.get("errors") and account and account["contractNumber"] == contract
            outcome.outcome = "ok" if ok else "wrong"
            if not ok:
                outcome.detail = response.text[:300]
        except HttpError as error:
            outcome.status, outcome.detail = -1, repr(error)
        finally:
            outcome.answered = time.time()
            self.queries.append(outcome)

    async def run(self) -> None:
        plan = self.plan
        # a connection per till (each sends one request at a time); the parents' browsers
        # share `graphql_clients` connections, to `graphql_base` when GraphQL is served apart
        async with (
            Client(plan.base, len(plan.tills), plan.timeout) as taps,
            Client(plan.graphql_base or plan.base, plan.graphql_clients, plan.timeout) as reads,
        ):
            start = time.time() + 0.5
            jobs = []
            has_turnstiles = not self.free[True].empty()
            for n in range(int(plan.tap_rate * plan.seconds)):
                turnstile = has_turnstiles and self.rng.random() < plan.turnstile_share
                jobs.append(self.tap(taps, start + n / plan.tap_rate, turnstile))
            for n in range(int(plan.graphql_rate * plan.seconds)):
                jobs.append(self.query(reads, start + n / plan.graphql_rate))
            await asyncio.gather(*jobs)
            self.retried_queries = reads.resent


def main() -> None:
    plan_path, result_path = Path(sys.argv[1]), Path(sys.argv[2])
    load = Load(Plan.read(plan_path))
    uvloop.run(load.run())  # the client's own CPU matters on a 2-core machine
    result = {
        "taps": [o.row() for o in load.taps],
        "queries": [o.row() for o in load.queries],
        "counters": {t.terminal_id: t.counter for t in load.plan.tills},
        "retries": load.retried,
        "query retries": load.retried_queries,
    }
    result_path.write_bytes(orjson.dumps(result))


if __name__ == "__main__":
    main()
