"""The command line as an operator meets it: tables by default and JSON on request, one line
and a non-zero exit for every user error, a status that fails on lag, a tour that runs twice,
and a GraphQL helper that prints Russian readably."""

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
import uvicorn

from api.app import close_app, create_app
from app.composition import Container
from app.settings import Settings
from domain.ledger import Ledger
from tests.projections.helpers import catch_up
from tests.terminals.test_server import free_port
from tests.workers.harness import wait_for

ROOT = Path(__file__).resolve().parents[2]


def run(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args],
        env={**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url,
             "COLUMNS": "80", **env},
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def one_line_error(done: subprocess.CompletedProcess[str], code: int) -> str:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    (line,) = done.stderr.strip().splitlines()
    return line


@pytest.fixture(scope="module")
def tour(database_url: str) -> dict[str, str]:
    """A fresh pupil of the demo school, as the README's tour opens it."""
    opened = run(database_url, "demo", "--new-pupil")
    assert opened.returncode == 0, opened.stderr
    return dict(part.split("=") for part in opened.stdout.split())


def test_the_tour_opens_a_fresh_pupil_each_time(database_url: str, tour: dict[str, str]) -> None:
    again = run(database_url, "demo", "--new-pupil")
    other = dict(part.split("=") for part in again.stdout.split())
    assert set(tour) == {"CONTRACT", "CARD"}
    assert other["CONTRACT"] != tour["CONTRACT"]
    assert other["CARD"] != tour["CARD"]


def test_data_commands_print_tables_and_json_on_request(
    database_url: str, tour: dict[str, str]
) -> None:
    card, contract = tour["CARD"], tour["CONTRACT"]
    meal = ["--terminal", "canteen_pos", "--card", card, "--item", "LUNCH:Обед:9000:1:meal"]
    human = run(database_url, "tap", *meal)
    assert human.returncode == 0, human.stderr
    assert human.stdout.splitlines()[0].split() == ["outcome", "approved"]
    assert "410,00 ₽" in human.stdout
    as_json = orjson.loads(run(database_url, "tap", *meal, "--json").stdout)
    assert as_json["outcome"] == "approved"
    assert as_json["regular_after"] == 32_000
    shown = orjson.loads(
        run(database_url, "account", "show", "--contract", contract, "--json").stdout
    )
    assert shown["regular"] == 32_000
    history = run(database_url, "audit", "history", contract)
    assert history.returncode == 0, history.stderr
    assert "CardActivated" in history.stdout
    assert max(len(line) for line in history.stdout.splitlines()) <= 80


def test_user_errors_are_one_line_and_a_non_zero_exit(
    database_url: str, tour: dict[str, str]
) -> None:
    bad_time = run(database_url, "audit", "balance-at", tour["CONTRACT"], "yesterday")
    assert bad_time.returncode == 2
    assert "Traceback" not in bad_time.stderr
    assert "'yesterday' is not an ISO-8601 instant" in bad_time.stderr
    unknown = run(database_url, "account", "show", "--contract", "NO-SUCH-1")
    assert one_line_error(unknown, 2).startswith("infoshkola: error [unknown_contract]")
    down = run("postgresql://postgres@127.0.0.1:1/x", "account", "show", "--contract", "X")
    assert one_line_error(down, 3).startswith("infoshkola: the database is unreachable")
    bad_value = run(database_url, "tap", "--terminal", "canteen_pos", "--card", "zz")
    assert one_line_error(bad_value, 2).startswith("infoshkola: error [malformed_uid]")


def test_projections_status_fails_on_lag_and_says_why(
    database_url: str, tour: dict[str, str]
) -> None:
    lagging = run(database_url, "projections", "status", "--max-lag", "0", "--json")
    assert lagging.returncode == 1
    report = orjson.loads(lagging.stdout)
    assert report["problems"]
    assert report["head"] > 0
    assert run(database_url, "projections", "status", "--max-lag", "1000000").returncode == 0
    env_lag = run(database_url, "projections", "status", PROJECTIONS_MAX_LAG="0")
    assert env_lag.returncode == 1


def test_version_and_completion(database_url: str) -> None:
    version = run(database_url, "--version")
    assert version.stdout.startswith("infoshkola ")
    shell = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}  # no shell to detect here
    completion = run(database_url, "--show-completion", "bash", **shell)
    assert "complete" in completion.stdout


@pytest.fixture
def api_url(database_url: str, ledger: Ledger) -> Iterator[str]:
    app = create_app(Container(Settings(database_url=database_url), database_url, ledger))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for(lambda: server.started, 10, "uvicorn to start")
    try:
        yield f"http://127.0.0.1:{port}/graphql"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        close_app(app)


def test_the_graphql_helper_logs_in_and_prints_readable_json(
    database_url: str, api_url: str, tour: dict[str, str], ledger: Ledger
) -> None:
    staff = ["users", "create-staff", "--username", "tour-auditor", "--role", "auditor",
             "--all-schools", "--exist-ok"]  # fmt: skip
    password = {"INFOSHKOLA_STAFF_PASSWORD": "tour-auditor-2025"}
    assert run(database_url, *staff, **password).returncode == 0
    again = run(database_url, *staff, **password)
    assert again.returncode == 0
    assert "exists" in again.stdout
    catch_up(ledger, database_url)
    query = """query($c: String!) { statement(contractNumber: $c, first: 5) {
  edges { node { reason } } } }"""
    answer = run(
        database_url, "graphql", "--url", api_url, "--username", "tour-auditor",
        "--variables", orjson.dumps({"c": tour["CONTRACT"]}).decode(), query,
        INFOSHKOLA_PASSWORD="tour-auditor-2025",
    )  # fmt: skip
    assert answer.returncode == 0, answer.stderr
    edges = orjson.loads(answer.stdout)["data"]["statement"]["edges"]
    reasons = [edge["node"]["reason"] for edge in edges]
    assert reasons
    assert reasons[0] in answer.stdout  # Russian as it is, no \u escapes
    assert "\\u04" not in answer.stdout
    refused = run(database_url, "graphql", "--url", api_url, "--username", "tour-auditor",
                  query, INFOSHKOLA_PASSWORD="wrong-password-1")  # fmt: skip
    assert one_line_error(refused, 2).startswith("infoshkola: login as tour-auditor refused")
    down = run(database_url, "graphql", "--url", "http://127.0.0.1:1/graphql", query)
    assert one_line_error(down, 3).startswith("infoshkola: the API at")
