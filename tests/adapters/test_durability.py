"""Durability is not traded for speed: PostgreSQL is stopped with `-m immediate` again and
again while terminals post signed taps and retry each until it is answered; afterwards no
acknowledged tap is missing and none was applied twice. Small here; `make bench` runs it
with more crashes (INFOSHKOLA_DURABILITY_CRASHES)."""

import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg

from adapters.postgres import ensure_database, eventsourcing_env
from domain.ledger import Ledger
from tests.adapters.private_postgres import PrivatePostgres
from tests.adapters.test_postgres_restart import school_with_families
from tests.api.stack import running_stack
from tests.builders import meal
from tests.terminals.rig import SignedTerminal, tap

CRASHES = int(os.environ.get("INFOSHKOLA_DURABILITY_CRASHES", "2"))
TAPS_PER_TERMINAL = 12
PRICE = 1_000


def retried_until_answered(terminal: SignedTerminal, body: dict[str, object]) -> httpx.Response:
    """What a till does: the same tap (same tap_id), a new counter each try, until answered."""
    for _ in range(600):
        try:
            response = terminal.post("/terminal/v1/taps", body)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        if response.status_code < 500:
            return response
        time.sleep(0.05)
    raise AssertionError(f"tap {body['tap_id']} never answered")


def test_no_acknowledged_tap_is_lost_or_applied_twice_across_crashes(
    server: PrivatePostgres,
) -> None:
    url = server.database("durability")
    ensure_database(url)
    assert durability_settings(url) == {"fsync": "on", "synchronous_commit": "on"}
    ledger = Ledger(eventsourcing_env(url, pool_size=2), snapshot_interval=10)
    try:
        with running_stack(ledger, url) as stack:
            terminals, families = school_with_families(stack)
            acknowledged: dict[str, str] = {}
            crashed = threading.Event()
            tapped = [0] * len(terminals)

            def till(n: int) -> None:
                """Taps until every crash is over (and at least TAPS_PER_TERMINAL)."""
                while not crashed.is_set() or tapped[n] < TAPS_PER_TERMINAL:
                    tap_id = f"d-{n}-{tapped[n]}"
                    body = tap(families[n].pupil.uid, tap_id=tap_id, items=[meal(PRICE)])
                    response = retried_until_answered(terminals[n], body)
                    assert response.status_code == 200, response.text
                    acknowledged[tap_id] = response.json()["outcome"]
                    tapped[n] += 1

            def crasher() -> None:
                for _ in range(CRASHES):
                    time.sleep(0.3)
                    server.crash()
                    server.start()
                crashed.set()

            with ThreadPoolExecutor(len(terminals) + 1) as pool:
                crashing = pool.submit(crasher)
                tills = [pool.submit(till, n) for n in range(len(terminals))]
                crashing.result()
                for running in tills:
                    running.result()

        assert len(acknowledged) == sum(tapped)
        for n, (terminal, family) in enumerate(zip(terminals, families, strict=True)):
            stored = [ledger.recorded_tap(terminal.terminal_id, f"d-{n}-{k}")
                      for k in range(tapped[n])]  # fmt: skip
            assert all(d is not None for d in stored), "an acknowledged tap is missing"
            approved = sum(d.outcome == "approved" for d in stored if d is not None)
            assert approved == sum(
                acknowledged[f"d-{n}-{k}"] == "approved" for k in range(tapped[n])
            )
            account = ledger.account(family.pupil.account_id)
            assert account.regular == 100_000 - approved * PRICE, "a tap applied twice"
    finally:
        ledger.close()


def durability_settings(url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit')"
        ).fetchall()
    return {str(name): str(setting) for name, setting in rows}
