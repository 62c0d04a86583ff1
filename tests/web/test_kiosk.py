"""The kiosk in a real browser: a new card activated in five steps (card, offer, parent's
phone, at least 100 ₽ cash, receipt), after which the parent receives a login by SMS and
logs in to the cabinet; a duplicate card ordered by contract number after the kiosk PIN; a
cash deposit by contract number; the balance after the PIN."""

import re

from playwright.sync_api import Page, expect

from identity.activations import ActivationLogins
from identity.kiosk_pins import KioskPins
from tests.api.stack import Stack, new_phone
from tests.builders import SchoolWorld, new_uid
from tests.web.browser import check
from tests.web.conftest import OpenPage


def set_up_kiosk(page: Page, stack: Stack, world: SchoolWorld) -> None:
    terminal = world.terminals["kiosk"]
    page.goto("/kiosk")
    page.get_by_label("Номер терминала").fill(str(terminal))
    page.get_by_label("Секрет терминала").fill(
        stack.services.terminal_secrets.issue(terminal, world.school_id)
    )
    page.get_by_role("button", name="Подключить").click()
    expect(page.get_by_role("heading", name="Что вы хотите сделать?")).to_be_visible()


def test_the_kiosk_activates_a_new_card_in_five_steps_and_the_parent_gets_a_login_by_sms(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    pupil = world.pupil(activate=False)
    logins = ActivationLogins(
        stack.ledger, stack.services.people, stack.identity, stack.database_url
    )
    logins.step(limit=10_000)  # the activations of earlier tests
    phone = new_phone()
    page = open_page()
    set_up_kiosk(page, stack, world)
    check(page, "kiosk-home")
    page.get_by_role("button", name="Активировать карту").click()

    step = page.get_by_role("list", name="Шаги активации")
    expect(step.locator("[aria-current=step]")).to_have_text("1. Карта")
    page.get_by_label("Приложите новую карту к считывателю").fill(pupil.uid)
    check(page, "kiosk-1-card")
    page.get_by_role("button", name="Далее").click()

    expect(step.locator("[aria-current=step]")).to_have_text("2. Оферта")
    expect(page.get_by_role("button", name="Далее")).to_be_disabled()
    page.get_by_label(
        "Я принимаю условия оферты и даю согласие на обработку персональных данных"
    ).check()
    check(page, "kiosk-2-offer")
    page.get_by_role("button", name="Далее").click()

    expect(step.locator("[aria-current=step]")).to_have_text("3. Телефон")
    page.get_by_label("Телефон родителя: на него придёт логин и пароль").fill(phone)
    check(page, "kiosk-3-phone")
    page.get_by_role("button", name="Далее").click()

    expect(step.locator("[aria-current=step]")).to_have_text("4. Наличные")
    finish = page.get_by_role("button", name="Завершить активацию")
    expect(finish).to_be_disabled()  # nothing inserted yet: at least 100 ₽
    page.get_by_role("button", name="Внести 500,00 ₽").click()
    page.get_by_role("button", name="Внести 100,00 ₽").click()
    expect(page.get_by_test_id("inserted")).to_have_text(re.compile(r"600,00\s₽"))
    check(page, "kiosk-4-cash")
    finish.click()

    expect(step.locator("[aria-current=step]")).to_have_text("5. Чек")
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text(f"Договор № {pupil.contract_number}")
    expect(receipt).to_contain_text("Зачислено: 600,00")
    check(page, "kiosk-5-receipt")
    assert stack.ledger.account(pupil.account_id).regular == 60_000

    # The activation gives the parent a login: the password arrives by SMS.
    assert logins.step() == 1
    password = stack.password_sent_to(phone)
    cabinet = open_page(phone=True)
    cabinet.goto("/")
    cabinet.get_by_label("Номер договора или телефон").fill(pupil.contract_number)
    cabinet.get_by_label("Пароль", exact=True).fill(password)
    cabinet.get_by_role("button", name="Войти").click()
    expect(
        cabinet.get_by_role("heading", name=f"Договор № {pupil.contract_number}")
    ).to_be_visible()


def test_the_kiosk_orders_a_duplicate_of_a_blocked_card_by_contract_number(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    pupil = world.pupil(deposit=20_000)
    stack.ledger.block_card(pupil.account_id, pupil.uid, "lost")
    KioskPins(stack.identity).set(pupil.account_id, "2580")
    page = open_page()
    set_up_kiosk(page, stack, world)
    page.get_by_role("button", name="Заказать дубликат карты").click()
    replacement = new_uid()
    page.get_by_label("Номер договора").fill(pupil.contract_number)
    page.get_by_label("Приложите новую карту").fill(replacement)
    page.get_by_label("ПИН-код", exact=True).fill("1111")
    page.get_by_role("button", name="Заказать").click()
    expect(page.get_by_role("alert")).to_contain_text("Неверный ПИН-код")
    assert stack.ledger.account(pupil.account_id).regular == 20_000
    page.get_by_label("ПИН-код", exact=True).fill("2580")
    check(page, "kiosk-duplicate")
    page.get_by_role("button", name="Заказать").click()
    receipt = page.get_by_test_id("receipt")
    expect(receipt).to_contain_text(f"Новая карта: {replacement}")
    expect(receipt).to_contain_text("Плата за дубликат: 50,00")
    assert stack.ledger.account(pupil.account_id).regular == 15_000
    page.get_by_role("button", name="В начало").click()
    page.get_by_role("button", name="Пополнить наличными").click()
    page.get_by_label("или введите номер договора").fill(pupil.contract_number)
    page.get_by_role("button", name="Внести 500,00 ₽").click()
    page.get_by_role("button", name="Зачислить").click()
    expect(page.get_by_test_id("receipt")).to_contain_text("Зачислено: 500,00")
    assert stack.ledger.account(pupil.account_id).regular == 65_000
    page.get_by_role("button", name="В начало").click()
    page.get_by_role("button", name="Баланс по ПИН-коду").click()
    page.get_by_label("или введите номер договора").fill(pupil.contract_number)
    page.get_by_label("ПИН-код", exact=True).fill("2580")
    page.get_by_role("button", name="Показать баланс").click()
    expect(page.get_by_test_id("balance")).to_contain_text(re.compile(r"Основной счёт: 650,00"))
