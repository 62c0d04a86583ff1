"""PostgreSQL crashes and comes back (`pg_ctl stop -m immediate`, then start, on a private
server): the projections runner process stays alive and reaches the head, and the very first
taps and logins after the restart succeed through the pools that held dead connections."""

import subprocess
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from adapters.postgres import ensure_database, eventsourcing_env
from adapters.terminal_auth import TerminalSecrets, enrol_terminal
from domain.ledger import Ledger
from projections import all_projections
from projections.positions import wait_for
from tests.adapters.private_postgres import PrivatePostgres
from tests.api.stack import Family, Stack, running_stack
from tests.builders import meal
from tests.projections.helpers import start_runner
from tests.terminals.rig import SignedTerminal

FAMILIES = 6  # each with a canteen terminal of its own (a terminal's counter is sequential)


def all_at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Concurrently, so each pool holds (and after the crash meets) several connections."""
    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(lambda call: call(), calls))


def taps(
    terminals: list[SignedTerminal], families: list[Family]
) -> list[Callable[[], httpx.Response]]:
    return [
        partial(t.tap, f.pupil.uid, items=[meal(1_000)])
        for t, f in zip(terminals, families, strict=True)
    ]


def logins(families: list[Family]) -> list[Callable[[], dict[str, Any]]]:
    return [partial(f.client.login, f.contract, f.password) for f in families]


def outcome(response: httpx.Response) -> tuple[int, Any]:
    try:
        return response.status_code, response.json().get("outcome")
    except ValueError:
        return response.status_code, response.text


def test_after_a_postgresql_crash_the_runner_goes_on_and_the_first_requests_succeed(
    server: PrivatePostgres, tmp_path: Path
) -> None:
    url = server.database("restart_check")
    ensure_database(url)
    ledger = Ledger(eventsourcing_env(url, pool_size=2), snapshot_interval=10)
    log = tmp_path / "runner.log"
    runner: subprocess.Popen[bytes] | None = None
    try:
        with running_stack(ledger, url) as stack:
            runner = start_runner(url, log)
            terminals, families = school_with_families(stack)
            all_at_once(taps(terminals, families) + logins(families))  # warm every pool
            for projection in all_projections():
                wait_for(url, projection.name, ledger.recorder.max_notification_id() or 0, 60)

            server.crash()
            server.start()

            first_taps = [call() for call in taps(terminals, families)[:3]]  # one by one
            first_logins = [call() for call in logins(families)[:3]]
            more_taps = all_at_once(taps(terminals, families))
            more_logins = all_at_once(logins(families))

        answers = [outcome(r) for r in first_taps + more_taps]
        assert answers == [(200, "approved")] * (3 + FAMILIES)
        assert all("accessToken" in login for login in first_logins + more_logins), more_logins

        head = ledger.recorder.max_notification_id() or 0
        for projection in all_projections():
            wait_for(url, projection.name, head, timeout=60)
        assert runner.poll() is None, log.read_text()  # alive: it never exited
        assert "lost the database" in log.read_text()
    finally:
        if runner is not None:
            runner.terminate()
            runner.wait(timeout=30)
        ledger.close()
    assert runner.returncode == 0, log.read_text()


def school_with_families(stack: Stack) -> tuple[list[SignedTerminal], list[Family]]:
    world = stack.school()
    secrets = TerminalSecrets(stack.database_url, pool_size=1)
    try:
        enrolled = [
            enrol_terminal(stack.ledger, secrets, world.school_id, "canteen_pos", f"POS {n}")
            for n in range(FAMILIES)
        ]
    finally:
        secrets.close()
    terminals = [SignedTerminal(stack.http, tid, secret) for tid, secret in enrolled]
    families = [stack.family(world, deposit=100_000, login=False) for _ in range(FAMILIES)]
    return terminals, families
