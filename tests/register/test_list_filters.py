"""The register list's filter panel: folded away, its active filters summed up in words, and a
link that clears them (keeping the search); register/filter_summary.py."""

from __future__ import annotations

import re

import pytest
from django.http import QueryDict

from kir.register.filter_summary import active_filters, cleared_query, summary
from kir.register.forms import IssueFilterForm
from tests.clients import signed_in
from tests.register.test_views import page
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def test_it_names_each_active_filter_by_its_label():
    form = IssueFilterForm(
        {
            "q": "valve",
            "manufacturer": "Acme",
            "state": "published",
            "category": "superfluous_alerts",
            "date_from": "2026-12-03",
            "sort": "-impact",
        }
    )
    filters = active_filters(form)
    assert summary(filters) == (
        "4 filters: State Published, Category Superfluous alerts, Manufacturer Acme, "
        "Updated from 3 December 2026"
    )


def test_it_lists_nothing_unbound_or_only_searched_and_counts_one_filter_singly():
    assert active_filters(IssueFilterForm()) == []
    assert active_filters(IssueFilterForm({"q": "valve", "sort": "-impact", "page": "2"})) == []
    assert summary(active_filters(IssueFilterForm({"region": "north"}))) == "1 filter: Region North"


def test_a_filter_that_fails_validation_is_not_listed_as_filtering():
    form = IssueFilterForm({"state": "not_a_state", "date_from": "2026-02-01"})
    filters = active_filters(form)
    assert [str(f) for f in filters] == ["Updated from 1 February 2026"]


def test_clearing_keeps_the_search_and_the_sort_only():
    query = QueryDict("q=valve&state=published&region=north&sort=-impact&page=3")
    assert cleared_query(query) == "q=valve&sort=-impact"
    assert cleared_query(QueryDict("state=published")) == ""


def test_the_panel_is_closed_and_says_what_filters_are_on(cast):
    client = signed_in(cast.other_supplier)
    text = page(client.get("/issues/", {"q": "valve", "category": "superfluous_alerts"}))
    assert re.search(
        r'<details class="filter-panel">\s*<summary>Filters and sort order \(1 active\)', text
    )
    assert "1 filter: Category Superfluous alerts." in text
    assert '<a href="/issues/?q=valve">Clear filters</a>' in text
    # The search box stays outside the panel, so searching needs no unfolding.
    assert text.index('id="id_q"') < text.index('class="filter-panel"')


def test_the_panel_says_nothing_is_on_when_nothing_is(cast):
    text = page(signed_in(cast.other_supplier).get("/issues/"))
    assert "<summary>Filters and sort order</summary>" in text
    assert "Clear filters" not in text


def test_the_panel_opens_when_a_filter_needs_correcting(cast):
    text = page(
        signed_in(cast.other_supplier).get(
            "/issues/", {"date_from": "2026-02-01", "date_to": "2026-01-01"}
        )
    )
    assert '<details class="filter-panel" open>' in text
