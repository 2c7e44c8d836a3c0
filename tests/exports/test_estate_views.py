"""The estate check as a page, XLSX and JSON, saved estates, and POST /api/estate-check."""

from __future__ import annotations

import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from kir.exports.models import SavedEstate
from tests.clients import signed_in
from tests.register.test_api import Api
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db
ESTATE = "manufacturer,model,firmware,dmc,installations\n1A2B,00012345,01020304,,250\n"


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def upload(client, text: str = ESTATE, **fields: str):
    estate = SimpleUploadedFile("fleet.csv", text.encode(), content_type="text/csv")
    return client.post("/estate-check/", {"estate": estate, **fields})


def test_the_page_shows_touching_issues_with_installations(cast):
    issue = cast.published(title="Supply restored alerts")
    client = signed_in(cast.other_supplier)
    assert client.get("/estate-check/").status_code == 200
    text = upload(client).content.decode()
    assert issue.human_id in text and "Supply restored alerts" in text
    assert "<td>250</td>" in text
    assert not SavedEstate.objects.exists()  # kept only when saved


def test_bad_rows_are_listed_and_nothing_is_checked(cast):
    cast.published()
    bad = ESTATE + "1A2B,nothex,01020304,,3\n"
    response = upload(signed_in(cast.other_supplier), bad)
    text = response.content.decode()
    assert response.status_code == 422
    assert "fleet.csv: row 3: column model: got &#x27;nothex&#x27;" in text
    assert "Nothing was checked" in text and "Results for" not in text


def test_the_check_answers_as_xlsx_and_json(cast):
    issue = cast.published()
    client = signed_in(cast.other_supplier)
    book = load_workbook(io.BytesIO(b"".join(upload(client, answer="xlsx").streaming_content)))
    sheet = book["Estate check"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[2]][:1] == [issue.human_id]
    assert sheet.cell(row=2, column=6).value == 250
    assert dict(book["About"].iter_rows(values_only=True))["Lines checked"] == "1"
    body = json.loads(upload(client, answer="json").content)
    assert body["issues"][0]["human_id"] == issue.human_id
    assert body["issues"][0]["installations_at_stake"] == 250


def test_a_saved_estate_is_listed_checked_and_deleted_by_its_organisation_only(cast):
    issue = cast.published()
    client = signed_in(cast.reporter)
    upload(client, save_as="North fleet")
    estate = SavedEstate.objects.get()
    assert "North fleet" in client.get("/estate-check/").content.decode()
    assert "North fleet" in signed_in(cast.reporter_viewer).get("/estate-check/").content.decode()
    outsider = signed_in(cast.other_supplier)
    assert "North fleet" not in outsider.get("/estate-check/").content.decode()
    assert outsider.get(f"/estate-check/saved/{estate.pk}/").status_code == 404
    assert outsider.post(f"/estate-check/saved/{estate.pk}/delete/").status_code == 404
    saved = json.loads(client.get(f"/estate-check/saved/{estate.pk}/", {"answer": "json"}).content)
    assert [i["human_id"] for i in saved["issues"]] == [issue.human_id]
    client.post(f"/estate-check/saved/{estate.pk}/delete/")
    assert not SavedEstate.objects.exists()


def test_the_api_checks_lines_and_names_every_bad_one(cast):
    issue = cast.published()
    api = Api(cast.other_supplier)
    line = {"manufacturer": "1A2B", "model": "00012345", "firmware": "01020304"}
    answer = api.post("/estate-check", {"lines": [{**line, "installations": 12}, line]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["lines"] == 1 and body["installations"] == 12
    assert body["issues"][0]["human_id"] == issue.human_id
    assert body["issues"][0]["products"] == [
        {"product": "1A2B/00012345/01020304", "status": "known_affected"}
    ]
    bad = api.post("/estate-check", {"lines": [line, {**line, "firmware": "zz", "dmc": "DMC-1"}]})
    assert bad.status_code == 422
    places = {tuple(error["loc"][-3:]) for error in bad.json()["detail"]}
    assert places == {("lines", 1, "firmware"), ("lines", 1, "dmc")}
    assert api.post("/estate-check", {"lines": [{"model": "x"}]}).status_code == 422
