"""Every page carries the strict Content-Security-Policy, and none has what it would refuse:
inline script, event-handler attributes, inline style (issue 16 row 20). The pages are found
by following links from the home page as a SECAS administrator (who reaches the admin too)
and as a supplier, up to a bound."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from kir.register.services import statement_add
from tests.register.ui_cast import make_ui_cast

pytestmark = pytest.mark.django_db

MAX_PAGES = 150
# Links that change state on GET are none (every write is a POST); these only repeat a page
# with other query values, or leave the HTML world.
SKIPPED = re.compile(r"^/(static|media-not-served)/|\.csv$|\.xlsx$|/logout/|/admin/logout/")
EXPECTED_POLICY = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "form-action": ["'self'"],
    "frame-ancestors": ["'none'"],
}


def policy_of(response) -> dict[str, list[str]]:
    directives = (part.split() for part in response["Content-Security-Policy"].split(";"))
    return {name: values for name, *values in directives}


class PageScan(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.problems: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, _ in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...> inline style")
        if tag == "style":
            self.problems.append("<style> element")
        # A JSON data block is not run (Swagger UI's settings); any other inline script would.
        if tag == "script" and not values.get("src") and values.get("type") != "application/json":
            self.problems.append("inline <script>")
        if tag == "a" and values.get("href"):
            self.links.append(values["href"] or "")


def _crawl(client: Client) -> dict[str, list[str]]:
    seen: set[str] = set()
    queue = ["/"]
    problems: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, path
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if "text/html" not in response.get("Content-Type", ""):
            continue
        assert policy_of(response) == EXPECTED_POLICY, path
        scan = PageScan()
        scan.feed(response.content.decode())
        if scan.problems:
            problems[path] = scan.problems
        for href in scan.links:
            target = urlsplit(urljoin(path, href))
            if target.netloc or SKIPPED.search(target.path):
                continue
            # One version of each page: query strings only sort and filter.
            if target.path not in seen:
                queue.append(target.path)
    assert len(seen) > 20, seen
    return problems


def test_no_page_has_inline_script_style_or_handlers():
    cast = make_ui_cast()
    issue = cast.published()
    statement_add(issue=issue, actor=cast.manufacturer_user, kind="root_cause", text="A timer.")
    cast.draft(title="A draft")
    cast.admin_a.is_staff = True
    cast.admin_a.save()
    for user in (cast.admin_a, cast.reporter):
        client = Client()
        client.force_login(user)
        assert _crawl(client) == {}


def test_the_api_docs_page_runs_no_inline_script():
    cast = make_ui_cast()
    client = Client()
    client.force_login(cast.reporter)
    response = client.get("/api/docs")
    assert policy_of(response) == EXPECTED_POLICY
    scan = PageScan()
    scan.feed(response.content.decode())
    assert scan.problems == []
    assert 'src="/static/ninja/swagger-ui-init.js"' in response.content.decode()
