"""Issue 15's small screens and keyboards, in Chromium: at 375 x 812 the register list (cards,
filters folded), an issue page and the tracker's home scroll only downwards, shown by a real
screenshot, and pass axe there; and a keyboard user reaches the list's first result in a few key
presses (12: it took 33 before the filters folded)."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from kir.register.models import Issue, IssueState
from kir.tracker.demo import seed_tracker_demo
from kir.tracker.demo_edition import seed_demo_edition
from kir.web.demo.people import DEMO_PASSWORD
from kir.web.demo.seed import seed_demo
from tests.browser.axe import axe_violations
from tests.browser.conftest import STEP_TIMEOUT_MS
from tests.browser.test_seed_story import sign_in
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
SCALE = 2
# Key presses from a fresh load of the list to its first result: Tab to the skip link, Enter,
# then the page's own links and controls before the table (three links above the search, the
# search box and its button, the folded filter panel and the three download links).
KEYS_TO_FIRST_RESULT = 12


# The innermost elements whose right edge passes the window's: what a failure names.
STICKING_OUT = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .filter(e => ![...e.children].some(c => c.getBoundingClientRect().right >
                 document.documentElement.clientWidth + 0.5))
  .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') +
                 (e.className ? '.' + e.className : '') + ' ' +
                 Math.round(e.getBoundingClientRect().right) + 'px')"""


def phone_page(browser: Browser, base_url: str) -> Page:
    context = browser.new_context(base_url=base_url, viewport=PHONE, device_scale_factor=SCALE)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    return context.new_page()


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def assert_fits(page: Page, path: str, shot: Path) -> None:
    page.goto(path)
    page.wait_for_load_state("load")
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], (
        f"{path} is {widths[0]} px wide in a {widths[1]} px window; sticking out: "
        + ", ".join(page.evaluate(STICKING_OUT))
    )
    page.screenshot(path=str(shot), full_page=True)
    width, height = png_size(shot)
    # A full-page screenshot wider than the window would mean something sticks out.
    assert width == PHONE["width"] * SCALE, (path, width)
    assert height >= PHONE["height"] * SCALE
    # The cards and the folded panel are a layout of their own: axe checks it too.
    assert axe_violations(page) == []


def test_the_register_fits_a_phone(
    browser, live_server, settings, tmp_path, register_reference_data
):
    settings.KIR_DEMO = True
    settings.VAR_DIR = tmp_path / "var"
    seed_demo()
    seed_tracker_demo(days=2)
    seed_demo_edition()
    issue = Issue.objects.filter(state=IssueState.PUBLISHED).order_by("human_id").first()
    assert issue is not None
    page = phone_page(browser, live_server.url)
    try:
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill("brightwater-viewer")
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()
        assert_fits(page, "/issues/", tmp_path / "register-list.png")
        # Cards, not a table squeezed sideways: each cell shows its column's name.
        first = page.locator("table.stacked-table tbody tr").first
        assert first.evaluate("tr => getComputedStyle(tr).display") == "block"
        label = (
            first.locator("td").nth(2).evaluate("td => getComputedStyle(td, '::before').content")
        )
        assert label == '"State"'
        assert page.locator("details.filter-panel").get_attribute("open") is None
        expect(page.get_by_label("Firmware version")).to_be_hidden()
        filtered = "/issues/?category=superfluous_alerts&state=published"
        assert_fits(page, filtered, tmp_path / "register-list-filtered.png")
        expect(page.locator("#active-filters")).to_contain_text("2 filters: State Published")
        assert_fits(page, f"/issues/{issue.human_id}/", tmp_path / "issue.png")
        assert_fits(page, "/tracker/", tmp_path / "tracker-home.png")
        expect(page.get_by_role("heading", level=2).first).to_contain_text("edition")
    finally:
        page.context.close()


def test_the_first_result_is_a_few_keys_away(new_page, register_reference_data):
    cast = make_ui_cast()
    for n in range(3):
        cast.published(title=f"Keyboard issue {n}")
    page = new_page()
    sign_in(page, cast.other_supplier.username)
    page.goto("/issues/")
    first_result = page.locator("table a[href^='/issues/KIR-']").first
    presses = 0
    page.keyboard.press("Tab")
    presses += 1
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to main content"
    page.keyboard.press("Enter")
    presses += 1
    while not first_result.evaluate("a => a === document.activeElement"):
        assert presses < 40, "the first result is never reached"
        page.keyboard.press("Tab")
        presses += 1
    assert presses <= KEYS_TO_FIRST_RESULT, presses
