"""Pre-orders on the ledger: paid at order, served at the till without a second charge,
refunded once when the school cancels, closed at the school's cut-off."""

from datetime import date, datetime, time, timedelta

import pytest
import time_machine

from domain import school_settings
from domain.errors import DomainError
from domain.ledger import Ledger
from domain.preorder_events import preorders_of
from domain.preorders import PreOrders
from tests.builders import SchoolWorld, meal, snack
from tests.clock import SWEEP_ZONE

LUNCH = {"code": "LUNCH", "name": "Комплексный обед", "price": 9000}
SOUP = {"code": "SOUP", "name": "Суп дня", "price": 4000}


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SWEEP_ZONE)


def code_of(call: object, *args: object) -> str:
    with pytest.raises(DomainError) as raised:
        call(*args)  # type: ignore[operator]
    return raised.value.code


@pytest.fixture
def meal_day(travelled: datetime, ledger: Ledger, world: SchoolWorld) -> date:
    """A menu published for the school's meal_day; the clock before its cut-off."""
    day = travelled.astimezone(SWEEP_ZONE).date() + timedelta(days=2)
    ledger.publish_menu(world.school_id, day, [LUNCH, SOUP])
    return day


def test_a_preorder_is_paid_at_order_and_served_at_the_till_without_a_second_charge(
    ledger: Ledger, world: SchoolWorld, meal_day: date
) -> None:
    pupil = world.pupil(deposit=50_000)
    placed = PreOrders(ledger).place(
        pupil.account_id, meal_day, [{"code": "LUNCH"}, {"code": "SOUP", "quantity": 1}]
    )
    assert placed.amount == 13_000
    assert placed.cutoff_at == local(meal_day - timedelta(days=1), 16)  # the default cut-off
    assert ledger.account(pupil.account_id).regular == 37_000
    # one pre-order per child and day
    again = PreOrders(ledger).place
    assert code_of(again, pupil.account_id, meal_day, [{"code": "LUNCH"}]) == "preorder_exists"

    with time_machine.travel(local(meal_day, 12)):
        served = world.tap("canteen_pos", pupil.uid, items=[meal(9000), meal(4000, "SOUP")])
        assert served.decision.approved
        assert (served.decision.amount, served.decision.preorder_id) == (0, placed.preorder_id)
        assert ledger.account(pupil.account_id).regular == 37_000
        # served once: the next lunch is a purchase
        second = world.tap("canteen_pos", pupil.uid, items=[meal(9000)])
        assert (second.decision.amount, second.decision.preorder_id) == (9000, None)
    order = preorders_of(ledger.account(pupil.account_id))[placed.preorder_id]
    assert (order["status"], order["lines"]) == ("served", {})


def test_the_rest_of_the_tray_is_charged_and_a_declined_rest_serves_nothing(
    ledger: Ledger, world: SchoolWorld, meal_day: date
) -> None:
    pupil = world.pupil(deposit=10_000)
    placed = PreOrders(ledger).place(pupil.account_id, meal_day, [{"code": "LUNCH"}])
    with time_machine.travel(local(meal_day, 12)):
        refused = world.tap("canteen_pos", pupil.uid, items=[meal(9000), snack(4500)])
        assert (refused.decision.outcome, refused.decision.reason) == (
            "declined", "insufficient_funds"
        )  # fmt: skip
        assert refused.decision.preorder_id is None
        served = world.tap("canteen_pos", pupil.uid, items=[meal(9000), snack(500)])
        assert (served.decision.amount, served.decision.preorder_id) == (500, placed.preorder_id)
    assert ledger.account(pupil.account_id).regular == 10_000 - 9000 - 500


def test_a_parent_cancels_before_the_cut_off_and_is_refused_after_it(
    ledger: Ledger, world: SchoolWorld, meal_day: date
) -> None:
    pupil = world.pupil(deposit=50_000)
    preorders = PreOrders(ledger)
    first = preorders.place(pupil.account_id, meal_day, [{"code": "LUNCH", "quantity": 2}])
    preorders.cancel(pupil.account_id, first.preorder_id)
    assert ledger.account(pupil.account_id).regular == 50_000
    assert code_of(preorders.cancel, pupil.account_id, first.preorder_id) == "preorder_state"
    second = preorders.place(pupil.account_id, meal_day, [{"code": "SOUP"}])
    with time_machine.travel(local(meal_day - timedelta(days=1), 16, 1)):
        late = code_of(preorders.cancel, pupil.account_id, second.preorder_id)
        assert late == "preorder_cutoff_passed"
        other = world.pupil(deposit=50_000)
        too_late = code_of(preorders.place, other.account_id, meal_day, [{"code": "SOUP"}])
        assert too_late == "preorder_cutoff_passed"
    assert ledger.account(pupil.account_id).regular == 46_000


def test_the_school_sets_its_cut_off_and_bad_orders_are_refused(
    ledger: Ledger, world: SchoolWorld, meal_day: date
) -> None:
    pupil = world.pupil(deposit=10_000)
    preorders = PreOrders(ledger)
    setting = school_settings.PREORDER_CUTOFF
    with pytest.raises(DomainError):
        school_settings.schedule_setting(ledger, world.school_id, setting, "25:00", None)
    school_settings.schedule_setting(ledger, world.school_id, setting, "10:30", None)
    place = preorders.place
    assert code_of(place, pupil.account_id, meal_day, [{"code": "CAKE"}]) == "invalid_command"
    two = [{"code": "LUNCH", "quantity": 2}]
    assert code_of(place, pupil.account_id, meal_day, two) == "insufficient_funds"
    nothing = meal_day + timedelta(days=2)
    assert code_of(place, pupil.account_id, nothing, [{"code": "LUNCH"}]) == "no_menu"
    placed = place(pupil.account_id, meal_day, [{"code": "SOUP"}])
    assert placed.cutoff_at == local(meal_day - timedelta(days=1), 10, 30)


def test_the_school_cancels_a_dish_and_every_preorder_of_it_is_refunded_once(
    ledger: Ledger, world: SchoolWorld, meal_day: date
) -> None:
    preorders = PreOrders(ledger)
    both, soup_only, cancelled = (world.pupil(deposit=50_000) for _ in range(3))
    preorders.place(both.account_id, meal_day, [{"code": "LUNCH"}, {"code": "SOUP"}])
    preorders.place(soup_only.account_id, meal_day, [{"code": "SOUP", "quantity": 2}])
    gone = preorders.place(cancelled.account_id, meal_day, [{"code": "SOUP"}])
    preorders.cancel(cancelled.account_id, gone.preorder_id)  # refunded by the parent already

    done = preorders.cancel_service(world.school_id, meal_day, ["SOUP"], "нет поставки овощей")
    assert (done.preorders, done.amount) == (2, 12_000)
    assert ledger.account(both.account_id).regular == 50_000 - 9000
    assert ledger.account(soup_only.account_id).regular == 50_000
    assert ledger.account(cancelled.account_id).regular == 50_000
    again = preorders.cancel_service(world.school_id, meal_day, ["SOUP"], "повтор")
    assert (again.preorders, again.amount) == (0, 0)
    late = world.pupil(deposit=50_000)
    refused = code_of(preorders.place, late.account_id, meal_day, [{"code": "SOUP"}])
    assert refused == "meal_cancelled"
    preorders.place(late.account_id, meal_day, [{"code": "LUNCH"}])

    day = preorders.cancel_service(world.school_id, meal_day, [], "карантин")
    assert (day.preorders, day.amount) == (2, 18_000)
    for pupil in (both, soup_only, cancelled, late):
        assert ledger.account(pupil.account_id).regular == 50_000
    with time_machine.travel(local(meal_day, 12)):
        lunch = world.tap("canteen_pos", both.uid, items=[meal(9000)])
        assert (lunch.decision.amount, lunch.decision.preorder_id) == (9000, None)
