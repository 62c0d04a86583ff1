"""Per tariff, the right channels receive the right messages, in Russian, in school time."""

from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.fees import period_of
from domain.kinds import Channel
from tests.builders import SchoolWorld, meal, new_school, snack
from tests.clock import now
from tests.workers.harness import Stack, wait_for

NSK = ZoneInfo("Asia/Novosibirsk")


def family(stack: Stack, world: SchoolWorld, name: str, tariff: str) -> UUID:
    pupil = world.pupil(deposit=50_000)
    parent_ref = stack.ledger.account(pupil.account_id).parent_ref
    stack.people.put(parent_ref, email=f"{name}@parents.test", phone=f"+7-{name}",
                     push_token=f"push-{name}")  # fmt: skip
    stack.ledger.change_tariff(pupil.account_id, tariff)
    return pupil.account_id


def test_each_tariff_hears_on_its_own_channels_and_quiet_parents_only_hear_service(
    travelled: datetime, stack: Stack
) -> None:
    world = new_school(stack.ledger)
    accounts = {
        "zero": family(stack, world, "zero", "zero"),
        "mobile": family(stack, world, "mobile", "mobile"),
        "smsplus": family(stack, world, "smsplus", "sms_plus"),
        "quiet": family(stack, world, "quiet", "mobile"),
    }
    stack.billing.change_notification_preferences(accounts["quiet"], service_only=True)
    for name in ("zero", "smsplus", "quiet"):
        stack.billing.set_low_balance_threshold(accounts[name], 75_000)
    stack.start("feed")
    stack.start("worker")

    at = now().replace(second=0, microsecond=0) - timedelta(minutes=1)
    for name, account_id in accounts.items():
        stack.ledger.top_up(account_id, 30_000, Channel.BANK_CARD, f"bank-{name}")
        uid = next(iter(stack.ledger.account(account_id).cards))
        world.tap("canteen_pos", uid, items=[meal(9_000)], at=at)  # 800 -> 710 ₽: below 750 ₽
        world.tap("vending", uid, items=[snack(4_500)], at=at)  # still below: no second alert
        world.tap("turnstile", uid, direction="in", at=at)
    for name in ("zero", "quiet"):
        stack.actors.send_statement.send(str(accounts[name]), period_of(at.date()))

    wait_for(lambda: stack.fed_up_to_now() and stack.outbox_settled(), 60, "all messages sent")
    wait_for(lambda: len(stack.smtp.received()) >= 4, 30, "the e-mails")

    push, sms, mail = stack.push.to, stack.sms.to, stack.smtp.to
    # zero: no push, no SMS; e-mail: the low-balance alert and the monthly statement.
    assert push("push-zero") == []
    assert sms("+7-zero") == []
    assert sorted(m.subject for m in mail("zero@parents.test")) == [
        f"Выписка за {['январь', 'февраль', 'март', 'апрель', 'май', 'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'][at.month - 1]} {at.year}",  # noqa: E501
        "Низкий баланс",
    ]
    # mobile: a push for the top-up, both purchases and the pass; nothing else.
    local = at.astimezone(NSK).strftime("%d.%m.%Y %H:%M")
    assert sorted(push("push-mobile")) == sorted([
        f"Вход в школу: {local}.",
        f"Покупка в вендинговом автомате на 45,00 ₽ {local}: Булочка. Остаток: 665,00 ₽.",
        f"Покупка в столовой на 90,00 ₽ {local}: Комплексный обед. Остаток: 710,00 ₽.",
        next(t for t in push("push-mobile") if t.startswith("Счёт")),
    ])  # fmt: skip
    top_up = next(t for t in push("push-mobile") if t.startswith("Счёт"))
    assert "пополнен на 300,00 ₽ банковской картой" in top_up
    assert top_up.endswith("Баланс: 800,00 ₽.")
    assert sms("+7-mobile") == []
    assert mail("mobile@parents.test") == []
    # sms_plus: the same by push and by SMS, plus the low-balance alert once, on every channel.
    assert len(push("push-smsplus")) == 5
    assert sorted(sms("+7-smsplus")) == sorted(push("push-smsplus"))
    alerts = [t for t in sms("+7-smsplus") if t.startswith("Баланс счёта")]
    assert len(alerts) == 1
    assert "710,00 ₽, ниже порога 750,00 ₽" in alerts[0]
    assert [m.subject for m in mail("smsplus@parents.test")] == ["Низкий баланс"]
    # quiet (mobile, service messages only): the alert by e-mail and push, no statement.
    assert [t[:12] for t in push("push-quiet")] == ["Баланс счёта"]
    assert [m.subject for m in mail("quiet@parents.test")] == ["Низкий баланс"]
    assert sms("+7-quiet") == []

    # Enqueued again, every message is recognised as already taken: nothing is sent twice.
    sent = stack.query("SELECT message_id FROM wk_outbox WHERE status = 'sent'")
    again = [stack.actors.deliver.send(message_id) for (message_id,) in sent]
    assert {m.get_result(block=True, timeout=30_000) for m in again} == {"taken"}
    assert len(stack.push.requests) == len(stack.push.delivered())
    assert len(stack.sms.requests) == len(stack.sms.delivered())
    assert len(stack.smtp.received()) == 4


def test_messages_follow_a_changed_contact_and_stop_for_an_erased_parent(
    travelled: datetime, stack: Stack
) -> None:
    world = new_school(stack.ledger)
    moved = family(stack, world, "moved", "sms_plus")
    erased = family(stack, world, "erased", "sms_plus")
    stack.people.put("subject:new-contact", phone="+7-new", email="new@parents.test")
    stack.billing.change_contact(moved, "subject:new-contact")
    stack.people.erase(stack.ledger.account(erased).parent_ref)
    stack.start("feed")
    stack.start("worker")

    for n, account_id in enumerate((moved, erased)):
        stack.ledger.top_up(account_id, 30_000, Channel.BANK_CARD, f"bank-{n}")

    wait_for(lambda: stack.fed_up_to_now() and stack.outbox_settled(), 60, "all messages done")
    # The new contact's phone gets the SMS; the push token still comes from the parent's data.
    assert [t[:4] for t in stack.sms.to("+7-new")] == ["Счёт"]
    assert stack.sms.to("+7-moved") == []
    assert [t[:4] for t in stack.push.to("push-moved")] == ["Счёт"]
    # Erased personal data: nothing is sent, the outbox says why, and no address is kept.
    rows = stack.query(
        "SELECT channel, status FROM wk_outbox WHERE account_id = %s ORDER BY channel", erased
    )
    assert rows == [("push", "no_contact"), ("sms", "no_contact")]
    assert stack.sms.to("+7-erased") == []
    assert stack.push.to("push-erased") == []
    assert not stack.query("SELECT 1 FROM wk_outbox WHERE subject_ref LIKE '%%@%%' "
                           "OR body LIKE '%%+7-%%'")  # fmt: skip
