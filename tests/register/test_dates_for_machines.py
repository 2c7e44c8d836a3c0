"""The one date format is for people only: the same issue reads "3 December 2026" on its page
while the CSV export, the API and the page's own <time datetime> keep ISO 8601."""

from __future__ import annotations

import csv
import io

import pytest
from django.utils import timezone

from kir.formatting import long_date, long_datetime
from tests.clients import signed_in
from tests.register.test_views import page
from tests.register.ui_cast import make_ui_cast

pytestmark = pytest.mark.django_db


def test_people_read_gov_uk_dates_and_machines_read_iso():
    cast = make_ui_cast()
    issue = cast.published()
    client = signed_in(cast.other_supplier)
    iso = issue.published_at.isoformat()
    shown = long_datetime(issue.published_at)

    html = page(client.get(f"/issues/{issue.human_id}/"))
    local = timezone.localtime(issue.published_at).isoformat()
    assert f'<time datetime="{local}">{shown}</time>' in html
    assert long_date(issue.updated_at) in page(client.get("/issues/"))

    body = b"".join(client.get("/issues/export.csv").streaming_content).decode("utf-8-sig")
    (row,) = csv.DictReader(io.StringIO(body))
    assert row["published_at"] == iso and shown not in body

    # The API writes ISO 8601 to the millisecond.
    published = client.get(f"/api/issues/{issue.human_id}").json()["published_at"]
    assert published.startswith(iso[:23]) and published.endswith(("Z", "+00:00"))
