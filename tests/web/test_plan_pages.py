"""Issue 13, point 1 (with issue 12, point 5) in a real browser: a parent pre-orders a meal from
a coming day's published menu before the cut-off, sees it listed and cancels it; a parent of two
children moves money from one to the other and both balances follow. Time is frozen (`travelled`)
for the server and, through Playwright's clock, for the page."""

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from domain.preorder import cutoff_for
from identity.service import Role
from tests.api.stack import Stack
from tests.builders import SchoolWorld, meal
from tests.parents.tills import school_today
from tests.web.browser import check, log_in
from tests.web.conftest import OpenPage

MENU = [
    {"code": "LUNCH", "name": "Комплексный обед", "price": "9000"},
    {"code": "SOUP", "name": "Суп дня", "price": "4000"},
]


def publish_menu(
    stack: Stack, world: SchoolWorld, day: str, items: list[dict[str, str]] = MENU
) -> None:
    """As a school admin, through the API."""
    admin = stack.staff(Role.SCHOOL_ADMIN, world.school_id)
    variables: dict[str, Any] = {"s": str(world.school_id), "d": day, "items": items}
    query = (
        "mutation($s: UUID!, $d: Date!, $items: [MenuItemInput!]!) { publishMenu(input: "
        "{school: $s, date: $d, items: $items}) { userErrors { code } } }"
    )
    assert admin.data(query, **variables)["publishMenu"]["userErrors"] == []
    stack.project()


def frozen_page(open_page: OpenPage, now: datetime, zone: str = "Asia/Novosibirsk") -> Page:
    """A phone's page, in the time zone `zone`, whose clock starts at the test's frozen instant."""
    page = open_page(phone=True, zone=zone)
    page.clock.install(time=now)
    return page


def ru(day: str) -> str:
    y, m, d = day.split("-")
    return f"{d}.{m}.{y}"


@pytest.fixture
def world(stack: Stack) -> SchoolWorld:
    return stack.school()


def test_a_parent_preorders_a_coming_days_meal_sees_it_listed_and_cancels_it(
    travelled: datetime, stack: Stack, open_page: OpenPage, world: SchoolWorld
) -> None:
    family = stack.family(world, deposit=50_000, login=False)
    today = school_today(stack, world.school_id)
    # Tomorrow closes at 16:00 today (the default cut-off), so it may be open or closed at this
    # instant; the day after is always open.
    tomorrow, meal_day = (today + timedelta(days=n) for n in (1, 2))
    for published in (tomorrow, meal_day):
        publish_menu(stack, world, published.isoformat())
    before = stack.ledger.account(family.pupil.account_id).regular

    page = frozen_page(open_page, travelled)
    log_in(page, family.contract, family.password)
    page.get_by_role("link", name="Предзаказ").click()
    closes = cutoff_for(stack.ledger.school(world.school_id), tomorrow)
    first = page.get_by_role("form", name=f"Меню на {ru(tomorrow.isoformat())}")
    if closes > travelled:
        expect(first).to_contain_text("Заказ и отмена — до")
    else:
        expect(first).to_contain_text("Приём заказов закрыт")
        expect(first.get_by_role("button")).to_have_count(0)
    ordered = meal_day.isoformat()
    day = page.get_by_role("form", name=f"Меню на {ru(ordered)}")
    expect(day).to_contain_text("Заказ и отмена — до")
    expect(page.get_by_role("list", name="Предзаказы")).to_have_count(0)
    check(page, "parent-preorder")

    day.get_by_label(re.compile("^Комплексный обед.*порций")).select_option("1")
    day.get_by_label(re.compile("^Суп дня.*порций")).select_option("2")
    order = re.compile(rf"Заказать на {re.escape(ru(ordered))} за 170,00")
    day.get_by_role("button", name=order).click()
    expect(day.get_by_role("status")).to_have_text(f"Заказ на {ru(ordered)} оплачен")
    listed = page.get_by_role("list", name="Предзаказы")
    expect(listed).to_contain_text(ru(ordered))
    expect(listed).to_contain_text("Комплексный обед × 1, Суп дня × 2")
    expect(listed).to_contain_text("оплачен, ждёт выдачи")
    assert stack.ledger.account(family.pupil.account_id).regular == before - 17_000
    check(page, "parent-preorder-placed")

    # Listed from the server, too, after a reload; then cancelled before the cut-off.
    stack.project()
    page.reload()
    listed = page.get_by_role("list", name="Предзаказы")
    expect(listed).to_contain_text("Комплексный обед × 1, Суп дня × 2")
    listed.get_by_role("button", name=f"Отменить заказ на {ru(ordered)}").click()
    expect(listed).to_contain_text("отменён, деньги возвращены")
    expect(listed).to_contain_text("возвращено 170,00")
    assert stack.ledger.account(family.pupil.account_id).regular == before


def test_a_parent_of_two_children_moves_money_and_both_balances_change(
    travelled: datetime, stack: Stack, open_page: OpenPage, world: SchoolWorld
) -> None:
    elder = stack.family(world, deposit=50_000, login=False)
    younger = world.pupil(deposit=10_000)
    stack.identity.grant_parent(younger.contract_number, younger.account_id, elder.phone)
    stack.project()
    only_child = stack.family(world, deposit=10_000, login=False)

    page = frozen_page(open_page, travelled)
    log_in(page, only_child.contract, only_child.password)
    expect(page.get_by_role("heading", name=f"Договор № {only_child.contract}")).to_be_visible()
    expect(page.get_by_role("link", name="Предзаказ")).to_be_visible()
    expect(page.get_by_role("link", name="Перевод между детьми")).to_have_count(0)  # one child

    page = frozen_page(open_page, travelled)
    log_in(page, elder.contract, elder.password)
    expect(page.get_by_role("heading", name="Мои дети")).to_be_visible()
    page.get_by_role("link", name=f"Договор № {elder.contract}").click()
    page.get_by_role("link", name="Перевод между детьми").click()
    form = page.get_by_role("form", name="Перевод между детьми")
    expect(form).to_contain_text(re.compile(r"сейчас на счёте 500,00\s₽"))
    check(page, "parent-transfer")

    form.get_by_label("Кому перевести").select_option(younger.contract_number)
    form.get_by_label("Сумма перевода, ₽").fill("1000")
    form.get_by_role("button", name="Перевести").click()
    expect(page.get_by_role("alert")).to_have_text("Недостаточно средств на счёте")  # nothing moved

    form.get_by_label("Сумма перевода, ₽").fill("150,50")
    form.get_by_role("button", name="Перевести").click()
    done = page.get_by_role("status").filter(has_text="Переведено")
    expect(done).to_contain_text(re.compile(r"Переведено 150,50\s₽"))
    expect(done).to_contain_text(re.compile(rf"№ {elder.contract} осталось 349,50\s₽"))
    expect(done).to_contain_text(re.compile(rf"№ {younger.contract_number} стало 250,50\s₽"))
    assert stack.ledger.account(elder.pupil.account_id).regular == 50_000 - 15_050
    assert stack.ledger.account(younger.account_id).regular == 10_000 + 15_050

    # Both children's cards follow without a reload, once the read models hold the transfer
    # (the page waits for the transfer's ledger position; here the test runs the projections).
    stack.project()
    page.get_by_role("link", name="← Все дети").click()
    expect(page.get_by_role("link", name=f"Договор № {elder.contract}")).to_contain_text(
        re.compile(r"349,50\s₽")
    )
    expect(page.get_by_role("link", name=f"Договор № {younger.contract_number}")).to_contain_text(
        re.compile(r"250,50\s₽")
    )


def test_a_parent_in_another_time_zone_sees_the_schools_day_and_clock(
    travelled: datetime, stack: Stack, open_page: OpenPage, world: SchoolWorld
) -> None:
    """The school is in Novosibirsk, the parent's phone in Moscow, four hours behind: the
    cabinet's menu "for today" is the school's day's, not the phone's (at this suite's default
    instant, 1 March in Novosibirsk is still 28 February in Moscow), and a lunch's time in the
    statement is the school's clock's."""
    family = stack.family(world, login=False)
    world.tap("canteen_pos", family.pupil.uid, items=[meal(9000)], at=travelled)
    stack.project()
    today = school_today(stack, world.school_id)
    phones_day = travelled.astimezone(ZoneInfo("Europe/Moscow")).date()
    other_day = phones_day if phones_day != today else today - timedelta(days=1)
    publish_menu(stack, world, today.isoformat(), [{"code": "SHCHI", "name": "Щи", "price": "50"}])
    publish_menu(
        stack, world, other_day.isoformat(), [{"code": "KOTL", "name": "Котлета", "price": "70"}]
    )

    page = frozen_page(open_page, travelled, zone="Europe/Moscow")
    log_in(page, family.contract, family.password)
    page.get_by_role("link", name="Меню").click()
    menu = page.get_by_role("table")
    expect(menu).to_contain_text("Щи")
    expect(menu).not_to_contain_text("Котлета")
    page.get_by_role("link", name="Выписка").click()
    lunch_time = travelled.astimezone(world.ledger.school(world.school_id).zone)
    lines = page.get_by_role("list", name="Операции по счёту")
    expect(lines).to_contain_text(lunch_time.strftime("%d.%m.%Y, %H:%M"))
