"""An event a projection cannot apply (accepted once, so the log keeps it for ever) stops that
projection only, just before that event, and loudly: `projections status` names the event
and exits 1, the metrics say so, `projections event` shows it; every other projection goes
on, in the runner and in a rebuild of all of them in one pass."""

from collections.abc import Iterator
from datetime import date

import psycopg
import pytest

from domain.ledger import Ledger
from projections import all_projections, metrics, positions
from projections.menus import get_menu
from projections.runner import EventFailedError, RebuildFailedError, Source, rebuild
from tests.builders import SchoolWorld
from tests.projections.helpers import (
    BROKEN_MENU,
    catch_up,
    cli,
    forge_menu,
    own_database,
    running,
    wait_for_error,
)

KASHA = [{"code": "KASHA", "name": "Каша", "price": 3_500}]


@pytest.fixture
def database_url() -> Iterator[str]:
    with own_database() as url:
        yield url


def history_with_a_bad_event(ledger: Ledger, world: SchoolWorld) -> tuple[int, int]:
    """A good menu, one no projection can store (NUL in a name), more good events after it.
    Returns (the bad event's position, the head)."""
    ledger.publish_menu(world.school_id, date(2026, 12, 1), KASHA)
    bad = forge_menu(ledger, world.school_id, date(2026, 12, 2), BROKEN_MENU)
    ledger.publish_menu(world.school_id, date(2026, 12, 3), KASHA)
    world.pupil(deposit=30_000)
    return bad, ledger.recorder.max_notification_id() or 0


def test_a_projection_stops_just_before_the_event_it_cannot_apply_and_says_so(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    bad, head = history_with_a_bad_event(ledger, world)
    others = [p.name for p in all_projections() if p.name != "menus"]
    with running(ledger, database_url):  # one batch window holds every event
        for name in others:
            positions.wait_for(database_url, name, head, timeout=30)
        menus = wait_for_error(database_url, ledger, "menus")
        assert menus["position"] == bad - 1  # everything before the bad event is applied
        assert menus["failed_position"] == bad
        assert "MenuPublished" in menus["last_error"]
        assert "\\u0000" in menus["last_error"]
        with psycopg.connect(database_url, autocommit=True) as conn:
            assert get_menu(conn, world.school_id, date(2026, 12, 1))[0]["name"] == "Каша"
            assert get_menu(conn, world.school_id, date(2026, 12, 3)) == []  # after: held

        status = cli(database_url, "projections", "status")
        assert status.returncode == 1, status.stdout + status.stderr
        assert f"failed on event {bad}: event {bad} (infoshkola.menu.MenuPublished)" in (
            status.stdout
        )
        problems = [line for line in status.stdout.splitlines() if line.startswith("PROBLEM")]
        assert len(problems) == 1  # the others are fine
        assert problems[0].startswith(f"PROBLEM: menus fails on event {bad} (stuck at {bad - 1})")

        with psycopg.connect(database_url, autocommit=True) as conn:
            text = metrics.render(conn, Source(ledger).events_table).decode()
        assert 'infoshkola_projection_error{projection="menus"} 1.0' in text
        assert f'infoshkola_projection_failed_event{{projection="menus"}} {float(bad)}' in text
        lag = float(head - bad + 1)
        assert f'infoshkola_projection_lag_events{{projection="menus"}} {lag}' in text
        for name in others:
            assert f'infoshkola_projection_error{{projection="{name}"}} 0.0' in text
            assert f'infoshkola_projection_lag_events{{projection="{name}"}} 0.0' in text
        assert f"infoshkola_ledger_head {float(head)}" in text

    shown = cli(database_url, "projections", "event", str(bad))
    assert shown.returncode == 0, shown.stderr
    assert '"topic": "infoshkola.menu.MenuPublished"' in shown.stdout
    assert "Ка\\u0000ша" in shown.stdout
    scraped = cli(database_url, "projections", "metrics")
    assert 'infoshkola_projection_error{projection="menus"} 1.0' in scraped.stdout


def test_status_exits_non_zero_when_a_projection_lags_more_than_the_threshold(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    world.pupil()
    catch_up(ledger, database_url)
    assert cli(database_url, "projections", "status", "--max-lag", "0").returncode == 0
    before = ledger.recorder.max_notification_id() or 0
    world.pupil()  # recorded, not yet projected
    lag = (ledger.recorder.max_notification_id() or 0) - before
    assert cli(database_url, "projections", "status", "--max-lag", str(lag)).returncode == 0
    behind = cli(database_url, "projections", "status", "--max-lag", str(lag - 1))
    assert behind.returncode == 1
    assert f"PROBLEM: balances lags {lag} events behind the head" in behind.stdout


def test_a_rebuild_of_all_in_one_pass_swaps_in_every_projection_but_the_one_that_fails(
    ledger: Ledger, world: SchoolWorld, database_url: str
) -> None:
    bad, head = history_with_a_bad_event(ledger, world)
    with pytest.raises(RebuildFailedError) as failed:
        rebuild(database_url, Source(ledger), all_projections(), batch_size=3)
    assert list(failed.value.failures) == ["menus"]
    failure = failed.value.failures["menus"]
    assert isinstance(failure, EventFailedError)
    assert failure.position == bad
    with psycopg.connect(database_url, autocommit=True) as conn:
        stored = positions.positions(conn)
        assert stored.pop("menus") == 0  # not swapped: its live tables are as they were
        assert stored == {p.name: head for p in all_projections() if p.name != "menus"}
        leftovers = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE '%%\\_next'"
        ).fetchall()
        assert leftovers == []

    again = cli(database_url, "projections", "rebuild")
    assert again.returncode == 1
    assert f"NOT REBUILT: menus: event {bad} (infoshkola.menu.MenuPublished)" in again.stdout
