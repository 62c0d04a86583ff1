"""Issue 12, point 6 in a real browser: a parent reads the child's charges over a period, each
with its evidence and flags, a page at a time («Показать ещё»), narrows them with the filters,
and reads the tariff and fee history. Time is frozen (`travelled`) for the server and, through
Playwright's clock, for the page."""

import re
from datetime import datetime, timedelta

from playwright.sync_api import Locator, Page, expect

from domain import casework
from tests.api.stack import Stack
from tests.builders import meal, snack
from tests.parents.tills import decided, school_today, till
from tests.web.browser import check, log_in
from tests.web.conftest import OpenPage

LUNCHES = 21  # with the bun, one page of 20 and one more


def charges_of(page: Page) -> Locator:
    """The charges listed, one item each (not the items of their evidence)."""
    return page.get_by_role("list", name="Списания за период").locator(":scope > li")


def show(page: Page) -> None:
    page.get_by_role("form", name="Отбор списаний").get_by_role("button", name="Показать").click()


def test_a_parent_pages_through_the_charges_with_their_evidence_filters_them_and_reads_the_tariff(
    travelled: datetime, stack: Stack, open_page: OpenPage
) -> None:
    world = stack.school()
    # open every day, so the lunches raise no doubt on whatever day the date sweep puts them
    casework.set_school_calendar(stack.ledger, world.school_id, [], [])
    family = stack.family(world, deposit=50_000, login=False)
    uid = family.pupil.uid
    vending = till(stack, world.school_id, "vending", "Автомат у спортзала")
    canteen = till(stack, world.school_id, "canteen_pos", "Столовая, касса 1")
    turnstile = till(stack, world.school_id, "turnstile", "Вход")
    assert decided(vending, uid, items=[snack(4_500)], at=travelled)["outcome"] == "approved"
    entered = travelled + timedelta(minutes=1)
    assert decided(turnstile, uid, direction="in", at=entered)["outcome"] == "approved"
    for n in range(LUNCHES):  # 150 roubles in all, within the daily limit
        at = entered + timedelta(seconds=10 * (n + 1))
        assert decided(canteen, uid, items=[meal(500)], at=at)["outcome"] == "approved"
    stack.ledger.change_tariff(family.pupil.account_id, "mobile")
    stack.project()

    page = open_page(phone=True)
    page.clock.install(time=travelled)
    log_in(page, family.contract, family.password)
    page.get_by_role("link", name="Списания").click()
    expect(charges_of(page)).to_have_count(20)
    expect(charges_of(page).first).to_contain_text("Столовая, касса 1")
    expect(charges_of(page).first).to_contain_text("По турникету ребёнок был в школе")
    expect(charges_of(page).first).to_contain_text("Сомнений нет")
    check(page, "parent-charges")

    page.get_by_role("button", name="Показать ещё").click()
    expect(charges_of(page)).to_have_count(LUNCHES + 1)
    expect(page.get_by_role("button", name="Показать ещё")).to_have_count(0)
    bun = charges_of(page).last  # the oldest: before the pupil came in
    expect(bun).to_contain_text(re.compile(r"45,00\s₽"))
    expect(bun).to_contain_text("Булочка × 1")
    expect(bun).to_contain_text("Терминал: Автомат у спортзала")
    expect(bun).to_contain_text("По турникету ребёнка не было в школе")
    expect(bun.get_by_role("note")).to_contain_text(
        "Сомнения: по турникету ребёнка в это время не было в школе"
    )

    form = page.get_by_role("form", name="Отбор списаний")
    form.get_by_label("Только сомнительные списания").check()
    show(page)
    expect(charges_of(page)).to_have_count(1)
    expect(charges_of(page)).to_contain_text("Автомат у спортзала")
    form.get_by_label("Только сомнительные списания").uncheck()
    form.get_by_label("Столовая").check()
    form.get_by_label("Сумма до, ₽").fill("5")
    show(page)
    expect(charges_of(page)).to_have_count(20)
    expect(page.get_by_role("list", name="Списания за период")).not_to_contain_text("Булочка")
    form.get_by_label("Сумма от, ₽").fill("6")
    show(page)
    expect(form.get_by_role("alert")).to_have_text("Сумма «от» больше суммы «до»")
    form.get_by_label("Сумма от, ₽").fill("")
    form.get_by_label("Столовая").uncheck()
    form.get_by_label("Сумма до, ₽").fill("")
    day = school_today(stack, world.school_id)
    form.get_by_label("С даты").fill((day - timedelta(days=3)).isoformat())
    form.get_by_label("По дату").fill((day - timedelta(days=1)).isoformat())
    show(page)
    expect(page.get_by_text("За этот период таких списаний нет.")).to_be_visible()
    check(page, "parent-charges-filtered")

    page.get_by_role("link", name="Тариф и плата").click()
    expect(page.get_by_role("region", name="Тариф сейчас")).to_contain_text("«Мобильный»")
    history = page.get_by_role("table")
    expect(history).to_contain_text("Договор открыт, тариф «Нулевой»")
    expect(history).to_contain_text("Тариф сменён: «Нулевой» → «Мобильный»")
    check(page, "parent-tariff")
