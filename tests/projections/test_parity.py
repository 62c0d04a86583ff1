"""After random work, every read-model row equals a full replay of the events, however the
work was cut into batches and whenever the projections caught up in between."""

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.ledger import Ledger
from domain.tap import TapRequest
from tests.builders import Pupil, SchoolWorld, new_school, new_uid
from tests.clock import now
from tests.projections.helpers import catch_up
from tests.projections.replay import assert_parity, replay

item = st.fixed_dictionaries(
    {
        "code": st.sampled_from(["LUNCH", "BUN", "TEA"]),
        "name": st.sampled_from(["Обед", "Булочка", "Чай"]),
        "price": st.integers(100, 12_000),
        "quantity": st.integers(1, 2),
        "meal": st.booleans(),
    }
)
pupil = st.integers(0, 3)
command = st.one_of(
    st.tuples(st.just("top_up"), pupil, st.integers(1, 30_000),
              st.sampled_from(["bank_card", "sbp", "autopay"])),
    st.tuples(st.just("buy"), pupil, st.sampled_from(["canteen_pos", "vending", "locker"]),
              st.lists(item, min_size=1, max_size=3), st.integers(0, 60), st.booleans()),
    st.tuples(st.just("pass"), pupil, st.sampled_from(["in", "out"]), st.integers(0, 60)),
    st.tuples(st.just("block"), pupil),
    st.tuples(st.just("unblock"), pupil),
    st.tuples(st.just("duplicate"), pupil),
    st.tuples(st.just("tariff"), pupil, st.sampled_from(["zero", "mobile", "sms_plus"])),
    st.tuples(st.just("limit"), pupil, st.integers(0, 50_000)),
    st.tuples(st.just("subsidy"), pupil, st.integers(1, 20_000)),
    st.tuples(st.just("menu"), st.integers(0, 2), st.lists(item, min_size=1, max_size=3)),
)  # fmt: skip


def build(ledger: Ledger) -> tuple[list[SchoolWorld], list[Pupil]]:
    worlds = [new_school(ledger), new_school(ledger, "Asia/Irkutsk", 0)]
    pupils = [worlds[0].pupil(), worlds[0].pupil(), worlds[1].pupil(), worlds[1].pupil(20_000)]
    return worlds, pupils


def run(ledger: Ledger, worlds: list[SchoolWorld], pupils: list[Pupil], cmd: Any) -> None:
    op, who = cmd[0], pupils[cmd[1]] if cmd[0] != "menu" else None
    world = worlds[0] if cmd[1] < 2 else worlds[1]
    at = now()
    if who is None:
        menu = [
            {**i, "code": f"{i['code']}{n}", "allergens": ["молоко"]} for n, i in enumerate(cmd[2])
        ]
        school_today = at.astimezone(ledger.school(world.school_id).zone).date()
        ledger.publish_menu(world.school_id, school_today + timedelta(cmd[1]), menu)
    elif op == "top_up":
        ledger.top_up(who.account_id, cmd[2], cmd[3], f"pay-{new_uid()}")
    elif op == "buy":  # hours ago if uploaded offline; an online tap is minutes old at most
        ago = timedelta(hours=cmd[4]) if cmd[5] else timedelta(minutes=cmd[4] % 15)
        request = TapRequest.parse(
            world.terminals[cmd[2]], f"t-{new_uid()}", who.uid, at - ago,
            items=cmd[3], offline=cmd[5],
        )  # fmt: skip
        ledger.handle_tap(request)
    elif op == "pass":  # a pass from hours ago is an offline upload
        world.tap("turnstile", who.uid, direction=cmd[2], at=at - timedelta(hours=cmd[3]),
                  offline=cmd[3] > 0)  # fmt: skip
    elif op == "block":
        ledger.block_card(who.account_id, who.uid, "потеряна")
    elif op == "unblock":
        ledger.unblock_card(who.account_id, who.uid, "нашлась")
    elif op == "duplicate":
        new = new_uid()
        ledger.order_duplicate(who.account_id, who.uid, new)
        who.uid = new
    elif op == "tariff":
        ledger.change_tariff(who.account_id, cmd[2])
    elif op == "limit":
        ledger.change_daily_limit(who.account_id, cmd[2])
    elif op == "subsidy":
        if ledger.account(who.account_id).subsidy is None:
            ledger.grant_subsidy(who.account_id, "многодетная семья", 15_000)
        ledger.credit_subsidy(who.account_id, cmd[2], at.strftime("%Y-%m"))


worlds_of: dict[int, tuple[list[SchoolWorld], list[Pupil]]] = {}


@pytest.fixture(autouse=True)
def forget_worlds() -> Iterator[None]:
    """The worlds hold their ledger: let it go with the test, not at interpreter exit."""
    yield
    worlds_of.clear()


@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    commands=st.lists(command, min_size=3, max_size=25),
    batch_size=st.integers(1, 40),
    pauses=st.sets(st.integers(0, 24), max_size=3),
)
def test_every_read_model_row_equals_a_full_replay_after_random_work(
    travelled: datetime,
    ledger: Ledger,
    database_url: str,
    commands: list[Any],
    batch_size: int,
    pauses: set[int],
) -> None:
    if id(ledger) not in worlds_of:  # one school pair per test, reused by every example
        worlds_of.clear()
        worlds_of[id(ledger)] = build(ledger)
    worlds, pupils = worlds_of[id(ledger)]
    for n, cmd in enumerate(commands):
        if n in pauses:
            catch_up(ledger, database_url, batch_size)
        with contextlib.suppress(DomainError):  # a refused command records nothing
            run(ledger, worlds, pupils, cmd)
    catch_up(ledger, database_url, batch_size)
    with psycopg.connect(database_url) as conn:
        assert_parity(conn, replay(ledger))
