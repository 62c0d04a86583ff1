"""The lunch rush: many schools' canteen taps compressed into one minute while parents'
balance and statement queries go on, then the invariants.

Afterwards, with the projections caught up:
- no tap lost or doubled: every account's balance in the ledger is its deposit minus the
  price of exactly the taps answered `approved` for its card, and the statement read model
  holds exactly that many approved purchases for it;
- balances equal the sum of movements: the balances read model agrees with the ledger and
  with the sum of the account's statement lines;
- `infoshkola audit verify` (hash chain, every aggregate replayed, every read model
  replayed) is clean.
"""

import os
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

import psycopg

from adapters.terminal_auth import TerminalSecrets, enrol_terminal
from bench.lag import wait_until_caught_up
from bench.load import Plan, Till
from bench.open_loop import run_load
from domain.ledger import Ledger
from domain.money import MAX_DAILY_LIMIT
from tests.builders import meal, new_uid

PRICE = 100
DEPOSIT = 10_000_000


@dataclass
class Rush:
    schools: int = 50
    taps_per_school: int = 600
    seconds: float = 60.0
    pupils: int = 20  # per school
    tills: int = 4  # canteen tills per school
    graphql_rate: float = 100.0
    cards: dict[str, UUID] = field(default_factory=dict)  # card → account
    contracts: list[str] = field(default_factory=list)


def build(rush: Rush, ledger: Ledger, url: str) -> list[Till]:
    """The schools, their tills and pupils (with money and a high daily limit)."""
    secrets = TerminalSecrets(url)

    def school(s: int) -> list[Till]:
        school_id = ledger.register_school(f"Лицей {s}", "Новосибирск", "Asia/Novosibirsk", 0)
        cards = []
        for p in range(rush.pupils):
            contract = f"R-{s}-{p}-{uuid4().hex[:6]}"
            account = ledger.open_account(
                contract, school_id, "7Б", f"subject:{uuid4()}", f"subject:{uuid4()}"
            )
            uid = new_uid()
            ledger.issue_card(account, uid)
            ledger.change_daily_limit(account, MAX_DAILY_LIMIT)
            ledger.top_up(account, DEPOSIT, "sbp", f"deposit-{uid}")
            rush.cards[uid] = account
            rush.contracts.append(contract)
            cards.append(uid)
        tills = []
        for _ in range(rush.tills):
            terminal, secret = enrol_terminal(ledger, secrets, school_id, "canteen_pos", "касса")
            tills.append(Till(str(terminal), secret, "canteen_pos", 0, cards, []))
        return tills

    try:
        with ThreadPoolExecutor(8) as pool:
            return [till for tills in pool.map(school, range(rush.schools)) for till in tills]
    finally:
        secrets.close()


def run(
    rush: Rush, ledger: Ledger, url: str, base: str, token: str, var: str, graphql_base: str = ""
) -> dict[str, Any]:
    """The rush's taps to `base`, the parents' queries to `graphql_base` (`base` if empty)."""
    tills = build(rush, ledger, url)
    wait_until_caught_up(url, ledger.recorder.max_notification_id() or 0)
    taps = rush.schools * rush.taps_per_school
    plan = Plan(
        base=base, seconds=rush.seconds, tap_rate=taps / rush.seconds, tills=tills,
        items=[meal(PRICE)], turnstile_share=0.0, hot_share=0.0,
        graphql_rate=rush.graphql_rate, token=token, graphql_base=graphql_base,
        contracts=rush.contracts, seed=7,
    )  # fmt: skip
    figures, result = run_load(plan, url)
    head = ledger.recorder.max_notification_id() or 0
    wait_until_caught_up(url, head)
    approved = Counter(row[4] for row in result["taps"] if row[2] == 200 and row[5] == "approved")
    return {
        "schools": rush.schools, "canteen taps per school": rush.taps_per_school,
        "pupils per school": rush.pupils, "tills per school": rush.tills, **figures,
        "invariants": invariants(rush, ledger, url, approved, var),
    }  # fmt: skip


def invariants(
    rush: Rush, ledger: Ledger, url: str, approved: Counter[str], var: str
) -> dict[str, int]:
    """Counts of accounts breaking each invariant (every one must be 0), and audit's code."""
    accounts = list(rush.cards.values())
    with psycopg.connect(url, autocommit=True) as conn:
        balances: dict[UUID, int] = {
            a: int(regular)
            for a, regular in conn.execute(
                "SELECT account_id, regular FROM balances WHERE account_id = ANY(%s)", (accounts,)
            ).fetchall()
        }
        moved = {
            a: (int(total), int(purchases))
            for a, total, purchases in conn.execute(
                "SELECT account_id, sum(regular_change),"
                " count(*) FILTER (WHERE kind = 'purchase' AND NOT declined)"
                " FROM statement WHERE account_id = ANY(%s) GROUP BY account_id",
                (accounts,),
            ).fetchall()
        }
    lost_or_doubled = ledger_vs_model = not_sum = 0
    for uid, account in rush.cards.items():
        regular = ledger.account(account).regular
        lost_or_doubled += regular != DEPOSIT - PRICE * approved[uid]
        lost_or_doubled += moved.get(account, (0, 0))[1] != approved[uid]
        ledger_vs_model += balances.get(account) != regular
        not_sum += moved.get(account, (0, 0))[0] != regular
    env = {**os.environ, "DATABASE_URL": url, "INFOSHKOLA_VAR": var}
    audit = subprocess.run(
        [sys.executable, "-m", "cli.main", "audit", "verify", "--wait", "60"],
        env=env, capture_output=True, text=True,
    )  # fmt: skip
    if audit.returncode:
        print(audit.stdout[-3000:], audit.stderr[-3000:])
    return {
        "accounts whose taps were lost or doubled": lost_or_doubled,
        "accounts whose balance read model differs from the ledger": ledger_vs_model,
        "accounts whose balance is not the sum of their statement": not_sum,
        "audit verify exit code": audit.returncode,
    }
