"""The finding page and the lists read only what they show: charts drawn once per series, list
figures from the viewer's own view, and a query count that does not grow with history."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kir.outbox.worker import deliver_due
from kir.tracker import editions
from kir.tracker.finding_charts import finding_charts
from kir.tracker.page_data import rows_for
from kir.tracker.selectors import findings_visible_to
from tests.tracker.cast import daily, tracker_cast


@pytest.fixture
def cast(db):
    cache.clear()
    return tracker_cast()


def _publish(cast, run):
    edition = editions.edition_propose(actor=cast.admin_a, run=run)
    deliver_due()
    return editions.edition_approve(actor=cast.admin_b, edition=edition)


def test_charts_are_drawn_once_per_series_and_only_shared_for_the_same_figures(cast):
    figures = {"daily": daily(3), "installations": 200}
    first = finding_charts(7, figures)
    assert finding_charts(7, dict(figures)) == first  # the same drawing, from the cache
    other = finding_charts(7, {"daily": daily(3, sup=90), "installations": 200})
    assert other[0].svg != first[0].svg and other[0].table != first[0].table
    assert finding_charts(7, {"daily": None}) == []


def test_the_chart_table_escapes_what_it_shows(cast):
    series = daily(2)
    series[0]["day"] = "<b>2026-11-01</b>"
    [rate, _] = finding_charts(8, {"daily": series, "installations": 10})
    assert "<b>" not in rate.table and "&lt;b&gt;2026-11-01&lt;/b&gt;" in rate.table
    assert rate.table.startswith('<table aria-label="Superfluous alerts per installation-day')


def test_lists_show_each_audience_its_own_figures(cast):
    run = cast.run([{"parts": [cast.hub], "excess": 300}, {"parts": [cast.meter], "excess": 50}])
    _publish(cast, run)
    hidden = run.findings.get(position=0)
    hidden.parties_view = {"suppressed": True, "suppression_reason": "fewer than 10 installations"}
    hidden.save(update_fields=["parties_view"])
    for user, excess in ((cast.dcc, 300.0), (cast.supplier, None), (cast.meterix, None)):
        rows = rows_for(user, findings_visible_to(user).filter(run=run))
        shown = {row.finding.pk: row.figures for row in rows}
        assert shown[hidden.pk]["excess_alerts_per_day"] == excess
        assert shown[hidden.pk]["suppressed"] is (excess is None)
    text = Client()
    text.force_login(cast.supplier)
    page = text.get("/tracker/").content.decode()
    assert "Figures suppressed: fewer than 10 installations" in page and "300.0" not in page


def _queries(client, path) -> int:
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured.captured_queries)


def test_the_finding_page_query_count_does_not_grow_with_its_history(cast):
    from datetime import date, timedelta

    client = Client()
    client.force_login(cast.supplier)
    first = cast.run([{"parts": [cast.hub]}], day=date(2026, 10, 1))
    _publish(cast, first)
    latest = first.findings.get()
    once = _queries(client, f"/tracker/findings/{latest.pk}/")
    for week in range(1, 6):
        run = cast.run([{"parts": [cast.hub]}], day=date(2026, 10, 1) + timedelta(weeks=week))
        _publish(cast, run)
        latest = run.findings.get()
    page = client.get(f"/tracker/findings/{latest.pk}/").content.decode()
    assert page.count('href="/tracker/editions/') >= 6
    assert _queries(client, f"/tracker/findings/{latest.pk}/") == once
