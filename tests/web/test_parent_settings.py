"""The parent's protection, autopay, notification and casework screens in a real browser: a
ban set in the cabinet is what the till declines, with the reason on the operator's screen;
an autopayment is given another saved card; push to the browser is offered with the
installation's key, a browser's subscription is listed and dropped from the page; the history
is downloaded; every page passes axe-core."""

import json
import re

from playwright.sync_api import Page, expect

from identity.service import Role
from tests.api.stack import Family, Stack
from tests.builders import SchoolWorld
from tests.fakes.web_push import FakeBrowser
from tests.web.browser import check, log_in, staff_logs_in
from tests.web.conftest import OpenPage
from tests.web.test_till import present_card, set_up_till

REGISTER = """mutation($i: RegisterPushSubscriptionInput!) {
  registerPushSubscription(input: $i) { userErrors { code } } }"""


def publish_todays_menu(stack: Stack, world: SchoolWorld, page: Page) -> None:
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    today = page.evaluate("() => new Date().toLocaleDateString('sv-SE')")  # the browsers' day
    answer = admin.data(
        "mutation($s: UUID!, $d: Date!) { publishMenu(input: {school: $s, date: $d, items: ["
        '{code: "SOUP", name: "Борщ", price: "5500", allergens: ["сельдерей"]},'
        '{code: "COLA", name: "Газировка", price: "6000", allergens: []}]}) '
        "{ userErrors { code } } }",
        s=str(world.school_id),
        d=today,
    )
    assert answer["publishMenu"]["userErrors"] == [], answer
    stack.project()


def cabinet(page: Page, fam: Family, tab: str) -> None:
    log_in(page, fam.contract, fam.password)
    expect(page.get_by_role("heading", name=f"Договор № {fam.contract}")).to_be_visible()
    page.get_by_role("link", name=tab).click()
    expect(page.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")


def test_a_ban_set_in_the_cabinet_is_declined_at_the_till_with_its_reason(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    fam = stack.family(world, deposit=50_000)
    parent = open_page(phone=True)
    publish_todays_menu(stack, world, parent)
    cabinet(parent, fam, "Запреты")
    parent.get_by_label("Запретить: Газировка (COLA)").check()
    parent.get_by_role("button", name="Сохранить запреты").click()
    expect(parent.get_by_text("Запреты сохранены")).to_be_visible()
    expect(parent.get_by_label("Коды запрещённых блюд (через запятую)")).to_have_value("COLA")
    parent.get_by_label("Касса столовой, ₽ в день").fill("150")
    parent.get_by_role("button", name="Сохранить лимиты").click()
    expect(parent.get_by_text("Лимиты сохранены")).to_be_visible()
    check(parent, "parent-protection-set")
    found = fam.client.data("query($c: String!) { protection(contractNumber: $c) {"
                            " bannedItems categoryLimits { terminalKind dailyLimit } } }",
                            c=fam.contract)["protection"]  # fmt: skip
    assert found == {
        "bannedItems": ["COLA"],
        "categoryLimits": [{"terminalKind": "CANTEEN_POS", "dailyLimit": "15000"}],
    }

    # The operator's till, logged in, sells from today's menu: the banned drink is declined.
    till = open_page()
    staff_logs_in(stack, till, Role.CANTEEN_OPERATOR, world.school_id)
    expect(till).to_have_url(re.compile(r"/till$"))
    set_up_till(till, stack, world)
    till.get_by_role("button", name="Газировка · 60,00 ₽").click()
    present_card(till, fam.pupil.uid)
    decision = till.get_by_test_id("decision")
    expect(decision).to_contain_text("Отказ: Блюдо запрещено родителем")
    check(till, "till-declined-ban")
    # The soup is not banned: sold.
    till.get_by_role("button", name="Убрать Газировка").click()
    till.get_by_role("button", name="Борщ · 55,00 ₽").click()
    present_card(till, fam.pupil.uid)
    expect(decision).to_contain_text("Оплачено 55,00 ₽")
    assert stack.ledger.account(fam.pupil.account_id).regular == 44_500

    # Frozen from the cabinet: everything is declined until the parent unfreezes.
    parent.get_by_role("button", name="Заморозить карты").click()
    expect(parent.get_by_text(re.compile("Карты заморожены: покупки отклоняются"))).to_be_visible()
    soup = {"code": "SOUP", "name": "Борщ", "price": 5500, "quantity": 1}
    refused = world.tap("canteen_pos", fam.pupil.uid, items=[soup])
    assert refused.decision.reason == "card_frozen"
    parent.get_by_role("button", name="Снять заморозку").click()
    expect(parent.get_by_text("Заморозка снята")).to_be_visible()


def test_the_parent_turns_push_on_and_off_and_sets_quiet_hours_and_autopay(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    fam = stack.family(world, deposit=50_000)
    fam.client.recorded("changeTariff", contractNumber=fam.contract, tariff="MOBILE")
    page = open_page(phone=True)
    cabinet(page, fam, "Уведомления")
    push = page.get_by_role("region", name="Push-уведомления в браузере")
    expect(push).to_contain_text("не включены ни на одном устройстве")
    # Offered; the browser's own subscription needs its vendor's push service (not reachable
    # here): a subscription is posted below as a browser would, and the page shows it.
    enable = push.get_by_role("button", name="Включить push-уведомления на этом устройстве")
    expect(enable).to_be_enabled()
    check(page, "parent-notifications-off")

    # A phone of the parent's subscribed (its subscription posted as the browser would).
    phone = FakeBrowser(f"{stack.workers.web_push.url}/push/phone-1")
    given = {"contractNumber": fam.contract, "endpoint": phone.endpoint, "p256dh": phone.p256dh,
             "auth": phone.auth_secret}  # fmt: skip
    assert fam.client.data(REGISTER, i=given)["registerPushSubscription"]["userErrors"] == []
    page.reload()
    expect(push).to_contain_text("включены на устройствах: 1")
    expect(push.get_by_role("list", name="Устройства с push-уведомлениями")).to_contain_text(
        "Устройство 1 (127.0.0.1:"
    )
    check(page, "parent-notifications-push")
    push.get_by_role("button", name="Отключить устройство 1").click()
    expect(push).to_contain_text("больше не получает push-уведомления")
    expect(push).to_contain_text("не включены ни на одном устройстве")
    assert (
        stack.services.people.push_subscriptions(
            [stack.ledger.account(fam.pupil.account_id).parent_ref]
        )
        == []
    )

    # Passes off by push; quiet hours 22:00-07:00.
    page.get_by_label("Проходы через турникет: push").uncheck()
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.get_by_text("Настройки сохранены")).to_be_visible()
    page.get_by_label("С", exact=True).fill("22:00")
    page.get_by_label("До", exact=True).fill("07:00")
    page.get_by_role("button", name="Сохранить тихие часы").click()
    expect(page.get_by_text("Тихие часы: 22:00–07:00")).to_be_visible()
    settings = fam.client.data(
        "query($c: String!) { notificationSettings(contractNumber: $c) {"
        " kinds { kind channels { channel enabled } } quietHours { start end } } }",
        c=fam.contract,
    )["notificationSettings"]
    assert settings["quietHours"] == {"start": "22:00", "end": "07:00"}
    passes = next(k for k in settings["kinds"] if k["kind"] == "PASSES")
    assert {c["channel"]: c["enabled"] for c in passes["channels"]}["PUSH"] is False

    # The low-balance alert and a monthly autopayment by a card saved at a top-up.
    account = stack.ledger.account(fam.pupil.account_id)
    stack.services.people.save_card(
        account.parent_ref, account.id, "tok-web-4242", "4242", stack.ledger.clock()
    )
    page.get_by_role("link", name="Автоплатёж").click()
    page.get_by_label("Порог оповещения, ₽").fill("200")
    page.get_by_role("button", name="Сохранить порог").click()
    expect(page.get_by_text("Оповестим, когда баланс станет ниже 200,00 ₽")).to_be_visible()
    page.get_by_label("Сумма пополнения, ₽").fill("1000")
    page.get_by_label("День месяца (1–28)").fill("5")
    page.get_by_label("Сохранённая карта").select_option(label="•••• 4242")
    page.get_by_role("button", name="Настроить автоплатёж").click()
    expect(page.get_by_text("Автоплатёж настроен")).to_be_visible()
    rules = page.get_by_role("region", name="Автоплатежи")
    expect(rules).to_contain_text(re.compile(r"1\s000,00\s₽ 5-го числа с карты …4242"))
    check(page, "parent-autopay-set")
    rules.get_by_role("button", name="Приостановить").click()
    expect(rules).to_contain_text("приостановлен")

    # The whole history, downloaded.
    page.get_by_role("link", name="Споры и история").click()
    with page.expect_download() as found:
        page.get_by_role("button", name="Скачать JSONL").click()
    lines = found.value.path().read_text(encoding="utf-8").splitlines()
    assert lines
    assert all(json.loads(line)["event"] for line in lines)
    expect(page.get_by_text(f"Выгружено записей: {len(lines)}")).to_be_visible()


def test_the_parent_pays_an_autopayment_by_another_saved_card_and_after_forgetting_one(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    fam = stack.family(world, deposit=50_000)
    account = stack.ledger.account(fam.pupil.account_id)
    for token, last4 in (("tok-web-4242", "4242"), ("tok-web-4444", "4444")):
        stack.services.people.save_card(
            account.parent_ref, account.id, token, last4, stack.ledger.clock()
        )
    page = open_page(phone=True)
    cabinet(page, fam, "Автоплатёж")
    page.get_by_label("Сумма пополнения, ₽").fill("500")
    page.get_by_label("День месяца (1–28)").fill("10")
    page.get_by_label("Сохранённая карта").select_option(label="•••• 4242")
    page.get_by_role("button", name="Настроить автоплатёж").click()
    rules = page.get_by_role("region", name="Автоплатежи")
    expect(rules).to_contain_text(re.compile(r"500,00\s₽ 10-го числа с карты …4242 — работает"))
    change = rules.get_by_role("button", name="Сменить карту")
    expect(change).to_be_disabled()  # the card it pays by is the one chosen

    rules.get_by_label("Карта автоплатежа «Ежемесячно»").select_option(label="•••• 4444")
    change.click()
    expect(rules).to_contain_text("Автоплатёж будет списываться с карты •••• 4444")
    expect(rules).to_contain_text(re.compile(r"с карты …4444 — работает"))
    check(page, "parent-autopay-card")
    rule = fam.client.data(
        "query($c: String!) { autopayments(contractNumber: $c) { rules { savedCardId } } }",
        c=fam.contract,
    )["autopayments"]["rules"][0]
    cards = stack.services.people.saved_cards(account.parent_ref, account.id)
    assert rule["savedCardId"] == str(next(c.id for c in cards if c.last4 == "4444"))

    # Its card forgotten, the rule says so; the other saved card is offered and taken.
    page.get_by_role("region", name="Сохранённые карты").get_by_role("listitem").filter(
        has_text="4444"
    ).get_by_role("button", name="Забыть карту").click()
    expect(rules).to_contain_text("карта удалена — выберите карту заново")
    expect(rules.get_by_label("Карта автоплатежа «Ежемесячно»")).to_have_value(
        str(next(c.id for c in cards if c.last4 == "4242"))
    )
    change.click()
    expect(rules).to_contain_text(re.compile(r"с карты …4242 — работает"))


def test_the_parent_changes_the_daily_limit_the_contacts_and_service_only_messages(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    fam = stack.family(world, deposit=50_000)
    stack.project()  # the page reads the account from the read models
    page = open_page(phone=True)
    cabinet(page, fam, "Настройки")
    page.get_by_label("Новый лимит, ₽").fill("150")
    page.get_by_role("button", name="Сохранить лимит").click()
    expect(page.get_by_text("Лимит изменён")).to_be_visible()
    page.get_by_label("Электронная почта").fill("mama@example.org")
    page.get_by_role("button", name="Сохранить контакты").click()
    expect(page.get_by_text("Контакты сохранены")).to_be_visible()
    page.get_by_label("Только служебные сообщения").check()
    page.get_by_role("button", name="Сохранить", exact=True).click()
    expect(page.get_by_text("Настройки уведомлений сохранены")).to_be_visible()
    check(page, "parent-settings-saved")

    account = stack.ledger.account(fam.pupil.account_id)
    assert (account.daily_limit, account.service_only) == (15_000, True)
    assert account.contact_ref is not None
    assert stack.services.people.get(account.contact_ref) == {"email": "mama@example.org"}
