"""Commands return a position; readers wait (bounded) until a projection has reached it.
The runner holds one lock per projection and writes each batch exactly once."""

import threading
from collections.abc import Iterator
from datetime import date

import psycopg
import pytest

from domain.ledger import Ledger
from projections import all_projections
from projections.balances import Balances, get_balance
from projections.directory import Directory
from projections.menus import get_menu
from projections.positions import positions, wait_for
from projections.runner import PositionMovedError, Source, apply_tracked, run_all, try_lock
from tests.builders import SchoolWorld
from tests.projections.helpers import catch_up


@pytest.fixture
def running(ledger: Ledger, database_url: str) -> Iterator[None]:
    stop = threading.Event()
    thread = threading.Thread(
        target=run_all,
        args=(database_url, Source(ledger), all_projections(), stop),
        kwargs={"report_every": 3600},
    )
    thread.start()
    yield
    stop.set()
    thread.join(timeout=30)
    assert not thread.is_alive()


def test_a_reader_that_waits_for_the_commands_position_sees_its_write(
    ledger: Ledger, database_url: str, world: SchoolWorld, running: None
) -> None:
    pupil = world.pupil(deposit=50_000)
    top_up = ledger.top_up(pupil.account_id, 12_345, "sbp", f"sbp-{pupil.contract_number}")
    wait_for(database_url, "balances", top_up.position, timeout=10)
    with psycopg.connect(database_url) as conn:
        balance = get_balance(conn, pupil.account_id, ledger.clock())
    assert balance is not None
    assert balance["regular"] == 62_345


def test_waiting_on_an_event_a_projection_ignores_does_not_hang(
    ledger: Ledger, database_url: str, world: SchoolWorld, running: None
) -> None:
    items = [{"code": "SOUP", "name": "Борщ", "price": 6_000, "allergens": ["сельдерей"]}]
    position = ledger.publish_menu(world.school_id, date(2026, 12, 1), items)
    wait_for(database_url, "attendance", position, timeout=10)  # attendance ignores menus
    wait_for(database_url, "menus", position, timeout=10)
    with psycopg.connect(database_url) as conn:
        menu = get_menu(conn, world.school_id, date(2026, 12, 1))
    assert [(i["name"], i["price"], i["allergens"]) for i in menu] == [
        ("Борщ", 6_000, ["сельдерей"])
    ]


def test_a_wait_for_a_position_not_reached_times_out(
    ledger: Ledger, database_url: str, running: None
) -> None:
    beyond = (ledger.recorder.max_notification_id() or 0) + 1_000
    with pytest.raises(TimeoutError):
        wait_for(database_url, "balances", beyond, timeout=0.3)


def test_only_one_runner_holds_a_projection(
    ledger: Ledger, database_url: str, world: SchoolWorld, running: None
) -> None:
    pupil = world.pupil()
    position = ledger.block_card(pupil.account_id, pupil.uid, "потеряна")
    wait_for(database_url, "cards", position, timeout=10)  # the runner has it, so holds it
    with psycopg.connect(database_url, autocommit=True) as conn:
        assert not try_lock(conn, "infoshkola.projection.cards")


def test_a_batch_read_from_an_old_position_is_not_applied_again(
    ledger: Ledger, database_url: str, world: SchoolWorld
) -> None:
    catch_up(ledger, database_url)
    pupil = world.pupil(deposit=20_000)
    source, balances = Source(ledger), Balances()
    with psycopg.connect(database_url, autocommit=True) as conn:
        before = positions(conn)["balances"]
        head = source.max_id(conn)
        batch, covered = source.read(conn, before, head, 1000, source.topics(balances))
        apply_tracked(conn, balances, Directory(), batch, before, covered)
        with pytest.raises(PositionMovedError):
            apply_tracked(conn, balances, Directory(), batch, before, covered)
        balance = get_balance(conn, pupil.account_id, ledger.clock())
        assert positions(conn)["balances"] == covered == head
    assert balance is not None
    assert balance["regular"] == 20_000


def test_a_failing_projection_is_retried_while_the_others_go_on(
    ledger: Ledger, database_url: str, world: SchoolWorld, running: None
) -> None:
    items = [{"code": "KASHA", "name": "Каша", "price": 3_500}]
    wait_for(database_url, "menus", ledger.publish_menu(world.school_id, date(2026, 12, 2), items))
    with psycopg.connect(database_url, autocommit=True) as admin:
        admin.execute("ALTER TABLE menus RENAME TO menus_away")  # its writes now fail
        position = ledger.publish_menu(world.school_id, date(2026, 12, 3), items)
        wait_for(database_url, "cards", position, timeout=10)  # cards' turn comes after menus'
        row = admin.execute(
            "SELECT position, last_error FROM projection_positions WHERE name = 'menus'"
        ).fetchone()
        assert row is not None
        assert row[0] < position
        assert "menus" in row[1]
        admin.execute("ALTER TABLE menus_away RENAME TO menus")
        wait_for(database_url, "menus", position, timeout=15)  # retried after its backoff
        assert get_menu(admin, world.school_id, date(2026, 12, 3))[0]["name"] == "Каша"
