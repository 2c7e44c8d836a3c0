"""Issue 15, items 7 and 10, in Chromium: the error summary takes focus on load (with and
without JavaScript) and its links move focus to their fields; the approve page shows the
checklist and the snapshot, and the notify page the notice and its recipients, before the
button; axe-core finds no violation on any of them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from kir.register.models import Issue, IssueState
from kir.register.services import manufacturer_acknowledge
from tests.browser.axe import axe_violations
from tests.browser.conftest import STEP_TIMEOUT_MS
from tests.browser.test_seed_story import sign_in
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FIRMWARE = "Enter the first fixed firmware as 8 hexadecimal digits, for example 0A1B2C3D"


def focused_id(page: Page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def send_a_bad_edit(page: Page, issue: Issue) -> None:
    page.goto(f"/issues/{issue.human_id}/edit/")
    page.get_by_label("Title").fill("")
    page.get_by_label("First fixed firmware").fill("XYZ")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()


def test_the_summary_takes_focus_and_its_links_focus_their_fields(
    new_page, live_server, register_reference_data
):
    cast = make_ui_cast()
    issue = cast.draft()
    page = new_page()
    sign_in(page, cast.reporter.username)
    send_a_bad_edit(page, issue)
    assert focused_id(page) == "error-summary"
    assert axe_violations(page) == []
    page.get_by_role("link", name=f"Product 1: {FIRMWARE}").click()
    expect(page.locator("#id_products-0-first_fixed_firmware")).to_be_focused()
    page.get_by_role("link", name="Enter the title").click()
    expect(page.get_by_label("Title")).to_be_focused()
    # The message beside the field is what a screen reader hears with it.
    described = page.get_by_label("Title").get_attribute("aria-describedby") or ""
    assert page.locator(f"#{described.split()[-1]}").inner_text().endswith("Enter the title")


def test_without_javascript_the_summary_is_focused_and_first_in_the_tab_order(
    browser, live_server, register_reference_data
):
    cast = make_ui_cast()
    issue = cast.draft()
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in(page, cast.reporter.username)
        send_a_bad_edit(page, issue)
        assert focused_id(page) == "error-summary"
        page.keyboard.press("Tab")
        expect(page.get_by_role("link", name="Enter the title")).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.get_by_label("Title")).to_be_focused()
    finally:
        context.close()


def test_the_approve_and_notify_pages_show_what_will_be_recorded_and_sent(
    new_page, live_server, register_reference_data
):
    cast = make_ui_cast()
    submitted = cast.step(cast.draft(title="To notify"), "submit_for_assessment", cast.reporter)
    notified = cast.notified()
    manufacturer_acknowledge(issue=notified, actor=cast.manufacturer_user)
    proposed = cast.step(notified, "propose_publication", cast.admin_a)

    admin_a = new_page()
    sign_in(admin_a, cast.admin_a.username)
    admin_a.goto(f"/issues/{submitted.human_id}/transition/notify_manufacturer/")
    expect(admin_a.get_by_role("heading", name="Notice to Acme Metering")).to_be_visible()
    expect(admin_a.get_by_text("maker (Acme Metering): maker@example.org")).to_be_visible()
    expect(admin_a.locator(".notice-text")).to_contain_text("Devices from Acme Meters")
    assert axe_violations(admin_a) == []
    admin_a.goto(f"/issues/{proposed.human_id}/transition/publish/")
    expect(
        admin_a.get_by_role("heading", name="Approve and publish is not possible yet")
    ).to_be_visible()
    expect(admin_a.get_by_role("button", name="Approve and publish")).to_have_count(0)
    assert axe_violations(admin_a) == []

    admin_b = new_page()
    sign_in(admin_b, cast.admin_b.username)
    admin_b.goto(f"/issues/{proposed.human_id}/")
    admin_b.get_by_role("link", name="Approve and publish").click()
    checklist = admin_b.get_by_role("table")
    expect(admin_b.get_by_role("heading", name="Threshold checklist")).to_be_visible()
    expect(checklist.get_by_role("row")).to_have_count(6)  # the header and five rules
    expect(checklist).not_to_contain_text("Not met")
    snapshot = admin_b.get_by_role("region", name="Evidence and impact to be recorded")
    expect(snapshot).to_contain_text("Measured over 14 days in CSP North.")
    assert axe_violations(admin_b) == []
    admin_b.get_by_role("button", name="Approve and publish").click()
    expect(admin_b.get_by_role("alert")).to_contain_text(re.compile("Approve and publish: done"))
    assert Issue.objects.get(pk=proposed.pk).state == IssueState.PUBLISHED
