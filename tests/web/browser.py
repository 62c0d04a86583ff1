"""Headless Chromium for the web tests: Debian's /usr/bin/chromium driven by Playwright for
Python (no browser download), axe-core from the front end's npm packages for accessibility,
and screenshots for `make screenshots` (INFOSHKOLA_SCREENSHOTS names the folder)."""

import os
import shutil
import struct
import zlib
from pathlib import Path
from typing import Any
from urllib.parse import urlparse
from uuid import UUID, uuid4

from playwright.sync_api import Browser, BrowserContext, Page, ViewportSize

from identity.service import Role
from tests.api.stack import STAFF_PASSWORD, Stack

ROOT = Path(__file__).resolve().parents[2]
FRONTEND = ROOT / "frontend"
AXE = FRONTEND / "node_modules" / "axe-core" / "axe.min.js"
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1280, height=860)
LOOPBACK = {"127.0.0.1", "localhost", "[::1]", "::1"}


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(found).exists():
        raise RuntimeError("Debian's chromium is missing: `make setup` installs it")
    return found


def require_build() -> None:
    if not (FRONTEND / "dist" / "index.html").is_file() or not AXE.is_file():
        raise RuntimeError("the front end is not built: run `make web` (or `make setup`)")


def new_context(
    browser: Browser, base_url: str, *, phone: bool = False, zone: str = "Asia/Novosibirsk"
) -> BrowserContext:
    """A fresh profile in the time zone `zone` (the test school's by default); CSP bypassed only
    so axe-core can be injected for the check."""
    context = browser.new_context(
        base_url=base_url,
        viewport=PHONE if phone else DESKTOP,
        locale="ru-RU",
        timezone_id=zone,
        bypass_csp=True,
        service_workers="block",
        accept_downloads=True,
    )
    context.set_default_timeout(20_000)
    return context


class Outside:
    """Every request a page makes that leaves the machine (there must be none)."""

    def __init__(self, page: Page) -> None:
        self.hosts: list[str] = []
        page.on("request", self._seen)

    def _seen(self, request: Any) -> None:
        url = urlparse(request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname not in LOOPBACK:
            self.hosts.append(request.url)


def log_in(page: Page, username: str, password: str, *, forget: bool = False) -> None:
    page.goto("/")
    page.get_by_label("Номер договора или телефон").fill(username)
    page.get_by_label("Пароль", exact=True).fill(password)
    if forget:
        page.get_by_label("Не запоминать меня").check()
    page.get_by_role("button", name="Войти").click()


def staff_logs_in(stack: Stack, page: Page, role: Role, school: UUID) -> None:
    """A new staff login with `role` at `school`, logged in on the page."""
    username = f"{role.value}-{uuid4().hex[:8]}"
    stack.identity.create_staff(username, STAFF_PASSWORD, role, [school], False)
    log_in(page, username, STAFF_PASSWORD)


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
        ".filter(v => v.impact === 'serious' || v.impact === 'critical')"
        ".map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).join(', '))"
    )
    return list(result)


# What sticks out sideways past the screen's width, outside any scrolling box (empty when the
# page fits: on a phone a wide table or button must wrap, not push the page sideways).
STICKING_OUT = """() => {
  const width = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= width) return [];
  const clipped = (el) => {
    for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
      if (getComputedStyle(up).overflowX !== "visible") return true;
    }
    return false;
  };
  const out = [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > width + 1 && !clipped(el))
    .map((el) => `${el.tagName.toLowerCase()} "${(el.textContent || "").trim().slice(0, 40)}"`);
  const wide = `the page is ${document.documentElement.scrollWidth}px wide`;
  return out.length ? out.slice(0, 5) : [wide];
}"""


def sticking_out(page: Page) -> list[str]:
    """The elements wider than the screen lets them be (none when the page fits its width)."""
    return list(page.evaluate(STICKING_OUT))


def check(page: Page, name: str) -> None:
    """The page passes axe-core with no serious violation and fits the screen's width; its
    screenshot when asked for."""
    page.wait_for_load_state("networkidle")
    found = serious_violations(page) + [f"sticks out: {e}" for e in sticking_out(page)]
    folder = os.environ.get("INFOSHKOLA_SCREENSHOTS")
    if folder:
        target = ROOT / folder
        target.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target / f"{name}.png"), full_page=True)
    assert not found, f"{name}: {found}"


def portrait_png(size: int = 96) -> bytes:
    """A small real PNG (a face-like picture) for the till's photo check."""
    rows = []
    for y in range(size):
        row = bytearray([0])
        for x in range(size):
            dx, dy = x - size / 2, y - size / 2.2
            inside = dx * dx / 0.8 + dy * dy < (size / 3.2) ** 2
            eye = (abs(abs(dx) - size / 8) < size / 24) and abs(dy + size / 12) < size / 24
            row += bytes((40, 40, 60) if eye else (236, 196, 160) if inside else (200, 220, 240))
        rows.append(bytes(row))
    raw = zlib.compress(b"".join(rows), 9)

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")
