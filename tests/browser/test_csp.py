"""The Content-Security-Policy holds in a real browser: no page, Swagger UI included, has
anything refused by it, and the pages still work (issue 16 row 20)."""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage

from tests.browser.test_seed_story import sign_in
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_breaks_the_policy(new_page, live_server, register_reference_data):
    cast = make_ui_cast()
    issue = cast.published()
    page = new_page()
    refused: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", record)
    sign_in(page, cast.admin_a.username)
    for path in [
        "/",
        "/issues/",
        f"/issues/{issue.human_id}/",
        f"/issues/{issue.human_id}/statements/new/",
        "/issues/procurement-check/",
        "/estate-check/",
        "/catalogue/",
        "/accounts/tokens/",
        "/admin/",
        "/admin/accounts/user/",
    ]:
        response = page.goto(path)
        assert (
            response is not None
            and "script-src 'self'" in response.headers["content-security-policy"]
        )
        page.wait_for_load_state("networkidle")
    page.goto("/api/docs")
    # Swagger UI drew the operations from the schema: its scripts ran under the policy.
    page.wait_for_selector("#swagger-ui .opblock", timeout=15_000)
    assert refused == []
