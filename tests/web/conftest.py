from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright

from adapters.postgres import eventsourcing_env
from domain.ledger import Ledger
from tests.api.stack import Stack, running_stack
from tests.web.browser import chromium_path, new_context, require_build


@pytest.fixture(scope="module")
def stack(database_url: str) -> Iterator[Stack]:
    require_build()
    ledger = Ledger(eventsourcing_env(database_url), snapshot_interval=10)
    with running_stack(ledger, database_url) as found:
        yield found
    ledger.close()


# Per module, not per session: Playwright's sync API keeps an asyncio loop running in the main
# thread while it is open, and a later module of the same test process that starts a loop of
# its own (anyio.run) would find it ("Already running asyncio in this thread").
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as found:
        yield found


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    found = playwright.chromium.launch(
        executable_path=chromium_path(), args=["--no-sandbox", "--disable-dev-shm-usage"]
    )
    yield found
    found.close()


OpenPage = Callable[..., Page]


@pytest.fixture
def open_page(browser: Browser, stack: Stack) -> Iterator[OpenPage]:
    """A page in a fresh browser profile on the stack (`phone=True`: a phone's screen; `zone`:
    the device's time zone, the school's by default)."""
    contexts: list[BrowserContext] = []

    def opened(phone: bool = False, zone: str = "Asia/Novosibirsk") -> Page:
        contexts.append(new_context(browser, stack.url, phone=phone, zone=zone))
        return contexts[-1].new_page()

    yield opened
    for context in contexts:
        context.close()
