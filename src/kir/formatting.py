"""How dates and numbers read to people, on every page, message and e-mail.

One GOV.UK style ("3 December 2026", "3 December 2026, 14:05") in UK time: settings.TIME_ZONE
is Europe/London, and aware datetimes are converted to it here (the template filters in
kir/web/templatetags/presentation.py get them converted already), GMT or BST as the day was.
Machine-readable forms stay ISO 8601: `<time datetime>` attributes, the exports and the API
format their own values and never come through here.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import dateformat, timezone

DATE_FORMAT = "j F Y"
TIME_FORMAT = "H:i"


def long_date(value: dt.date | None) -> str:
    """Reads "3 December 2026"; nothing for no date, so a template's `|default:"—"` applies."""
    if not isinstance(value, dt.date):
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, DATE_FORMAT)


def long_datetime(value: dt.datetime | None, precision: str = "") -> str:
    """Reads "3 December 2026, 14:05" (with precision "seconds", "14:05:09": run timings)."""
    if not isinstance(value, dt.datetime):
        return long_date(value)
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    clock = TIME_FORMAT + (":s" if precision == "seconds" else "")
    return f"{dateformat.format(value, DATE_FORMAT)}, {dateformat.format(value, clock)}"


def number(value: Any, places: int = 1) -> str:
    """Thousands separated, rounded to `places` decimals, with no ".0" that says nothing:
    1800.0 reads "1,800", 12.25 reads "12.2"; what is not a number is shown as it is."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return f"{value:,}"
    text = f"{value:,.{int(places)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text
