"""A rule given another saved card: its next run charges that card at the acquirer."""

from domain.autopay import MONTHLY, autopay_payment_id
from domain.standing import StandingOrders
from tests.builders import new_school
from tests.workers.harness import Stack, wait_for


def test_the_run_after_a_card_change_charges_the_new_card(stack: Stack) -> None:
    pupil = new_school(stack.ledger).pupil(deposit=10_000)
    old = stack.saved_card(pupil.account_id, "tok-old-card")
    new = stack.saved_card(pupil.account_id, "tok-new-card")
    orders = StandingOrders(stack.ledger)
    rule, _ = orders.set_up(pupil.account_id, MONTHLY, 30_000, 0, 1, old)
    stack.start("worker")

    def charged(period: str) -> list[tuple[str, int]]:
        """The cards (tokens) and amounts the acquirer was asked to charge for `period`."""
        payment_id = autopay_payment_id(rule.id, period)
        return [(r.body["card_token"], r.body["amount"]) for r in stack.acquiring.requests
                if r.status == 201 and r.body.get("payment_id") == payment_id]  # fmt: skip

    stack.actors.run_autopayment.send(str(rule.id), "2031-01")
    assert wait_for(lambda: charged("2031-01"), 60, "the run") == [("tok-old-card", 30_000)]

    orders.change_card(pupil.account_id, MONTHLY, new, [old, new])
    stack.actors.run_autopayment.send(str(rule.id), "2031-02")
    assert wait_for(lambda: charged("2031-02"), 60, "the next run") == [("tok-new-card", 30_000)]
    assert charged("2031-01") == [("tok-old-card", 30_000)]  # the past run is not asked again
