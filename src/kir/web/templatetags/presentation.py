"""The template side of kir/formatting.py: `long_date`, `long_datetime`, `number`.

Loaded as a builtin (settings.TEMPLATES), so every template and e-mail has them; a test
(tests/web/test_template_dates.py) refuses a raw `|date:` format meant for people.
"""

from __future__ import annotations

from django import template

from kir import formatting

register = template.Library()

# expects_localtime: Django converts an aware datetime to Europe/London before the filter runs.
register.filter("long_date", formatting.long_date, expects_localtime=True)
register.filter("long_datetime", formatting.long_datetime, expects_localtime=True)
register.filter("number", formatting.number)
