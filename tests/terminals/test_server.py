"""End to end: `infoshkola terminal register` prints a secret, `infoshkola api` serves taps."""

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from uuid import UUID

import httpx
import pytest

from adapters.terminal_auth import TerminalSecrets, enrol_terminal
from app.processes import dies_with_parent
from domain.ledger import Ledger
from tests.builders import meal, new_school
from tests.problems import problem_code
from tests.terminals.rig import SignedTerminal

CLI = [sys.executable, "-m", "cli.main"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_line(proc: subprocess.Popen[str], needle: str, seconds: float) -> None:
    """Wait (bounded) until the process logs `needle`; its log is drained by a thread."""
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stderr is not None
    stream = proc.stderr

    def drain() -> None:
        for line in stream:
            lines.put(line)

    threading.Thread(target=drain, daemon=True).start()
    deadline = time.monotonic() + seconds
    seen = []
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        seen.append(line)
        if needle in line:
            return
    raise AssertionError(f"{needle!r} not logged in {seconds}s: {''.join(seen)[-2000:]}")


@pytest.fixture(scope="module")
def env(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    var = tmp_path_factory.mktemp("var")
    return {**os.environ, "DATABASE_URL": database_url, "INFOSHKOLA_VAR": str(var)}


@pytest.fixture(scope="module")
def server(env: dict[str, str]) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "api", "--port", str(port)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=dies_with_parent(),
    )
    try:
        wait_for_line(proc, "Uvicorn running on", 60)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_a_registered_terminal_taps_through_a_real_uvicorn_server(
    ledger: Ledger, env: dict[str, str], server: str
) -> None:
    world = new_school(ledger)
    pupil = world.pupil(deposit=50_000)
    registered = subprocess.run(
        [*CLI, "terminal", "register", "--school", str(world.school_id), "--kind", "canteen_pos",
         "--label", "Столовая, касса 2"],
        env=env, capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    printed = dict(line.split(":", 1) for line in registered.stdout.splitlines())
    terminal_id, secret = UUID(printed["terminal_id"].strip()), printed["secret"].strip()

    with httpx.Client(base_url=server, timeout=30) as http:
        terminal = SignedTerminal(http, terminal_id, secret)
        decision = terminal.tap(pupil.uid, items=[meal(9000)]).json()
        replay = terminal.tap(pupil.uid, items=[meal(9000)], counter=1)
        openapi = http.get("/openapi.json").json()

    assert (decision["outcome"], decision["regular_after"]) == ("approved", 41_000)
    assert replay.status_code == 401
    assert ledger.account(pupil.account_id).regular == 41_000
    paths = set(openapi["paths"])
    assert {"/terminal/v1/taps", "/terminal/v1/taps/batch", "/terminal/v1/deny-list",
            "/terminal/v1/kiosk/activations", "/terminal/v1/kiosk/deposits",
            "/terminal/v1/kiosk/duplicates", "/terminal/v1/photos/{sha256}"} <= paths  # fmt: skip
    assert "TapInput" in openapi["components"]["schemas"]
    assert "ItemInput" in openapi["components"]["schemas"]


def test_concurrent_requests_with_one_counter_are_accepted_once(
    ledger: Ledger, database_url: str, server: str
) -> None:
    world = new_school(ledger)
    secrets_store = TerminalSecrets(database_url, pool_size=1)
    try:
        terminal_id, secret = enrol_terminal(ledger, secrets_store, world.school_id, "kiosk", "k")
    finally:
        secrets_store.close()

    with httpx.Client(base_url=server, timeout=30) as http:
        kiosk = SignedTerminal(http, terminal_id, secret)
        with ThreadPoolExecutor(max_workers=16) as pool:
            answers = list(
                pool.map(lambda _: kiosk.get("/terminal/v1/deny-list", counter=77), range(32))
            )

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] + [401] * 31
    assert {problem_code(a) for a in answers if a.status_code == 401} == {"replayed_counter"}


def test_two_worker_processes_on_one_port_keep_one_truth(
    ledger: Ledger, env: dict[str, str], database_url: str
) -> None:
    """`infoshkola api --workers 2`: each process has its own tap batcher and hot accounts,
    yet concurrent taps on one account through both are all applied once, and a counter is
    accepted once whichever process sees it first."""
    world = new_school(ledger)
    pupil = world.pupil(deposit=50_000)
    secrets_store = TerminalSecrets(database_url, pool_size=1)
    try:
        secrets_store.create_tables()  # else the API's start would, after the terminals
        tills = [enrol_terminal(ledger, secrets_store, world.school_id, "canteen_pos", "касса")
                 for _ in range(8)]  # fmt: skip
    finally:
        secrets_store.close()
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "api", "--port", str(port), "--workers", "2"], env=env, stderr=subprocess.PIPE,
        text=True, preexec_fn=dies_with_parent(),
    )  # fmt: skip
    try:
        wait_for_line(proc, "Application startup complete", 90)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            terminals = [SignedTerminal(http, t, s) for t, s in tills]
            with ThreadPoolExecutor(max_workers=8) as pool:
                answers = [
                    a.json()
                    for each in pool.map(
                        lambda t: [t.tap(pupil.uid, items=[meal(100)]) for _ in range(4)],
                        terminals,
                    )
                    for a in each
                ]
                same = list(
                    pool.map(lambda _: terminals[0].get("/terminal/v1/deny-list", counter=99),
                             range(16))
                )  # fmt: skip
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert [a["outcome"] for a in answers] == ["approved"] * 32
    assert sorted(a["regular_after"] for a in answers) == list(range(46_800, 50_000, 100))
    assert ledger.account(pupil.account_id).regular == 50_000 - 32 * 100
    assert sorted(a.status_code for a in same) == [200] + [401] * 15
