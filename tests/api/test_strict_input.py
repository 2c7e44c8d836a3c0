"""Requests are read as the OpenAPI says (kir.register.api_input): what the schema calls the
wrong type is refused with a 422 naming it, never coerced; what it calls right still works."""

from __future__ import annotations

import pytest

from kir.register.models import Issue
from tests.register.test_api import Api, draft_body
from tests.register.ui_cast import UiCast, make_ui_cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast() -> UiCast:
    return make_ui_cast()


def locations(response) -> list[str]:
    return [".".join(str(part) for part in error["loc"]) for error in response.json()["detail"]]


@pytest.mark.parametrize("value", [False, True, "12", 12.5])
def test_a_count_is_a_json_number_and_whole(cast, value):
    response = Api(cast.reporter).post("/issues", draft_body(cast, installations_affected=value))
    assert response.status_code == 422
    assert locations(response) == ["body.payload.installations_affected"]
    assert not Issue.objects.exists()


def test_a_whole_number_written_with_a_point_is_still_a_count(cast):
    response = Api(cast.reporter).post("/issues", draft_body(cast, installations_affected=240.0))
    assert response.status_code == 201
    assert response.json()["installations_affected"] == 240


@pytest.mark.parametrize("value", [False, "95000"])
def test_a_figure_is_a_json_number(cast, value):
    response = Api(cast.reporter).post("/issues", draft_body(cast, excess_alerts_per_day=value))
    assert response.status_code == 422
    assert locations(response) == ["body.payload.excess_alerts_per_day"]


def test_an_unknown_field_is_refused_not_ignored(cast):
    response = Api(cast.reporter).post("/issues", draft_body(cast, severity="high"))
    assert response.status_code == 422
    assert locations(response) == ["body.payload.severity"]
    assert not Issue.objects.exists()


@pytest.mark.parametrize("body", [[None, None], ["1A2B 00012345"]])
def test_a_body_that_is_no_object_is_refused(cast, body):
    # Before, ninja read the array's (missing) attributes: every field at its default, a 200.
    response = Api(cast.other_supplier).post("/procurement-check", body)
    assert response.status_code == 422
    assert "must be a JSON object" in response.json()["detail"][0]["msg"]


@pytest.mark.parametrize("value", ["0", "20261203", "2026-12-3", "3 December 2026"])
def test_a_date_bound_is_a_full_date(cast, value):
    response = Api(cast.other_supplier).get("/issues", {"date_to": value})
    assert response.status_code == 422
    assert locations(response) == ["query.date_to"]


def test_a_full_date_bound_is_accepted(cast):
    assert Api(cast.other_supplier).get("/issues", {"date_to": "2026-12-03"}).status_code == 200


@pytest.mark.parametrize("item", ["", "1A2B", "1A2B 0001234", "zz2B 00012345", "DMC-1"])
def test_a_procurement_item_must_have_the_documented_shape(cast, item):
    response = Api(cast.other_supplier).post("/procurement-check", {"items": [item]})
    assert response.status_code == 422
    assert locations(response) == ["body.payload.items.0"]


@pytest.mark.parametrize(
    "item",
    ["1A2B 00012345", "1a2b/00012345 fw 01020304", "1A2B,00012345;01020304", "DMC-0123456789AB"],
)
def test_every_documented_procurement_item_shape_is_accepted(cast, item):
    response = Api(cast.other_supplier).post("/procurement-check", {"items": [item]})
    assert response.status_code == 200


def test_an_estate_line_count_is_not_a_boolean(cast):
    line = {"manufacturer": "1A2B", "model": "00012345", "firmware": "01020304"}
    response = Api(cast.other_supplier).post(
        "/estate-check", {"lines": [{**line, "installations": False}]}
    )
    assert response.status_code == 422
    assert locations(response)[-1].endswith("lines.0.installations")
