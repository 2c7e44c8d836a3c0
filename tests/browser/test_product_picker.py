"""The issue form's product picker in Chromium: typing finds versions and DMCs (htmx, under the
CSP), Add appends rows without reloading the page, the draft saves them; the same without
JavaScript as a plain search-and-add; axe-core finds nothing on the pages it touches."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.axe import axe_violations
from tests.browser.conftest import STEP_TIMEOUT_MS
from tests.browser.test_seed_story import sign_in
from tests.factories import DMCFactory
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIND = "Find a device version or DMC"


def start_report(page: Page) -> None:
    page.goto("/issues/new/")
    page.get_by_label("Title").fill("Alerts repeat after power restoration")
    page.get_by_label("Summary").fill("Alert 8F35 repeats every few seconds.")


def test_typing_finds_and_add_appends_rows_without_a_reload(
    new_page, live_server, register_reference_data
):
    cast = make_ui_cast()
    dmc = DMCFactory(name="North pair", members=[cast.version, cast.other_version])
    page = new_page()
    refused: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(message.text)

    page.on("console", record)
    sign_in(page, cast.reporter.username)
    start_report(page)
    page.evaluate("window.kirNoReload = true")
    page.get_by_label(FIND).press_sequentially("Other G1", delay=30)
    add_other = page.get_by_role("button", name=f"Add {cast.other_version}")
    add_other.click()
    expect(page.get_by_role("group", name=re.compile("Product 1: .*Other G1"))).to_be_visible()
    page.get_by_label(FIND).fill("")
    page.get_by_label(FIND).press_sequentially(dmc.identifier, delay=30)
    expect(page.get_by_text(f"This DMC contains: {cast.version}")).to_be_visible()
    page.get_by_role("button", name=f"Add {dmc.identifier} North pair").click()
    expect(page.get_by_role("group", name=f"Product 2: DMC {dmc.identifier}")).to_be_visible()
    assert page.evaluate("window.kirNoReload") is True  # htmx did it: the page never reloaded
    assert axe_violations(page) == []
    page.get_by_role("group", name=re.compile("Product 1: .*Other G1")).get_by_label(
        "Status"
    ).select_option("known_affected")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alerts repeat")
    products = page.get_by_role("region", name="Affected products")
    expect(products).to_contain_text(str(cast.other_version))
    expect(products).to_contain_text(f"DMC {dmc.identifier}")
    assert axe_violations(page) == []
    assert refused == []


def test_without_javascript_it_is_a_search_and_add(browser, live_server, register_reference_data):
    cast: UiCast = make_ui_cast()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, cast.reporter.username)
        start_report(page)
        page.get_by_label(FIND).fill("Acme E1")
        page.get_by_role("button", name="Find in the catalogue").click()
        page.get_by_role("button", name=f"Add {cast.version}").click()
        expect(page.get_by_role("group", name="Product 1: Acme Meters")).to_be_visible()
        expect(page.get_by_label("Title")).to_have_value("Alerts repeat after power restoration")
        page.get_by_label(FIND).fill("Other")
        page.get_by_role("button", name="Find in the catalogue").click()
        page.get_by_role("button", name=f"Add {cast.other_version}").click()
        expect(page.get_by_role("group", name=re.compile("Product 2: .*Other G1"))).to_be_visible()
        page.get_by_role("group", name=re.compile("Product 2: .*Other G1")).get_by_label(
            "Remove this product"
        ).check()
        page.get_by_role("button", name="Save draft").click()
        products = page.get_by_role("region", name="Affected products")
        expect(products).to_contain_text(str(cast.version))
        expect(products).not_to_contain_text(str(cast.other_version))
    finally:
        context.close()
