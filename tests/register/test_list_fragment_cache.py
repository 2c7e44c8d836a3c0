"""The list page's memoised fragments (settings.CACHES["template_fragments"]): a row is kept by
its issue's id, version and update time, the filter form by the query string. What a viewer sees
is still chosen live by the visibility selector: a row cached for one role is never a way for
another role to see an issue, and a changed issue is never shown as it was."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from kir.register.models import IssueState
from kir.register.services import issue_update
from kir.register.services._common import write_issue
from tests.register.cast import Cast, build_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> Cast:
    return build_cast()


def list_page(user, query: str = "") -> str:
    client = Client()
    client.force_login(user)
    response = client.get(f"/issues/{query}")
    assert response.status_code == 200
    return response.content.decode()


def test_it_fills_the_fragment_cache_from_the_list(cast):
    """The memo is really used: a list page leaves its rows and its form in the cache."""
    cast.issue(IssueState.PUBLISHED)
    fragments = caches["template_fragments"]
    fragments.clear()
    list_page(cast.users["small_supplier"])
    assert len(fragments._cache) == 2  # type: ignore[attr-defined]  # one row, one form


def test_a_row_cached_for_one_role_never_shows_a_hidden_issue_to_another(cast):
    draft = cast.issue(IssueState.DRAFT, title="Draft only its reporter and oversight see")
    notified = cast.issue(IssueState.MANUFACTURER_NOTIFIED, title="Named manufacturer sees it")
    published = cast.issue(IssueState.PUBLISHED, title="Everyone sees this one")
    for oversight in ("secas", "dcc"):
        seen = list_page(cast.users[oversight])
        assert draft.title in seen and notified.title in seen and published.title in seen
    for outsider in ("small_supplier", "unrelated_manufacturer", "other_party"):
        seen = list_page(cast.users[outsider])
        assert published.title in seen
        assert draft.title not in seen and draft.human_id not in seen
        assert notified.title not in seen and notified.human_id not in seen
    named = list_page(cast.users["named_manufacturer"])
    assert notified.title in named and draft.title not in named


def test_a_changed_issue_is_rendered_anew_not_from_its_old_row(cast):
    issue = cast.issue(IssueState.DRAFT, title="Alerts repeat after the old firmware")
    reporter = cast.users["reporter"]
    assert "Alerts repeat after the old firmware" in list_page(reporter)
    issue_update(issue=issue, actor=reporter, expected_version=issue.version,
                 title="Alerts repeat after the new firmware")  # fmt: skip
    seen = list_page(reporter)
    assert "Alerts repeat after the new firmware" in seen
    assert "Alerts repeat after the old firmware" not in seen
    issue.refresh_from_db()
    write_issue(issue, expected_version=issue.version, state=IssueState.WITHDRAWN)
    assert '<strong class="badge withdrawn">' in list_page(reporter)


def test_an_issue_hidden_after_its_row_was_cached_leaves_the_list(cast):
    issue = cast.issue(IssueState.PUBLISHED, title="Published, then taken back to draft")
    supplier = cast.users["small_supplier"]
    assert issue.title in list_page(supplier)
    write_issue(issue, expected_version=issue.version, state=IssueState.DRAFT)
    assert issue.title not in list_page(supplier)
    assert issue.title in list_page(cast.users["reporter"])


def test_the_filter_form_shows_each_query_its_own_values(cast):
    user = cast.users["small_supplier"]
    assert 'value="alpha"' in list_page(user, "?q=alpha")
    seen = list_page(user, "?q=beta")
    assert 'value="beta"' in seen and 'value="alpha"' not in seen
    invalid = list_page(user, "?date_from=2026-02-01&date_to=2026-01-01")
    assert "The end date must not be before the start date." in invalid
    assert "The end date must not be before" not in list_page(user, "?date_from=2026-02-01")
