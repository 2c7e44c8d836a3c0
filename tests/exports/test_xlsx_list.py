"""The register list as XLSX (and its CSV twin): the list's filters, typed cells, frozen header,
widths, the About sheet, one row per issue x product when asked, and visibility."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.test import Client
from openpyxl import load_workbook

from kir.register.models import ThresholdPolicy
from kir.register.services import manufacturer_dispute
from tests.clients import signed_in
from tests.factories import DeviceVersionFactory
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def workbook(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert 'filename="kir-issues-' in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_the_xlsx_has_typed_cells_a_frozen_header_and_an_about_sheet(cast):
    issue = cast.published(title="=HYPERLINK(1) formula-looking title")
    book = workbook(signed_in(cast.other_supplier).get("/issues/export.xlsx", {"region": "north"}))
    sheet = book["Issues"]
    assert sheet.freeze_panes == "A2"
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["human_id", "title"] and "published_at (UTC)" in header
    assert sheet[1][0].font.bold
    assert sheet.column_dimensions["B"].width == 50
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["human_id"].value == issue.human_id
    assert row["title"].value.startswith("=HYPERLINK") and row["title"].data_type == "s"
    assert (
        row["installations_affected"].value == 340
        and row["installations_affected"].data_type == "n"
    )
    assert row["excess_alerts_per_day"].value == 1200.0
    assert isinstance(row["published_at (UTC)"].value, datetime)
    assert row["published_at (UTC)"].is_date
    about = {r[0]: r[1] for r in book["About"].iter_rows(values_only=True)}
    version = ThresholdPolicy.objects.get(in_force=True).version
    assert about["Policy version in force"] == str(version)
    assert about["Filter: region"] == "north"
    assert about["Made at (UTC)"]


def test_the_xlsx_and_csv_give_one_row_per_issue_and_product_when_asked(cast):
    later = DeviceVersionFactory(
        device_model=cast.version.device_model, firmware_version="0102FFFF"
    )
    issue = cast.published(
        products=[
            {"device_version": cast.version, "status": "known_affected"},
            {"device_version": later, "status": "fixed", "first_fixed_firmware": "01020305"},
        ]
    )
    client = signed_in(cast.other_supplier)
    sheet = workbook(client.get("/issues/export.xlsx", {"rows": "product"}))["Issues"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [issue.human_id, issue.human_id]
    assert {r[-2] for r in rows} == {"known_affected", "fixed"}
    assert {r[-3] for r in rows} == {str(cast.version), str(later)}
    assert "01020305" in {r[-1] for r in rows}
    body = b"".join(client.get("/issues/export.csv", {"rows": "product"}).streaming_content)
    assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    csv_rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [r["product_status"] for r in csv_rows] == [r[-2] for r in rows]
    assert csv_rows[0]["published_at"] == issue.published_at.isoformat()


def test_the_xlsx_holds_only_what_the_user_may_see_with_markers(cast):
    disputed = cast.notified(title="Disputed one")
    manufacturer_dispute(issue=disputed, actor=cast.manufacturer_user, rationale="Not ours.")
    cast.draft(title="Hidden draft")
    dcc_rows = list(
        workbook(
            signed_in(cast.dcc).get("/issues/export.xlsx", {"state": "manufacturer_notified"})
        )["Issues"].iter_rows(min_row=2, values_only=True)
    )
    assert [(r[0], r[3]) for r in dcc_rows] == [(disputed.human_id, "DISPUTED")]
    outsider = workbook(signed_in(cast.other_supplier).get("/issues/export.xlsx"))["Issues"]
    assert outsider.max_row == 1  # the header only


def test_the_xlsx_export_needs_a_sign_in(cast):
    response = Client().get("/issues/export.xlsx")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
