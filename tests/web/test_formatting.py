"""Dates and numbers as people read them (kir/formatting.py and its template filters)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.template import engines

from kir.formatting import long_date, long_datetime, number

UTC = dt.UTC


def render(source: str, **context: object) -> str:
    return engines["django"].from_string(source).render(context)


def test_it_writes_a_date_the_gov_uk_way():
    assert long_date(dt.date(2026, 12, 3)) == "3 December 2026"
    assert long_date(None) == ""


def test_it_shows_times_in_uk_time_through_gmt_and_bst():
    winter = dt.datetime(2026, 12, 3, 14, 5, 9, tzinfo=UTC)
    summer = dt.datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    assert long_datetime(winter) == "3 December 2026, 14:05"
    assert long_datetime(winter, "seconds") == "3 December 2026, 14:05:09"
    # 23:30 UTC in July is 00:30 BST the next day: the date moves with the clock.
    assert long_datetime(summer) == "2 July 2026, 00:30"
    assert long_date(summer) == "2 July 2026"


def test_the_template_filters_agree_and_leave_missing_values_to_default():
    when = dt.datetime(2026, 7, 1, 23, 30, tzinfo=UTC)
    text = render(
        "{{ when|long_date }} | {{ when|long_datetime }} | {{ none|long_date|default:'—' }}",
        when=when,
        none=None,
    )
    assert text == "2 July 2026 | 2 July 2026, 00:30 | —"


@pytest.mark.parametrize(
    ("value", "places", "shown"),
    [
        (1800, 1, "1,800"),
        (1800.0, 1, "1,800"),
        (1234567.25, 1, "1,234,567.2"),
        (12.5, 1, "12.5"),
        (0.0, 1, "0"),
        (-0.04, 1, "0"),
        (3.14159, 2, "3.14"),
        (Decimal("2500.50"), 2, "2,500.5"),
        (None, 1, ""),
        ("suppressed", 1, "suppressed"),
        (True, 1, "True"),
    ],
)
def test_it_separates_thousands_and_drops_a_spurious_point_zero(value, places, shown):
    assert number(value, places) == shown


def test_the_number_filter_takes_its_places_in_a_template():
    assert render(
        "{{ n|number }} {{ r|number:2 }} {{ x|number|default:'n/a' }}", n=42000.0, r=1.005, x=None
    ) == ("42,000 1 n/a")
