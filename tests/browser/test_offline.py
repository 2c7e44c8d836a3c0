"""No page of the product loads anything from outside the host it is served from.

Secure networks (and this machine) cannot reach a CDN; a page that asks one is broken there,
and leaks to a third party who reads the register when it works. Chromium records every request
each page makes, scripts, styles, fonts and images included.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Request

from tests.browser.test_seed_story import sign_in
from tests.register.ui_cast import make_ui_cast

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_no_page_requests_anything_off_the_host(new_page, live_server, register_reference_data):
    cast = make_ui_cast()
    issue = cast.published()
    page = new_page()
    requested: list[str] = []
    missing: list[str] = []

    def record(request: Request) -> None:
        requested.append(request.url)

    page.on("request", record)
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    sign_in(page, cast.admin_a.username)
    for path in [
        "/",
        "/issues/",
        f"/issues/{issue.human_id}/",
        "/issues/procurement-check/",
        "/catalogue/",
        "/accounts/tokens/",
        "/api/docs",
        "/admin/",
        "/no/such/page/",
    ]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    host = urlsplit(live_server.url).netloc
    off_host = [url for url in requested if urlsplit(url).netloc not in ("", host)]
    assert off_host == []
    # Nothing a page asks for is missing but the page that is (headless Chromium asks no
    # favicon; tests/web/test_favicon.py covers that).
    assert [url for url in missing if not url.endswith("/no/such/page/")] == []
    # The docs page drew Swagger UI from the installed package, and it arrived.
    assert any("/static/ninja/swagger-ui-bundle" in url for url in requested), requested
