"""A school's cancellation interrupted after it was recorded (the API process died before the
refunds): the workers make the refunds, once."""

from datetime import datetime, timedelta

from domain.preorder import cancel
from domain.preorder_book import PreOrderBook, book_id
from domain.preorder_events import BY_SCHOOL, preorders_of
from domain.preorders import PreOrders
from tests.builders import new_school
from tests.clock import SWEEP_ZONE
from tests.workers.harness import Stack, wait_for


def test_the_workers_refund_what_an_interrupted_cancellation_left(
    travelled: datetime, stack: Stack
) -> None:
    ledger = stack.ledger
    world = new_school(ledger)
    day = travelled.astimezone(SWEEP_ZONE).date() + timedelta(days=2)
    ledger.publish_menu(world.school_id, day, [{"code": "LUNCH", "name": "Обед", "price": 9000}])
    pupils = [world.pupil(deposit=20_000) for _ in range(3)]
    for pupil in pupils:
        PreOrders(ledger).place(pupil.account_id, day, [{"code": "LUNCH"}])
    refunded_already = pupils[0]
    book = ledger._find(book_id(world.school_id, day), PreOrderBook)
    assert book is not None
    book.cancel([], "отключили воду")
    ledger.save(book)  # recorded; the process died after refunding the first pre-order only:
    first = ledger.account(refunded_already.account_id)
    (preorder_id,) = preorders_of(first)
    assert cancel(first, preorder_id, ["LUNCH"], BY_SCHOOL, "отключили воду") == 9000
    ledger.save(first)
    assert [ledger.account(p.account_id).regular for p in pupils] == [20_000, 11_000, 11_000]

    for part in ("feed", "worker"):
        stack.start(part)
    wait_for(stack.fed_up_to_now, 60, "the feed to reach the cancellation")
    wait_for(
        lambda: all(ledger.account(p.account_id).regular == 20_000 for p in pupils),
        60,
        "every pre-order refunded",
    )
    # the book lists the first pre-order first: had it been refunded again, it would show
    assert ledger.account(refunded_already.account_id).regular == 20_000
