"""`audit verify` fails, and says why, while a read model lags behind the head or its
projection has an error: a model stuck on an event is not verified by a replay up to where
it stands."""

from collections.abc import Iterator
from datetime import date

import pytest

from audit.replay import verify_read_models
from domain.ledger import Ledger
from projections import all_projections, positions
from tests.builders import SchoolWorld, meal
from tests.projections import helpers


@pytest.fixture
def database_url() -> Iterator[str]:
    with helpers.own_database() as url:
        yield url


def test_verify_fails_naming_the_event_while_a_projection_is_stuck_on_it(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    pupil = world.pupil()
    bad = helpers.forge_menu(ledger, world.school_id, date(2026, 12, 2), helpers.BROKEN_MENU)
    world.tap("canteen_pos", pupil.uid, items=[meal()])
    head = ledger.recorder.max_notification_id() or 0
    with helpers.running(ledger, database_url):
        for p in all_projections():
            if p.name != "menus":
                positions.wait_for(database_url, p.name, head, timeout=30)
        helpers.wait_for_error(database_url, ledger, "menus")

    found = helpers.cli(database_url, "audit", "verify", "--wait", "0")
    assert found.returncode == 1, found.stdout + found.stderr
    assert "differences: 0" not in found.stdout
    assert f"NOT VERIFIED: menus fails on event {bad}: event {bad}" in found.stdout
    assert f"NOT VERIFIED: menus is {head - bad + 1} events behind the head {head}" in (
        found.stdout
    )
    assert found.stdout.count("NOT VERIFIED") == 2  # the other read models are fine


def test_verify_fails_while_a_projection_lags_and_passes_once_the_runner_caught_up(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    pupil = world.pupil()
    helpers.catch_up(ledger, database_url)
    assert all(r.differences == 0 for r in verify_read_models(ledger, database_url))
    world.tap("canteen_pos", pupil.uid, items=[meal()])  # not yet projected
    head = ledger.recorder.max_notification_id() or 0

    behind = {r.name: r for r in verify_read_models(ledger, database_url, wait=0)}
    assert behind["balances"].lag > 0
    assert behind["balances"].differences == 1  # its rows match a replay up to its position
    assert behind["balances"].reasons == [
        f"balances is {behind['balances'].lag} events behind the head {head}"
    ]
    lagging = helpers.cli(database_url, "audit", "verify", "--wait", "0")
    assert lagging.returncode == 1
    assert "NOT VERIFIED: statement is" in lagging.stdout

    with helpers.running(ledger, database_url):  # verify waits (bounded) for a live runner
        reports = verify_read_models(ledger, database_url, wait=30)
    assert [(r.name, r.lag, r.differences) for r in reports] == [
        (p.name, 0, 0) for p in all_projections()
    ]
