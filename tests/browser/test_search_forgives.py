"""Search that forgives, in Chromium: a misspelt word finds nothing, the page offers the word
the register knows, and following the suggestion runs the corrected search; axe-core finds
nothing on either page."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from kir.register.models import IssueState
from tests.browser.axe import axe_violations
from tests.browser.test_seed_story import sign_in
from tests.factories import IssueFactory
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_misspelt_search_offers_the_word_and_the_link_finds_the_issue(new_page, live_server):
    cast = make_ui_cast()
    IssueFactory(
        human_id="KIR-2000-0042",
        title="Battery drains within weeks on gas meters",
        state=IssueState.PUBLISHED,
        published_at=timezone.now(),
    )
    # Another Party's draft spells it "batery": were the draft's words the supplier's, the word
    # would count as known and no suggestion would be made.
    IssueFactory(title="Batery drains, draft", state=IssueState.DRAFT)
    page = new_page()
    sign_in(page, cast.other_supplier.username)
    page.goto("/issues/")
    page.get_by_label("Search text").fill("batery")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No issues match.")).to_be_visible()
    suggestion = page.get_by_role("link", name="battery", exact=True)
    expect(page.locator("#did-you-mean")).to_have_text("Did you mean battery?")
    assert axe_violations(page) == []
    suggestion.click()
    expect(page.get_by_label("Search text")).to_have_value("battery")
    expect(page.get_by_role("link", name="KIR-2000-0042")).to_be_visible()
    expect(page.locator("#did-you-mean")).to_have_count(0)
    assert axe_violations(page) == []
