"""The seed paper's story, end to end in Chromium, through the pages only.

A supplier reports what it sees; SECAS assesses it; the manufacturer is told (the e-mail goes
through a real SMTP server) without any assertion of responsibility, and replies; one
administrator proposes publication and a different one publishes it (the proposer cannot); then
another supplier, about to buy, finds the issue through the procurement check.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from kir.register.models import Issue, IssueState, ThresholdPolicy
from tests.browser.axe import AxeAudit
from tests.factories import TEST_PASSWORD
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Audit = Callable[[Page, str], None]


def no_audit(page: Page, who: str) -> None:
    """The helpers' default when another test walks them without an accessibility check."""


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def open_issue(page: Page, human_id: str) -> None:
    page.goto(f"/issues/{human_id}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(human_id)


def take_step(page: Page, label: str, reason: str = "", audit: Audit = no_audit) -> None:
    """Follow the issue page's link for a workflow step and submit its form."""
    page.get_by_role("link", name=label, exact=True).click()
    audit(page, f"step {label}")
    if reason:
        page.get_by_label(re.compile("^Reason")).fill(reason)
    page.get_by_role("button", name=label, exact=True).click()
    audit(page, f"after {label}")


def report_draft(page: Page, version_pk: int, audit: Audit = no_audit) -> str:
    page.goto("/issues/")
    audit(page, "reporter")
    page.get_by_role("link", name="Report an issue").click()
    audit(page, "reporter")
    page.get_by_label("Title").fill("Supply-restored alerts repeat after a power cut")
    page.get_by_label("Summary").fill(
        "After power returns, some ESMEs send alert 8F35 every few seconds for hours."
    )
    page.get_by_label("Description").fill("Seen in **CSP North** since the last firmware update.")
    page.get_by_label("Category").select_option("superfluous_alerts")
    page.locator('input[name="regions"][value="north"]').check()
    page.get_by_label("Evidence level").select_option("reported")
    page.get_by_label("Impact level").select_option("moderate")
    page.get_by_label("Find a device version or DMC").press_sequentially("Acme E1")
    page.locator(f'button[name="add_product"][value="version:{version_pk}"]').click()
    page.locator("#id_products-0-status").select_option("known_affected")
    audit(page, "reporter, product picked")
    page.get_by_role("button", name="Save draft").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("Supply-restored alerts repeat")
    audit(page, "reporter")
    match = re.search(r"KIR-\d{4}-\d{4}", heading.inner_text())
    assert match, heading.inner_text()
    return match.group(0)


def assess(page: Page, human_id: str, audit: Audit = no_audit) -> None:
    """SECAS raises evidence and impact on the measured figures, then notifies the maker."""
    open_issue(page, human_id)
    audit(page, "admin_a")
    page.get_by_role("link", name="Edit", exact=True).click()
    audit(page, "admin_a")
    page.get_by_label("Evidence level").select_option("corroborated")
    page.get_by_label("Impact level").select_option("high")
    page.get_by_label("Excess alerts per day").fill("1800")
    page.get_by_label("Installations affected").fill("420")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("dl.facts").first).to_contain_text("Corroborated")
    audit(page, "admin_a")
    take_step(page, "Notify manufacturer", "Meets the threshold on CSP North figures.", audit)
    expect(page.locator("dl.facts").first).to_contain_text("Manufacturer notified")


def respond_as_manufacturer(page: Page, human_id: str, audit: Audit = no_audit) -> None:
    open_issue(page, human_id)
    audit(page, "maker")
    page.get_by_role("link", name="Respond as manufacturer").click()
    audit(page, "maker")
    page.locator('input[name="response"][value="acknowledge"]').check()
    page.get_by_role("button", name="Send response").click()
    # Back where the action started, told what happened.
    expect(page.get_by_role("alert")).to_contain_text("Acknowledged")
    expect(page.get_by_role("heading", level=1)).to_contain_text(human_id)
    audit(page, "maker, acknowledged")
    page.get_by_role("link", name="Add a statement").click()
    audit(page, "maker")
    page.get_by_label("Kind").select_option("root_cause")
    page.get_by_label("Text").fill(
        "A retry timer restarts on power restoration; firmware 01020305 changes the back-off."
    )
    page.get_by_role("button", name="Submit statement").click()
    expect(page.get_by_role("alert")).to_contain_text("Your root cause statement is added.")
    expect(page.locator("#statements-heading")).to_be_visible()
    expect(page.get_by_role("article")).to_contain_text("Root cause by Acme Metering")
    audit(page, "maker, statement added")


def _manufacturer_notice(smtp_server):
    """The notice among the e-mails: SECAS's submission notices arrive before it."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for mail in list(smtp_server.received):
            if "notice of a possible issue" in mail.subject:
                return mail
        time.sleep(0.1)
    raise AssertionError(f"no manufacturer notice among {len(smtp_server.received)} e-mails")


def test_the_seed_story_end_to_end(new_page, smtp_server, outbox_worker, register_reference_data):
    assert ThresholdPolicy.objects.get(in_force=True).second_approver_required
    cast = make_ui_cast()
    audit = AxeAudit()

    reporter = new_page()
    reporter.goto("/accounts/login/")
    audit(reporter, "signed out")
    sign_in(reporter, cast.reporter.username)
    audit(reporter, "reporter")
    human_id = report_draft(reporter, cast.version.pk, audit)
    take_step(reporter, "Submit for assessment", audit=audit)
    expect(reporter.locator("dl.facts").first).to_contain_text("Under assessment")

    admin_a = new_page()
    sign_in(admin_a, cast.admin_a.username)
    audit(admin_a, "admin_a")
    assess(admin_a, human_id, audit)

    notice = _manufacturer_notice(smtp_server)
    assert sorted(notice.recipients) == ["contact@acme-metering.example", "maker@example.org"]
    assert human_id in notice.subject
    body = " ".join(notice.body.split())
    assert "makes no finding about its cause or about the obligations of any party" in body
    assert "We invite you to cooperate" in body
    for assertion in ("non-compliant", "defective", "fault of", "breach"):
        assert assertion not in body.lower()

    maker = new_page()
    sign_in(maker, cast.manufacturer_user.username)
    audit(maker, "maker")
    respond_as_manufacturer(maker, human_id, audit)

    open_issue(admin_a, human_id)
    take_step(admin_a, "Propose publication", audit=audit)
    expect(admin_a.locator("#publication-heading")).to_be_visible()
    expect(admin_a.get_by_text("Publication was proposed by admin-a")).to_be_visible()
    # The proposer is not offered the approval; the page says why, and who can.
    expect(admin_a.get_by_role("link", name="Approve and publish", exact=True)).to_have_count(0)
    admin_a.get_by_text("Other steps from here").click()
    not_offered = admin_a.locator("details.steps-not-offered")
    expect(not_offered).to_contain_text("Approve and publish")
    expect(not_offered).to_contain_text("who proposed publication cannot also approve it")
    audit(admin_a, "admin_a, steps not offered open")
    assert Issue.objects.get(human_id=human_id).state == IssueState.MANUFACTURER_NOTIFIED

    admin_b = new_page()
    sign_in(admin_b, cast.admin_b.username)
    open_issue(admin_b, human_id)
    audit(admin_b, "admin_b")
    take_step(admin_b, "Approve and publish", audit=audit)
    expect(admin_b.locator("dl.facts").first).to_contain_text("Published")

    buyer = new_page()
    sign_in(buyer, cast.other_supplier.username)
    audit(buyer, "buyer")
    buyer.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Procurement check"
    ).click()
    audit(buyer, "buyer")
    buyer.get_by_label("Paste models, firmware versions or DMCs").fill("1A2B 00012345")
    buyer.get_by_role("button", name="Check", exact=True).click()
    results = buyer.locator("section[aria-labelledby=check-results-heading]")
    expect(results).to_contain_text("1A2B/00012345")
    audit(buyer, "buyer, checked")
    results.get_by_role("link", name=human_id).click()
    expect(buyer.locator("dl.facts").first).to_contain_text("Published")
    expect(buyer.get_by_role("article")).to_contain_text("A retry timer restarts")
    audit(buyer, "buyer")
    # Every page of the story, as each of its five people saw it, at WCAG 2.2 AA.
    assert len(audit.pages) == 30, audit.pages
    assert audit.violations == []


def test_the_register_is_usable_from_the_keyboard(new_page, register_reference_data):
    cast = make_ui_cast()
    cast.published(title="Keyboard findable issue")
    page = new_page()
    sign_in(page, cast.other_supplier.username)
    page.goto("/issues/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Skip to main content"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "focus must be visible"
    page.keyboard.press("Enter")
    search = page.get_by_label("Search text")
    search.focus()
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    page.keyboard.type("findable")
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name=re.compile(r"KIR-\d{4}-\d{4}"))).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("1 issue")
