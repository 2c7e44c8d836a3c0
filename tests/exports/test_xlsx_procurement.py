"""The procurement check as XLSX: one row per item and touching issue, markers, the About sheet."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from tests.clients import signed_in
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def test_the_check_downloads_as_xlsx(cast):
    issue = cast.published()
    withdrawn = cast.step(cast.published(title="Old"), "withdraw", cast.admin_a, "duplicate")
    pasted = "1A2B 00012345\n9999 00000001\nnot a line"
    response = signed_in(cast.other_supplier).post(
        "/issues/procurement-check/", {"pasted": pasted, "action": "xlsx"}
    )
    assert response.status_code == 200
    assert 'filename="kir-procurement-' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book["Procurement check"].iter_rows(min_row=2, values_only=True))
    found = {(row[0], row[4]): row for row in rows}
    assert found[("1A2B/00012345", issue.human_id)][3] == 2
    assert found[("1A2B/00012345", withdrawn.human_id)][8] == "WITHDRAWN"
    assert found[("9999/00000001", None)][2] == "NOT IN CATALOGUE"
    about = dict(book["About"].iter_rows(values_only=True))
    assert "line 3" in about["Lines not understood (not checked)"]
