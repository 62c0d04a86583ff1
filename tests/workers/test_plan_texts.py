"""Parents hear of a school's cancellation of a pre-ordered meal, and of money from a sibling."""

from datetime import datetime, timedelta

from domain.ledger import Ledger
from domain.notifications import SERVICE
from domain.preferences import KIND_OF_MESSAGE
from domain.preorders import PreOrders
from domain.transfer import transfer
from tests.builders import SchoolWorld
from tests.clock import SWEEP_ZONE
from workers.messages import text_for


def test_a_cancelled_preorder_and_a_transfer_are_told(
    travelled: datetime, ledger: Ledger, world: SchoolWorld
) -> None:
    day = travelled.astimezone(SWEEP_ZONE).date() + timedelta(days=2)
    ledger.publish_menu(world.school_id, day, [{"code": "LUNCH", "name": "Обед", "price": 9000}])
    elder, younger = world.pupil(deposit=50_000), world.pupil(deposit=10_000)
    PreOrders(ledger).place(elder.account_id, day, [{"code": "LUNCH"}])
    PreOrders(ledger).cancel_service(world.school_id, day, [], "авария водопровода")
    transfer(ledger, elder.account_id, younger.account_id, 15_000)

    account = ledger.account(elder.account_id)
    cancelled = list(ledger.events.get(elder.account_id))[-2]
    text = text_for(cancelled, account, SWEEP_ZONE)
    assert text is not None
    assert (text.kind, text.importance) == ("preorder_cancelled", SERVICE)
    assert "авария водопровода" in text.body
    assert "90,00 ₽ вернулись" in text.body
    sibling = ledger.account(younger.account_id)
    received = list(ledger.events.get(younger.account_id))[-1]
    told = text_for(received, sibling, SWEEP_ZONE)
    assert told is not None
    assert f"150,00 ₽ со счёта {elder.contract_number}" in told.body
    assert {text.kind, told.kind} <= KIND_OF_MESSAGE.keys()
