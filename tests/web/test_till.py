"""The canteen operator's till in a real browser: set up once with the terminal's id and
secret (kept as a non-extractable key in the browser), then a tap shows the pupil's photo, name,
class and the decision; a decline shows its reason; without the network it keeps selling
within the offline cap and uploads later."""

import re

from playwright.sync_api import Page, expect

from identity.service import Role
from tests.api.stack import Stack
from tests.builders import SchoolWorld
from tests.web.browser import check, portrait_png, staff_logs_in
from tests.web.conftest import OpenPage


def set_up_till(page: Page, stack: Stack, world: SchoolWorld) -> str:
    terminal = world.terminals["canteen_pos"]
    secret = stack.services.terminal_secrets.issue(terminal, world.school_id)
    page.goto("/till")
    check(page, "till-setup")
    page.get_by_label("Номер терминала").fill(str(terminal))
    page.get_by_label("Секрет терминала").fill(secret)
    page.get_by_role("button", name="Подключить").click()
    expect(page.get_by_role("heading", name="Заказ")).to_be_visible()
    return secret


def with_photo(stack: Stack, world: SchoolWorld, uid: str, name: str) -> None:
    desk = stack.app.state.terminal_desk
    account = stack.ledger.account(stack.ledger.card_account_id(uid))
    digest = desk.blobs.put(portrait_png(), world.school_id)
    desk.people.put(account.pupil_ref, name=name, photo=digest)


def add_item(page: Page, name: str, roubles: str) -> None:
    page.get_by_label("Позиция").fill(name)
    page.get_by_label("Цена, ₽").fill(roubles)
    page.get_by_role("button", name="Добавить").click()


def present_card(page: Page, uid: str) -> None:
    card = page.get_by_label("Карта ученика (поднесите к считывателю)")
    card.fill(uid)
    card.press("Enter")


def test_the_till_shows_the_photo_and_the_decision_and_a_decline_with_its_reason(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    pupil = world.pupil(deposit=50_000)
    new_card = world.pupil(activate=False)
    with_photo(stack, world, pupil.uid, "Иванов Пётр")
    page = open_page()
    secret = set_up_till(page, stack, world)
    # The secret went into a non-extractable key: it is nowhere in the page's storage.
    stored = page.evaluate(
        "() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})"
    )
    assert secret not in stored
    assert page.get_by_label("Секрет терминала").count() == 0

    add_item(page, "Комплексный обед", "90")
    present_card(page, pupil.uid)
    decision = page.get_by_test_id("decision")
    expect(decision).to_contain_text("Оплачено 90,00 ₽")
    expect(decision).to_contain_text("Иванов Пётр, 5А")
    photo = decision.get_by_role("img", name="Фото: Иванов Пётр")
    expect(photo).to_be_visible()
    assert photo.evaluate("img => img.naturalWidth") == 96
    expect(decision).to_contain_text("Остаток: 410,00")
    check(page, "till-approved")

    add_item(page, "Булочка", "45")
    present_card(page, new_card.uid)
    expect(decision).to_contain_text("Отказ: Карта не активирована")
    check(page, "till-declined")
    account = stack.ledger.account(pupil.account_id)
    assert account.regular == 41_000


def test_the_till_sells_offline_within_the_cap_and_uploads_later(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    pupil = world.pupil(deposit=50_000)
    page = open_page()
    set_up_till(page, stack, world)
    expect(page.get_by_text("На связи")).to_be_visible()  # the deny list (and the cap) arrived
    page.context.set_offline(True)
    add_item(page, "Комплексный обед", "90")
    present_card(page, pupil.uid)
    decision = page.get_by_test_id("decision")
    expect(decision).to_contain_text("Оплачено 90,00 ₽")
    expect(decision).to_contain_text("без связи")
    expect(page.get_by_text("к отправке: 1")).to_be_visible()
    check(page, "till-offline")
    assert stack.ledger.account(pupil.account_id).regular == 50_000

    page.context.set_offline(False)
    page.get_by_role("button", name="Синхронизировать").click()
    expect(page.get_by_text("к отправке: 1")).to_have_count(0)
    assert stack.ledger.account(pupil.account_id).regular == 41_000


def test_an_operator_logged_in_picks_dishes_from_todays_menu(
    stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    pupil = world.pupil(deposit=50_000)
    stack.project()
    page = open_page()
    staff_logs_in(stack, page, Role.CANTEEN_OPERATOR, world.school_id)
    expect(page).to_have_url(re.compile(r"/till$"))  # an operator's home is the till
    set_up_till(page, stack, world)
    expect(page.get_by_text("Меню на сегодня не опубликовано")).to_be_visible()
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    today = page.evaluate("() => new Date().toLocaleDateString('sv-SE')")  # the till's day
    admin.data(
        "mutation($s: UUID!, $d: Date!) { publishMenu(input: {school: $s, date: $d, items: ["
        '{code: "SOUP", name: "Борщ", price: "5500", allergens: ["сельдерей"]}]}) '
        "{ userErrors { code } } }",
        s=str(world.school_id),
        d=today,
    )
    stack.project()
    page.reload()
    page.get_by_role("button", name="Борщ · 55,00 ₽").click()
    present_card(page, pupil.uid)
    expect(page.get_by_test_id("decision")).to_contain_text("Оплачено 55,00 ₽")
