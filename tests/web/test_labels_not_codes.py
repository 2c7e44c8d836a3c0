"""No page of the demo shows a raw code where a person reads it: every page each role can
reach from its home page is rendered, and its visible text must hold no value of the apps'
choices that only a program would write (`superfluous_alerts`, `north_central`), nor any
other snake_case token. Labels come from the choices (get_FOO_display) or a label function."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from django.apps import apps
from django.test import Client
from django.urls import Resolver404, resolve

from kir.accounts.models import User
from kir.outbox.worker import deliver_due
from kir.tracker.demo import seed_tracker_demo
from kir.tracker.demo_edition import seed_demo_edition
from kir.web.demo.seed import seed_demo
from tests.web.page_text import visible_text

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

# One user of every role and of every kind of SEC Party the demo has.
PERSONAS = (
    "secas-administrator",
    "secas-coordinator",
    "dcc-coordinator",
    "brightwater-contributor",
    "heron-viewer",
    "pennine-viewer",
    "meterix-administrator",
)
# Not pages for people: Django's admin, JSON, feeds, downloads and the CSAF provider tree.
NOT_PAGES = ("/admin/", "/api/", "/static/", "/.well-known/", "/accounts/logout/")
# Pages of one kind (one URL pattern) are alike but for their data: enough of each to see
# every demo issue's state, not every catalogue version.
PER_ROUTE = 10
# Pages that no link on a home page leads to (or only some roles'), and a filtered list.
START = (
    "/",
    "/issues/?category=superfluous_alerts&region=north&state=published&sort=-impact",
    "/tracker/runs/",
    "/tracker/runs/new/",
    "/notifications/subscriptions/",
    "/notifications/bulletins/",
    "/notifications/bulletins/new/",
    "/webhooks/",
)
# A webhook event's type (`tracker.edition_published`) is the identifier a receiver subscribes
# to, so the webhook form names it on purpose: a dotted name is not taken for a raw code.
# The pages where codes were found before (issue 15): the crawl must keep reaching them.
MUST_VISIT = (
    "issues/",
    "issues/<str:human_id>/",
    "issues/<str:human_id>/edit/",
    "catalogue/models/<str:manufacturer>/<str:model_id>/",
    "tracker/",
    "tracker/runs/<int:run_id>/",
    "tracker/findings/<int:pk>/",
    "tracker/editions/<int:number>/",
    "notifications/subscriptions/",
    "webhooks/",
)
SNAKE_CASE = re.compile(r"(?<![.\w])[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
HREF = re.compile(r"""<a\b[^>]*\bhref="([^"#]+)""")


def raw_choice_values() -> set[str]:
    """Every value of a kir app's TextChoices that reads as code, not as a word."""
    values: set[str] = set()
    for config in apps.get_app_configs():
        if not config.name.startswith("kir."):
            continue
        for model in config.get_models():
            for field in model._meta.get_fields():
                for value, _label in getattr(field, "flatchoices", None) or ():
                    if isinstance(value, str) and SNAKE_CASE.fullmatch(value):
                        values.add(value)
    return values


def _route(path: str) -> str | None:
    try:
        return resolve(path).route
    except Resolver404:
        return None


def crawl(client: Client, start: tuple[str, ...] = START) -> Iterator[tuple[str, str]]:
    """(path, visible text) of each HTML page reachable by links, a few per URL pattern."""
    seen: set[str] = set()
    per_route: Counter[str] = Counter()
    queue = list(start)
    while queue:
        path = queue.pop(0)
        route = _route(urlsplit(path).path)
        if path in seen or route is None or per_route[route] >= PER_ROUTE:
            continue
        seen.add(path)
        per_route[route] += 1
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        yield path, visible_text(html)
        for href in HREF.findall(html):
            target = urljoin(path, href.replace("&amp;", "&"))
            parts = urlsplit(target)
            if parts.netloc or parts.path.startswith(NOT_PAGES):
                continue
            queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))


@pytest.fixture
def demo(settings, tmp_path) -> None:
    settings.KIR_DEMO = True
    settings.VAR_DIR = tmp_path
    seed_demo()
    seed_tracker_demo(days=3)
    seed_demo_edition()
    deliver_due()


def test_no_page_shows_a_raw_code_to_any_role(demo):
    raw_values = raw_choice_values()
    assert {"superfluous_alerts", "known_affected"} <= raw_values  # the check has teeth
    shown: dict[str, list[str]] = {}
    pages = 0
    routes: set[str | None] = set()
    for username in PERSONAS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        for path, text in crawl(client):
            pages += 1
            routes.add(_route(urlsplit(path).path))
            tokens = sorted(set(SNAKE_CASE.findall(text)))
            if tokens:
                shown[f"{username} {path}"] = tokens
    assert pages > 300, pages
    assert set(MUST_VISIT) <= routes, set(MUST_VISIT) - routes
    assert {page: t for page, t in shown.items() if set(t) & raw_values} == {}
    assert shown == {}


def test_it_reads_text_and_spoken_attributes_but_not_values_or_code():
    html = (
        '<p>Category <span aria-label="Superfluous alerts">!</span></p>'
        '<select><option value="superfluous_alerts">Superfluous alerts</option></select>'
        "<code>lines_without_count</code><script>var raw_code = 1;</script>"
        '<input type="submit" value="Save draft"><p>north_central</p>'
    )
    text = visible_text(html)
    assert text == "Category Superfluous alerts ! Superfluous alerts Save draft north_central"
    assert SNAKE_CASE.findall(text) == ["north_central"]
