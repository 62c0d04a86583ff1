"""Durability is not traded for speed: PostgreSQL is stopped with `-m immediate` again and
again while terminals post signed taps and retry each until it is answered; afterwards no
acknowledged tap is missing and none was applied twice. Small here; `make bench` runs it
with more crashes (INFOSHKOLA_DURABILITY_CRASHES)."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial

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


def retried_until_answered(
    terminal: SignedTerminal, body: dict[str, object], up: threading.Event
) -> httpx.Response:
    """What a till does: the same tap (same tap_id), a new counter each try, until answered.
    While the server is down (`up` cleared) it waits for the restart; then it backs off from
    10 ms to 0.2 s while the API's connections come back."""
    backoff = threading.Event()  # never set: its wait is the pause between tries
    for attempt in range(600):
        try:
            response = terminal.post("/terminal/v1/taps", body)
            if response.status_code < 500:
                return response
        except httpx.TransportError:
            pass
        up.wait(timeout=60)
        backoff.wait(min(0.01 * 2**attempt, 0.2))
    raise AssertionError(f"tap {body['tap_id']} never answered")


def moved_on(tapped: list[int], since: list[int]) -> bool:
    """Every till has had a tap acknowledged since `since`."""
    return all(now > then for now, then in zip(tapped, since, strict=True))


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
            answered = threading.Condition()  # notified at each acknowledged tap
            crashed = threading.Event()
            up = threading.Event()
            up.set()
            tapped = [0] * len(terminals)

            def till(n: int) -> None:
                """Taps until every crash is over (and at least TAPS_PER_TERMINAL)."""
                while not crashed.is_set() or tapped[n] < TAPS_PER_TERMINAL:
                    tap_id = f"d-{n}-{tapped[n]}"
                    body = tap(families[n].pupil.uid, tap_id=tap_id, items=[meal(PRICE)])
                    response = retried_until_answered(terminals[n], body, up)
                    assert response.status_code == 200, response.text
                    with answered:
                        acknowledged[tap_id] = response.json()["outcome"]
                        tapped[n] += 1
                        answered.notify_all()

            def crasher() -> None:
                """Each crash once every till has had a tap acknowledged since the last one:
                the server crashes while taps flow, never before it answered again."""
                try:
                    for _ in range(CRASHES):
                        with answered:
                            since = list(tapped)
                            assert answered.wait_for(partial(moved_on, tapped, since), 120), (
                                "the tills made no progress"
                            )
                        up.clear()
                        server.crash()
                        server.start()
                        up.set()
                finally:
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
