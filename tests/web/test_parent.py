"""The parent cabinet in a real browser: login by contract number, a tap arriving live,
blocking a card, disputing a charge, and every page checked by axe-core."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.api.stack import Family, Stack
from tests.builders import SchoolWorld, meal
from tests.web.browser import ROOT, Outside, check, log_in
from tests.web.conftest import OpenPage


@pytest.fixture
def family(stack: Stack) -> tuple[SchoolWorld, Family]:
    world = stack.school()
    family = stack.family(world, deposit=50_000, login=False)
    world.tap("canteen_pos", family.pupil.uid, items=[meal(9000)])
    stack.project()
    return world, family


def test_a_parent_logs_in_sees_a_tap_live_blocks_the_card_and_disputes_a_charge(
    stack: Stack, open_page: OpenPage, family: tuple[SchoolWorld, Family]
) -> None:
    world, fam = family
    page = open_page(phone=True)
    outside = Outside(page)

    page.goto("/")
    check(page, "parent-login")
    log_in(page, fam.contract, fam.password, forget=True)
    expect(page.get_by_role("heading", name=f"Договор № {fam.contract}")).to_be_visible()
    expect(page.get_by_test_id("regular")).to_have_text(re.compile(r"410,00\s₽"))
    # "Не запоминать меня": the session is this tab's only.
    assert page.evaluate("() => localStorage.getItem('infoshkola.session')") is None
    assert page.evaluate("() => sessionStorage.getItem('infoshkola.session')") is not None

    # A tap at the till appears without a reload, and the balance follows.
    expect(page.get_by_text("Покупки и проходы появятся здесь")).to_be_visible()
    world.tap("canteen_pos", fam.pupil.uid, items=[meal(6000, code="SOUP")])
    stack.project()
    live = page.get_by_role("list", name="События по карте")
    expect(live).to_contain_text("Покупка")
    expect(live).to_contain_text("60,00")
    expect(page.get_by_test_id("regular")).to_have_text(re.compile(r"350,00\s₽"))
    check(page, "parent-account")

    # Block the lost card: the terminals refuse it from now on.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name=f"Заблокировать карту {fam.pupil.uid}").click()
    expect(page.get_by_text(f"Карта {fam.pupil.uid} заблокирована")).to_be_visible()
    refused = world.tap("canteen_pos", fam.pupil.uid, items=[meal(9000)])
    assert refused.decision.outcome == "declined"
    assert refused.decision.reason == "card_blocked"

    # Dispute the first charge from the statement, with its evidence shown first.
    page.get_by_role("link", name="Выписка").click()
    lines = page.get_by_role("list", name="Операции по счёту")
    expect(lines).to_contain_text("Покупка")
    check(page, "parent-statement")
    page.get_by_role("button", name="Оспорить списание").last.click()
    evidence = page.get_by_role("form", name="Спор по списанию")
    expect(evidence.get_by_role("heading", name="Основание списания")).to_be_visible()
    expect(evidence).to_contain_text("Комплексный обед × 1")
    expect(evidence).to_contain_text("90,00")
    page.get_by_label("Что не так с этим списанием").fill("Ребёнок в этот день болел")
    page.get_by_role("button", name="Отправить спор").click()
    expect(page.get_by_text("Спор открыт")).to_be_visible()
    disputes = stack.ledger.account(fam.pupil.account_id).disputes
    assert [(d["status"], d["from_regular"] + d["from_subsidised"]) for d in disputes.values()] == [
        ("open", 9000)
    ]

    # The parent follows the dispute on its own page.
    page.get_by_role("link", name="Споры и история").click()
    expect(page.get_by_test_id("dispute-status")).to_have_text("на рассмотрении")
    expect(page.get_by_role("list", name="Мои споры")).to_contain_text("Ребёнок в этот день болел")
    check(page, "parent-casework")

    for tab, name in (
        ("Посещения", "parent-attendance"),
        ("Меню", "parent-menu"),
        ("Запреты", "parent-protection"),
        ("Автоплатёж", "parent-autopay"),
        ("Уведомления", "parent-notifications"),
        ("Настройки", "parent-settings"),
    ):
        page.get_by_role("link", name=tab).click()
        expect(page.get_by_role("link", name=tab)).to_have_attribute("aria-current", "page")
        check(page, name)
    assert outside.hosts == []


def test_a_parent_resets_a_forgotten_password_by_sms(
    stack: Stack, open_page: OpenPage, family: tuple[SchoolWorld, Family]
) -> None:
    _, fam = family
    page = open_page(phone=True)
    page.goto("/")
    page.get_by_role("link", name="Забыли пароль?").click()
    check(page, "parent-reset")
    page.get_by_label("Номер договора или телефон").fill(fam.contract)
    page.get_by_role("button", name="Отправить код по СМС").click()
    code = page.get_by_role("textbox", name="Код из СМС")
    expect(code).to_be_visible()
    code.fill(stack.code_sent_to(fam.phone))
    page.get_by_label("Новый пароль").fill("Nov-parol-2026!")
    page.get_by_role("button", name="Сменить пароль").click()
    expect(page.get_by_text("Пароль изменён")).to_be_visible()
    log_in(page, fam.contract, "Nov-parol-2026!")
    expect(page.get_by_role("heading", name=f"Договор № {fam.contract}")).to_be_visible()
    # Remembered this time: the session outlives the tab.
    assert page.evaluate("() => localStorage.getItem('infoshkola.session')") is not None


SCHEMA = (ROOT / "schema.graphql").read_text()


@pytest.mark.skipif(
    "topUpQuote" not in SCHEMA, reason="the schema has no topUpQuote yet (issue 12)"
)
def test_a_parent_sees_the_commission_before_paying(
    stack: Stack, open_page: OpenPage, family: tuple[SchoolWorld, Family]
) -> None:
    _, fam = family
    page = open_page(phone=True)
    log_in(page, fam.contract, fam.password)
    page.get_by_label("Сумма пополнения, ₽").fill("500")
    page.get_by_role("button", name="Рассчитать комиссию").click()
    quote = page.get_by_test_id("quote")
    expect(quote).to_contain_text("комиссия банка")
    expect(quote.get_by_role("button", name=re.compile("Оплатить"))).to_be_visible()
    expect(quote.get_by_label("Запомнить карту")).not_to_be_checked()
    check(page, "parent-topup")


def test_the_cabinet_is_an_installable_app(stack: Stack) -> None:
    manifest = stack.http.get("/manifest.webmanifest").json()
    assert manifest["lang"] == "ru"
    assert manifest["display"] == "standalone"
    assert {"192x192", "512x512"} <= {icon["sizes"] for icon in manifest["icons"]}
    worker = stack.http.get("/sw.js")
    assert worker.status_code == 200
    assert "fetch" in worker.text
    assert Path(ROOT / "frontend" / "public" / "sw.js").read_text() == worker.text
    policy = worker.headers["content-security-policy"]  # the worker may fetch from its origin
    assert "connect-src 'self'" in policy
    assert "default-src 'none'" not in policy
